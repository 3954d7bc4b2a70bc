import type { Drafter, DraftProposal } from './drafter';

/**
 * Token recycling: an adjacency table of what the target produced after each token in earlier
 * generations (the most recent successors first), drafting a chain by following it. Completions
 * in one file repeat the same local patterns, and the table keeps them across requests.
 *
 * Bounded: at most `maxTokens` rows of `SUCCESSORS` successors, evicted least recently used (a Map
 * keeps insertion order; a touched row is re-inserted). 65,536 rows × 4 successors × 8 bytes of
 * number ≈ 2 MB of successor data plus the Map's own entries; `approxBytes` reports it.
 */
const SUCCESSORS = 4;

export class TokenRecyclingDrafter implements Drafter {
  readonly name = 'recycling';
  private readonly next = new Map<number, number[]>();

  constructor(private readonly maxTokens = 65_536) {}

  observe(token: number, next: number): void {
    const row = this.next.get(token);
    this.next.delete(token);
    const updated = row ? [next, ...row.filter((t) => t !== next)].slice(0, SUCCESSORS) : [next];
    this.next.set(token, updated);
    if (this.next.size > this.maxTokens) this.next.delete(this.next.keys().next().value!);
  }

  propose(history: readonly number[], k: number): DraftProposal {
    const out: number[] = [];
    let t = history[history.length - 1];
    const seen = new Set<number>();
    while (t !== undefined && out.length < k) {
      const n = this.next.get(t)?.[0];
      // a cycle (a → b → a) would draft the same pair forever: stop at the first repeat
      if (n === undefined || seen.has(t)) break;
      seen.add(t);
      out.push(n);
      t = n;
    }
    return { tokens: out, confidence: 0 };
  }

  get rows(): number {
    return this.next.size;
  }

  /** Successor data held (8 bytes per stored token id, as JS numbers), not counting Map overhead. */
  get approxBytes(): number {
    let n = 0;
    for (const r of this.next.values()) n += (r.length + 1) * 8;
    return n;
  }
}
