/**
 * Exact byte-level probabilities from a token-level model (Phan et al. 2024, "Exact Byte-Level
 * Probabilities from Tokenized Language Models for FIM-Tasks and Model Ensembles"): the probability
 * that the output starts with bytes x is the sum over x's *cover encodings*: token sequences whose
 * last token reaches to or past the end of x and whose tokens before it tile a proper prefix of x.
 *
 *   P(x…) = Σ_{j<|x|} P(tile(x[0:j])) · Σ_{t starts with x[j:]} P(t | tile(x[0:j]))
 *   P(x b…) for every next byte b, the same with tokens starting with x[j:] b, for j ≤ |x|
 *
 * Hand-written: this is the product (no library computes it over node-llama-cpp). Assumptions,
 * measured or argued where they are used:
 * - tile(y) is y's canonical tokenization (the model saw only canonical ones in training, so a
 *   non-canonical tiling's probability is near zero; the paper's "valid encodings" argument);
 *   boundaries that split a UTF-8 character are skipped (tile → undefined);
 * - a node's mass over a large candidate set (more than `maxDirect` tokens, e.g. every token
 *   starting with one letter) is taken from the node's top tokens only, so sums are lower bounds;
 *   the engine returns the top 64 (bench fim.*: the unattributed share is logged).
 *
 * Cost: one model node per distinct tiling prefix, cached; for x of n bytes about n small
 * evaluations the first time and one per further byte (the tilings of x's prefixes are shared).
 */
import { withoutLastSpace } from './healTail';
import type { TokenByteIndex } from './tokenByteIndex';

/** A token-level model after a fixed prompt, as the cover sums need it. */
export interface CoverModel {
  /**
   * log P(t | prompt + path) for every t in `wanted`, and with `top` also the node's likeliest
   * tokens (as many as the engine gives: they stand for a candidate set too large to ask for).
   * The map may hold more tokens than asked for; a token missing from it has probability ~0.
   * `approximate`: a node whose top tokens are known already serves as is (the wanted tokens
   * missing from it are each less likely than its top ones).
   */
  node(path: readonly number[], wanted: readonly number[], top: boolean, approximate?: boolean): Promise<ReadonlyMap<number, number>>;
  /** The node after `path` if already known (no evaluation). */
  peek(path: readonly number[]): ReadonlyMap<number, number> | undefined;
  /** The canonical tokens of `bytes` after the prompt; undefined when the bytes cannot stand alone (a split UTF-8 character). */
  tile(bytes: Uint8Array): readonly number[] | undefined;
}

/** Per next byte, the probability that the output starts with x followed by it (absolute, not normalized). */
export type NextByteMasses = Float64Array;

export class ByteCovers {
  constructor(
    private readonly index: TokenByteIndex,
    private readonly model: CoverModel,
    /**
     * Up to this many candidates at a node are asked for by id; larger sets come from the top
     * tokens. Measured with node-llama-cpp (shipped model, 1 thread): a decode step 1.0 ms, with
     * 256 logits by id 5.6 ms, 1024 by id 14.7 ms, the top 64 4.7 ms.
     */
    private readonly maxDirect = 256,
    /** Relative mass below which a tiling is skipped by the next-byte distribution (0: none). */
    private readonly prune = 0,
  ) {}

  /** log P(tokens | prompt): the product of each step's probability (−Infinity when one is unknown). */
  async pathLogProb(path: readonly number[]): Promise<number> {
    let lp = 0;
    for (let i = 0; i < path.length; i++) {
      const m = await this.model.node(path.slice(0, i), [path[i]!], false);
      lp += m.get(path[i]!) ?? -Infinity;
      if (lp === -Infinity) break;
    }
    return lp;
  }

  /**
   * log P(output starts with x). With `accept`, only the cover encodings whose tiling it accepts
   * count (the tiling is empty when one token covers all of x).
   */
  async prefixLogProb(x: Uint8Array, accept?: (tiling: readonly number[]) => boolean): Promise<number> {
    const terms: number[] = [];
    for (let j = this.firstSplit(x); j < x.length; j++) {
      const rest = x.subarray(j);
      if (this.index.coveringCount(rest) === 0) continue;
      const tiling = j === 0 ? [] : this.model.tile(x.subarray(0, j));
      if (!tiling || (accept && !accept(tiling))) continue;
      // the deepest node first: the engine evaluates the whole tiling in one batch and caches its prefixes
      const node = await this.nodeFor(tiling, rest);
      const w = await this.pathLogProb(tiling);
      const mass = this.massOf(node, rest);
      if (mass > 0 && w > -Infinity) terms.push(w + Math.log(mass));
    }
    return logSumExp(terms);
  }

