/**
 * Engine-side exact byte-level healing (runs in the llama.cpp child process): the cover sums of
 * byteCovers.ts over the live sequence. Each model node (the prompt plus a tiling's tokens) is
 * evaluated after the prompt in the KV cache, its outputs kept, and erased again; the prompt itself
 * stays. The first bytes after the cursor are chosen by the exact next-byte distribution; the
 * classic masked steps then re-produce healed + chosen bytes with the likeliest tokens.
 */
import type { LlamaContextSequence } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { TokenscopeError } from '../../../common/errors';
import { ByteCovers, type CoverModel } from '../../completion/heal/byteCovers';
import { tokenText } from '../../tokenizer/tokenDisplay';
import { normalizedLogits, normalizedLogitsRequest, type NextOutput } from './healSteps';
import type { TokenByteIndex } from '../../completion/heal/tokenByteIndex';

type EvalItems = Parameters<LlamaContextSequence['controlledEvaluate']>[0];

/** Top tokens each node reports besides the ones asked for: they stand for large candidate sets (a cut of one letter). */
const NODE_TOP = 64;

/**
 * The model after the prompt now in the sequence (`base` tokens, never erased). Nodes are cached
 * by path; the KV cache keeps the last evaluated path, so a tiling sharing its first tokens with
 * the previous one evaluates only the rest (plus one token whose output is needed again).
 */
export class SequenceCoverModel implements CoverModel {
  private readonly nodes = new Map<string, Map<number, number>>();
  /** Nodes whose top tokens are known. */
  private readonly topped = new Set<string>();
  /** The path whose tokens follow the prompt in the KV cache. */
  private inCache: readonly number[] = [];
  /** Engine evaluations made (a cost figure). */
  evaluations = 0;
  /** Re-evaluated whenever the root node's output is needed again. */
  private readonly lastPromptToken: number;

  constructor(
    private readonly seq: LlamaContextSequence,
    private readonly base: number,
    private readonly encode: (text: string) => ArrayLike<number>,
  ) {
    const last = seq.contextTokens[base - 1];
    if (last === undefined) throw new TokenscopeError('unsupported', 'exact healing needs the prompt evaluated first');
    this.lastPromptToken = last;
  }

  tile(bytes: Uint8Array): readonly number[] | undefined {
    const text = tokenText(bytes);
    return text === undefined ? undefined : Array.from(this.encode(text));
  }

  async node(path: readonly number[], wanted: readonly number[], top: boolean, approximate = false): Promise<ReadonlyMap<number, number>> {
    const key = path.join(',');
    const served = approximate && this.topped.has(key);
    if (!served && !this.has(key, wanted, top)) await this.evaluate(path, wanted, top);
    return this.nodes.get(key)!;
  }

  peek(path: readonly number[]): ReadonlyMap<number, number> | undefined {
    return this.nodes.get(path.join(','));
  }

  private has(key: string, wanted: readonly number[], top: boolean): boolean {
    const known = this.nodes.get(key);
    return !!known && (!top || this.topped.has(key)) && wanted.every((t) => known.has(t));
  }

  /**
   * Erases the sequence back to the prompt minus its last token, which it returns: the caller's
   * next evaluation starts with it (its output is what a generation reads first).
   */
  async releaseLastPromptToken(): Promise<number> {
    await this.eraseFrom(this.base - 1);
    this.inCache = [];
    this.nodes.clear();
    this.topped.clear();
    return this.lastPromptToken;
  }

