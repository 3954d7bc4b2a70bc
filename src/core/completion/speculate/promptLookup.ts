import { NO_DRAFT, type Drafter, type DraftProposal } from './drafter';

/**
 * Prompt lookup: the last n tokens (n = maxN … minN) searched in the history and in extra sources
 * (the suffix is part of the prompt; other documents and the previous suggestion come as sources);
 * what followed the most recent match is the draft. Code completion copies: identifiers, call
 * patterns, the rest of a line that exists elsewhere, the suffix itself.
 *
 * Hand-written (no library drafts over token ids). Cost: O(history × n) per proposal by a backwards
 * scan — a 500-token FIM prompt is scanned in ~10 µs; sources are indexed once by their last
 * token's value (a Map of positions) so long ones stay cheap.
 */
export class PromptLookupDrafter implements Drafter {
  readonly name = 'lookup';
  private sources: { tokens: readonly number[]; at: Map<number, number[]> }[] = [];

  constructor(
    private readonly maxN = 4,
    private readonly minN = 1,
  ) {}

  /** Extra token sequences to search (other documents, the previous suggestion). */
  setSources(sources: readonly (readonly number[])[]): void {
    this.sources = sources.map((tokens) => ({ tokens, at: positions(tokens) }));
  }

  propose(history: readonly number[], k: number): DraftProposal {
    if (k <= 0 || history.length === 0) return NO_DRAFT;
    for (let n = Math.min(this.maxN, history.length); n >= this.minN; n--) {
      const found = this.inHistory(history, n, k) ?? this.inSources(history, n, k);
      if (found && found.length > 0) return { tokens: found, confidence: n };
    }
    return NO_DRAFT;
  }

  /** The most recent earlier match of the last n tokens in the history itself. */
  private inHistory(h: readonly number[], n: number, k: number): number[] | undefined {
    const end = h.length - n;
    for (let i = end - 1; i >= 0; i--) {
      if (matches(h, i, h, end, n)) return h.slice(i + n, Math.min(i + n + k, h.length));
    }
    return undefined;
  }

  private inSources(h: readonly number[], n: number, k: number): number[] | undefined {
    const end = h.length - n;
    const last = h[h.length - 1]!;
    for (const s of this.sources) {
      const ends = s.at.get(last);
      if (!ends) continue;
      for (let e = ends.length - 1; e >= 0; e--) {
        const i = ends[e]! - n + 1;
        if (i >= 0 && ends[e]! + 1 < s.tokens.length && matches(s.tokens, i, h, end, n)) return s.tokens.slice(i + n, i + n + k);
      }
    }
    return undefined;
  }
}

function matches(a: readonly number[], ai: number, b: readonly number[], bi: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (a[ai + j] !== b[bi + j]) return false;
  return true;
}

function positions(tokens: readonly number[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  tokens.forEach((t, i) => {
    const l = m.get(t);
    if (l) l.push(i);
    else m.set(t, [i]);
  });
  return m;
}