  /**
   * For every byte b, P(output starts with x b) — the exact next-byte distribution up to
   * normalization. With `prune` set, a tiling whose first token alone is less likely than
   * `prune` × the mass found so far is skipped (its whole term is below that bound): the tilings
   * of mid-word splits (" p" + "rint") are rarely worth an engine evaluation each.
   */
  async nextByteMasses(x: Uint8Array): Promise<NextByteMasses> {
    const out = new Float64Array(256);
    const splits = this.splitsForNextByte(x);
    const firsts = splits.flatMap((s) => s.tiling.slice(0, 1));
    // the root once, with every tiling's first token and the tokens covering x: one evaluation
    const rest0 = splits.find((s) => s.tiling.length === 0)?.rest;
    const root = await this.nodeFor([], rest0 ?? x, firsts);
    // likeliest first (by the first token), so that the bound prunes the most
    const first = (t: readonly number[]): number => (t.length === 0 ? 1 : Math.exp(root.get(t[0]!) ?? -Infinity));
    splits.sort((a, b) => first(b.tiling) - first(a.tiling));
    let found = 0;
    for (const { tiling, rest } of splits) {
      if (this.prune > 0 && this.knownBound(tiling) < this.prune * found) continue;
      const node = await this.nodeFor(tiling, rest);
      const w = await this.pathLogProb(tiling);
      if (w === -Infinity) continue;
      const scale = Math.exp(w);
      for (const [t, lp] of node) {
        const b = this.index.bytesOf(t);
        if (b.length > rest.length && startsWith(b, rest)) {
          out[b[rest.length]!]! += scale * Math.exp(lp);
          found += scale * Math.exp(lp);
        }
      }
    }
    return out;
  }

  /** An upper bound of P(tiling): the product over its first tokens whose nodes are known already. */
  private knownBound(tiling: readonly number[]): number {
    let p = 1;
    for (let i = 0; i < tiling.length; i++) {
      const lp = this.model.peek(tiling.slice(0, i))?.get(tiling[i]!);
      if (lp === undefined) break;
      p *= Math.exp(lp);
    }
    return p;
  }

  /** The splits x = tiling + rest whose rest some longer token extends (all of them when rest is empty). */
  private splitsForNextByte(x: Uint8Array): { tiling: readonly number[]; rest: Uint8Array }[] {
    const out: { tiling: readonly number[]; rest: Uint8Array }[] = [];
    for (let j = this.firstSplit(x); j <= x.length; j++) {
      const rest = x.subarray(j);
      if (rest.length > 0 && !this.index.isExtended(rest)) continue;
      const tiling = j === 0 ? [] : this.model.tile(x.subarray(0, j));
      if (tiling) out.push({ tiling, rest });
    }
    return out;
  }

  /** No cover starts before the longest token's reach from the end. */
  private firstSplit(x: Uint8Array): number {
    return Math.max(0, x.length - this.index.maxTokenBytes);
  }

  /** The node after `tiling` with the tokens starting with `rest`: by id when few enough, else its top tokens stand for them. */
  private nodeFor(tiling: readonly number[], rest: Uint8Array, also: readonly number[] = []): Promise<ReadonlyMap<number, number>> {
    const direct = rest.length > 0 && this.index.coveringCount(rest) <= this.maxDirect;
    return this.model.node(tiling, direct ? [...this.index.covering(rest), ...also] : also, !direct, this.prune > 0 && also.length === 0);
  }

  /** Σ P(t) over the node's known tokens that start with `rest`. */
  private massOf(node: ReadonlyMap<number, number>, rest: Uint8Array): number {
    let mass = 0;
    for (const [t, lp] of node) {
      if (startsWith(this.index.bytesOf(t), rest)) mass += Math.exp(lp);
    }
    return mass;
  }

  /**
   * log P(classic healing's generator writes x), where x starts with the `healedLength` bytes it
   * must re-produce: its first step is masked to the tokens covering them or, before a word, to the
   * token of all but their trailing whitespace's last character (healSteps.ts healingMask; then the
   * second step must cover that character), each masked step renormalized by its mask's mass.
   */
  async classicLogProb(x: Uint8Array, healedLength: number): Promise<number> {
    const healed = x.subarray(0, healedLength);
    const split = withoutLastSpace(healed);
    const splitTokens = split ? this.index.exactly(split) : [];
    const root = await this.nodeFor([], healed, splitTokens);
    const firstMass = this.massOf(root, healed) + splitTokens.reduce((m, t) => m + Math.exp(root.get(t) ?? -Infinity), 0);
    if (!(firstMass > 0)) return -Infinity;
    const covers = (t: number): boolean => startsWith(this.index.bytesOf(t), healed);
    const terms = [(await this.prefixLogProb(x, (tiling) => tiling.length === 0 || covers(tiling[0]!))) - Math.log(firstMass)];
    for (const t of splitTokens) {
      const last = healed.subarray(healedLength - 1);
      const secondMass = this.massOf(await this.nodeFor([t], last), last);
      const via = await this.prefixLogProb(x, (tiling) => tiling[0] === t);
      terms.push(via - Math.log(firstMass) - Math.log(secondMass));
    }
    return logSumExp(terms);
  }
}

export function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

export function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) max = Math.max(max, x);
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - max);
  return max + Math.log(s);
}