  private async evaluate(path: readonly number[], wanted: readonly number[], top: boolean): Promise<void> {
    let keep = 0;
    while (keep < path.length && keep < this.inCache.length && path[keep] === this.inCache[keep]) keep++;
    // the token before the first node to read is evaluated again: its output is needed
    const from = this.base + keep - 1;
    await this.eraseFrom(from);
    const tokens = [keep === 0 ? this.lastPromptToken : path[keep - 1]!, ...path.slice(keep)];
    // an output only where the node lacks what is needed: the logits filter, not the decode, is
    // most of a step's cost (see ByteCovers.maxDirect)
    const asks = tokens.map((_, i) => {
      const depth = keep + i;
      const want = depth < path.length ? [path[depth]!] : wanted;
      const withTop = depth === path.length && top;
      return this.has(path.slice(0, depth).join(','), want, withTop) ? undefined : { want, withTop };
    });
    const items = tokens.map((t, i) => {
      const a = asks[i];
      return a ? [t, normalizedLogitsRequest(a.want, a.withTop ? NODE_TOP : 0)] : t;
    });
    const out = await this.seq.controlledEvaluate(items as EvalItems);
    this.evaluations++;
    asks.forEach((a, i) => {
      if (!a) return;
      const key = path.slice(0, keep + i).join(',');
      this.remember(key, out[i]?.next);
      if (a.withTop) this.topped.add(key);
    });
    this.inCache = path;
  }

  private async eraseFrom(at: number): Promise<void> {
    const n = this.seq.contextTokens.length;
    if (at < n) await this.seq.eraseContextTokenRanges([{ start: at, end: n }]);
  }

  /** Merges one output's log-probabilities (log-softmax over the whole vocabulary) into its node. */
  private remember(key: string, next: NextOutput): void {
    const { logits, logZ } = normalizedLogits(next);
    const node = this.nodes.get(key) ?? new Map<number, number>();
    for (const [t, l] of logits) node.set(t, l - logZ);
    this.nodes.set(key, node);
  }
}

/**
 * The bytes after the healed ones chosen by the exact next-byte distribution, greedily: while they
 * continue the cut word (letters, digits, `_`, any non-ASCII byte), at most `maxBytes`. The word
 * is where tokenizations disagree most (`pri|nt`: " print" against " pri" + "nt"); past it the
 * classic masked steps are as good and cheaper.
 */
export async function chooseExactBytes(covers: ByteCovers, healed: Uint8Array, maxBytes: number, aborted: () => boolean): Promise<Uint8Array> {
  let x = healed;
  for (let n = 0; n < maxBytes && !aborted(); n++) {
    const masses = await covers.nextByteMasses(x);
    let best = -1;
    for (let b = 0; b < 256; b++) if (masses[b]! > 0 && (best < 0 || masses[b]! > masses[best]!)) best = b;
    if (best < 0) break;
    const next = new Uint8Array(x.length + 1);
    next.set(x);
    next[x.length] = best;
    x = next;
    if (!isWordByte(best)) break;
  }
  return x.subarray(healed.length);
}

function isWordByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
}

/** How a ByteCovers over the live sequence trades exactness for engine evaluations. */
export interface CoverBudget {
  /** Candidate sets up to this size are asked for by id (see ByteCovers). */
  readonly maxDirect: number;
  /** Relative mass below which a tiling is skipped (see ByteCovers.nextByteMasses). */
  readonly prune: number;
}

/**
 * Generation: sets of up to 256 by id, tilings under 1/1000 of the mass found skipped (bench
 * fim.heal.overhead.p50.exact). Scoring (offline): every candidate by id, nothing skipped.
 */
export const GENERATION_BUDGET: CoverBudget = { maxDirect: 256, prune: 1e-3 };
export const SCORING_BUDGET: CoverBudget = { maxDirect: Number.MAX_SAFE_INTEGER, prune: 0 };

/** A ByteCovers over the live sequence (the prompt must be fully evaluated in it). */
export function coversOnSequence(seq: LlamaContextSequence, index: TokenByteIndex, encode: (text: string) => ArrayLike<number>, budget: CoverBudget): { covers: ByteCovers; model: SequenceCoverModel } {
  const model = new SequenceCoverModel(seq, seq.contextTokens.length, encode);
  return { covers: new ByteCovers(index, model, budget.maxDirect, budget.prune), model };
}
