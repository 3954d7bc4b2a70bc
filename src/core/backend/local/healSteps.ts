/**
 * Engine-side token healing (runs in the llama.cpp child process): the byte-prefix mask applied per
 * step, and teacher-forced scoring with the mask's probability mass. The mask is a candidate list
 * from the TokenByteIndex handed to llama.cpp as a logits filter, so only the allowed tokens' logits
 * cross into JS (a few to a few thousand numbers; never a vocabulary-sized bias list over IPC).
 */
import type { LlamaContextSequence, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { TokenscopeError } from '../../../common/errors';
import { logSumExp } from '../../completion/heal/byteCovers';
import { withoutLastSpace } from '../../completion/heal/healTail';
import { consumeForced, type TokenByteIndex } from '../../completion/heal/tokenByteIndex';

type EvalItems = Parameters<LlamaContextSequence['controlledEvaluate']>[0];
export type NextOutput = { logits?: Map<number, number>; totalLogitWeight?: number } | undefined;

/** The request for the logits of `tokens` after an item (no normalizer). */
function logitsOf(tokens: readonly number[]): object {
  return { generateNext: { logits: { filter: { tokens: tokens as Token[] } } } };
}

/**
 * The request for the logits of `tokens` (and the top `top`) after an item, with what log Z needs:
 * the max logit and Σ exp(logit − max). The max comes as the greedy choice (`includeSelected` at
 * temperature 0): node-llama-cpp 3.22.1 ignores `includeMax` (measured: the filter returned only
 * the asked tokens), and `includeTop: 1` costs 6 ms a step against 2.3.
 */
export function normalizedLogitsRequest(tokens: readonly number[], top = 0): object {
  return { generateNext: { options: { temperature: 0 }, logits: { filter: { tokens: tokens as Token[], includeSelected: true, ...(top > 0 ? { includeTop: top } : {}) } }, totalLogitWeight: true } };
}

/** The filtered logits of one output, and log Z = max + log Σ exp(logit − max) over the whole vocabulary. */
export function normalizedLogits(next: NextOutput): { logits: Map<number, number>; logZ: number } {
  if (!next?.logits || next.totalLogitWeight === undefined) throw new TokenscopeError('malformed', 'llama.cpp returned no logits');
  let max = -Infinity;
  for (const v of next.logits.values()) max = Math.max(max, v);
  return { logits: next.logits, logZ: max + Math.log(next.totalLogitWeight) };
}

/** Evaluates `tokens` and returns the logits of `candidates` after the last one. */
async function logitsAfter(seq: LlamaContextSequence, tokens: readonly number[], candidates: readonly number[]): Promise<Map<number, number>> {
  const last = tokens.length - 1;
  const out = await seq.controlledEvaluate(tokens.map((t, i) => (i < last ? t : [t, logitsOf(candidates)])) as EvalItems);
  const logits = (out[last]?.next as NextOutput)?.logits;
  if (!logits) throw new TokenscopeError('malformed', 'llama.cpp returned no logits');
  return logits;
}

/**
 * The top logits looked at first. The likeliest compatible token is almost always among them, and
 * then it is the exact masked argmax (every token outside the top K has a lower logit); only when
 * none of them is compatible is the full candidate list asked for. Why: a forced " " has 16k
 * compatible tokens in StarCoder's vocabulary, and a logits filter that large cost 150–300 ms per
 * step in node-llama-cpp; the top 64 cost about as much as a plain step.
 */
const TOP_FIRST = 64;

/**
 * Evaluates `pending` (prompt tokens not yet in the context), then picks tokens under the mask until
 * `forced` is re-produced. Greedy: the likeliest compatible token each step. Returns the chosen
 * tokens; the last one is not evaluated yet (the caller's generation starts with it).
 */
export async function generateForced(seq: LlamaContextSequence, index: TokenByteIndex, pending: readonly number[], forced: Uint8Array, aborted: () => boolean): Promise<number[]> {
  const chosen: number[] = [];
  let rest: Uint8Array | undefined = forced;
  let toEvaluate = pending;
  while (rest && !aborted()) {
    const pick = await maskedArgmax(seq, index, toEvaluate, rest);
    chosen.push(pick);
    rest = consumeForced(rest, index.bytesOf(pick));
    toEvaluate = [pick];
  }
  return chosen;
}

/**
 * The tokens allowed next: those that re-produce all the bytes left in one step (a token that
 * starts with them) and, when the bytes end in a whitespace run, the token of all but the run's
 * last character (withoutLastSpace: the canonical split before a word); only when there is no
 * covering token, those compatible with the bytes (shorter ones too).
 * Measured on the held-out set (bench fim.*, 30 cases per kind): allowing every shorter one from
 * the start let the model pick a frequent short piece (" " before " pri") and walk a tokenization
 * it never saw — mid-identifier prefix1 0.27 against 0.43, mid-operator 0.37 against 0.77.
 * findHealCut only cuts bytes some longer token extends, so the first set is never empty there.
 */
export function healingMask(index: TokenByteIndex, rest: Uint8Array): number[] {
  const cover = index.covering(rest);
  if (cover.length === 0) return index.compatible(rest);
  const split = withoutLastSpace(rest);
  return split ? [...cover, ...index.exactly(split)] : cover;
}

/** Membership in healingMask(index, rest) without building it (for a large mask checked against the top tokens). */
function healingMaskMember(index: TokenByteIndex, rest: Uint8Array): (t: number) => boolean {
  const covering = index.coveringCount(rest) > 0;
  const splitLength = withoutLastSpace(rest)?.length;
  return (t) => {
    if (!index.isCompatible(t, rest)) return false;
    const n = index.bytesOf(t).length;
    return !covering || n >= rest.length || n === splitLength;
  };
}

/** Up to this many candidates, their logits are asked for directly (one step, a few ms). */
const DIRECT_MASK_MAX = 1024;

/** The likeliest token compatible with `rest` after evaluating `tokens`: a small mask directly, a large one top K first. */
async function maskedArgmax(seq: LlamaContextSequence, index: TokenByteIndex, tokens: readonly number[], rest: Uint8Array): Promise<number> {
  const mask = healingMask(index, rest);
  if (mask.length <= DIRECT_MASK_MAX) return argmaxOf(mask, await logitsAfter(seq, tokens, mask));
  // membership in the mask as healingMask chose it: covering tokens (and the space split) when there are any
  const member = healingMaskMember(index, rest);
  const top = await topLogitsAfter(seq, tokens, TOP_FIRST);
  for (const [t] of top) if (member(t)) return t;
  // none in the top K: the next step re-evaluates only the last token, so undo it first
  const last = tokens[tokens.length - 1]!;
  await seq.eraseContextTokenRanges([{ start: seq.contextTokens.length - 1, end: seq.contextTokens.length }]);
  return argmaxOf(mask, await logitsAfter(seq, [last], mask));
}

/** Evaluates `tokens` and returns the top `k` (token, logit) after the last, highest first. */
async function topLogitsAfter(seq: LlamaContextSequence, tokens: readonly number[], k: number): Promise<[number, number][]> {
  const last = tokens.length - 1;
  const items = tokens.map((t, i) => (i < last ? t : [t, { generateNext: { logits: { filter: { tokens: [], includeTop: k } } } }]));
  const out = await seq.controlledEvaluate(items as EvalItems);
  const logits = (out[last]?.next as { logits?: Map<number, number> } | undefined)?.logits;
  if (!logits) throw new TokenscopeError('malformed', 'llama.cpp returned no logits');
  return [...logits.entries()].sort((a, b) => b[1] - a[1]);
}

/**
 * Log-probabilities of `continuation` after the context plus `pending`, one batch of evaluations;
 * while `forced` bytes remain, also the log of the mask's mass at that step. Leaves the
 * continuation in the context (the caller rolls back if it wants).
 */
export async function scoreContinuation(
  seq: LlamaContextSequence,
  index: TokenByteIndex | undefined,
  pending: readonly number[],
  continuation: readonly number[],
  forced: Uint8Array | undefined,
): Promise<{ logProbs: number[]; maskLogMass: number[] }> {
  const stepTokens = [...pending.slice(-1), ...continuation.slice(0, -1)];
  const before = pending.slice(0, -1);
  // the candidate list of each step: the target, plus the mask while forced bytes remain
  let rest = forced?.length ? forced : undefined;
  const masks: (readonly number[] | undefined)[] = continuation.map((t) => {
    if (!rest || !index) return undefined;
    const m = healingMask(index, rest);
    rest = consumeForced(rest, index.bytesOf(t));
    return m;
  });
  const items = [
    ...before,
    ...stepTokens.map((t, i) => [t, normalizedLogitsRequest([continuation[i]!, ...(masks[i] ?? [])])]),
  ];
  const out = await seq.controlledEvaluate(items as EvalItems);
  const logProbs: number[] = [];
  const maskLogMass: number[] = [];
  continuation.forEach((t, i) => {
    const { logits, logZ } = normalizedLogits(out[before.length + i]?.next);
    logProbs.push(logits.get(t)! - logZ);
    const m = masks[i];
    maskLogMass.push(m ? logSumExp(m.map((c) => logits.get(c)!)) - logZ : 0);
  });
  return { logProbs, maskLogMass };
}


function argmaxOf(candidates: readonly number[], logits: Map<number, number>): number {
  let best = -1;
  let bestLogit = -Infinity;
  for (const c of candidates) {
    const l = logits.get(c);
    if (l !== undefined && l > bestLogit) {
      bestLogit = l;
      best = c;
    }
  }
  if (best < 0) throw new TokenscopeError('malformed', 'no token can re-produce the healed bytes');
  return best;
}
