/**
 * Lossless speculative decoding in the engine process: a drafter guesses the next tokens, the
 * target evaluates the pending token and the whole draft in one batch (controlledEvaluate, one
 * sampled token per position), keeps the longest prefix of the draft its own choices agree with,
 * adds its own next token, and erases the rest from the KV cache.
 *
 * Why lossless: at each position the target's token is drawn exactly as plain decoding draws it
 * (same sampler options; at temperature 0 the argmax), and a draft token is kept only when it
 * equals that token. For a deterministic drafter this is the standard acceptance rule (accept x
 * with probability p(x), else draw from p without x) in one step, so greedy output is
 * byte-identical and sampled output has the same distribution.
 *
 * Cost: a batch of k + 1 positions costs little more than one step on a CPU (the weights are read
 * once per batch): shipped model, bench spec.*.
 */
import type { LlamaContextSequence, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { TokenscopeError } from '../../../common/errors';
import type { DraftController, DraftGuess } from '../../completion/speculate/draftController';
import { MEASURED_BATCH_SIZES, planBatchShapes, UNPADDED, type BatchShapes } from './batchShapes';

type EvalItems = Parameters<LlamaContextSequence['controlledEvaluate']>[0];

export interface SpeculativeOptions {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly seed?: number;
  readonly tokenBias?: unknown;
  readonly stopTokens: ReadonlySet<number>;
  readonly isEog: (t: number) => boolean;
  readonly emit: (t: number) => void;
  readonly aborted: () => boolean;
  /** How to pad verification batches (batchShapes.ts); unpadded when absent. */
  readonly shapes?: BatchShapes;
  /** Tokens the sequence's KV cache can hold: a padded batch must fit. */
  readonly contextSize?: number;
}

export interface SpeculativeRun {
  readonly tokens: number[];
  /** Per token: the drafter that proposed it, or 'target' for the model's own next token. */
  readonly sources: string[];
  readonly stopReason: 'eos' | 'limit' | 'stop' | 'aborted';
  readonly drafted: number;
  readonly accepted: number;
  /** Verification batches. */
  readonly batches: number;
}

/**
 * Generates after `history` (prompt and forced tokens; its tokens from `pending` on are not in the
 * KV cache yet, and the last one's next-token output is the first choice). Plain stretches run
 * through node-llama-cpp's own generator (~2.2 ms a token on the shipped model; a one-position
 * controlledEvaluate costs ~2.8); a step the controller finds a profitable draft for is verified
 * in one batch.
 */
export async function generateSpeculative(seq: LlamaContextSequence, history: readonly number[], pending: readonly number[], controller: DraftController, o: SpeculativeOptions): Promise<SpeculativeRun> {
  const run = new Run(history, controller, o);
  let toEvaluate = pending;
  let guess = await run.propose();
  while (run.stopReason === undefined) {
    const step = guess ? await verify(seq, toEvaluate, guess, run) : await plainStretch(seq, toEvaluate, run);
    if (step === undefined) break;
    toEvaluate = [step.next];
    guess = step.guess;
  }
  return run.result();
}

/** What a generation has produced so far, and why it stopped. */
class Run {
  readonly tokens: number[] = [];
  readonly sources: string[] = [];
  readonly history: number[];
  stopReason: SpeculativeRun['stopReason'] | undefined;
  drafted = 0;
  accepted = 0;
  batches = 0;

  constructor(
    history: readonly number[],
    readonly controller: DraftController,
    readonly o: SpeculativeOptions,
  ) {
    this.history = [...history];
  }

  /** A draft for the next step worth verifying, if any. */
  propose(): Promise<DraftGuess | undefined> {
    return this.controller.propose(this.history, this.o.maxTokens - this.tokens.length - 1);
  }

  /** Takes one token; false when generation ends (the token is then not part of the output if it is an end token). */
  take(t: number, source: string): boolean {
    if (this.o.aborted()) return this.stop('aborted');
    if (this.o.isEog(t)) return this.stop('eos');
    this.controller.observe(this.history[this.history.length - 1]!, t);
    this.tokens.push(t);
    this.sources.push(source);
    this.history.push(t);
    this.o.emit(t);
    if (this.o.stopTokens.has(t)) return this.stop('stop');
    if (this.tokens.length >= this.o.maxTokens) return this.stop('limit');
    return true;
  }

  private stop(reason: SpeculativeRun['stopReason']): false {
    this.stopReason = reason;
    return false;
  }

  result(): SpeculativeRun {
    return { tokens: this.tokens, sources: this.sources, stopReason: this.stopReason ?? 'limit', drafted: this.drafted, accepted: this.accepted, batches: this.batches };
  }
}

/** What a step leaves: the next pending token (not in the KV cache yet) and the draft for the step after, if one pays. */
type Step = { readonly next: number; readonly guess: DraftGuess | undefined } | undefined;

/** One batch: the pending tokens and the draft. */
async function verify(seq: LlamaContextSequence, pending: readonly number[], guess: DraftGuess, run: Run): Promise<Step> {
  const o = run.o;
  const sample = { token: true, options: { temperature: o.temperature, ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.tokenBias ? { tokenBias: o.tokenBias } : {}) } };
  const draft = guess.tokens;
  const start = seq.contextTokens.length;
  const t0 = performance.now();
  const items: unknown[] = [...pending.slice(0, -1), [pending[pending.length - 1]!, { generateNext: sample }], ...draft.map((t) => [t, { generateNext: sample }])];
  padBatch(items, draft[draft.length - 1]!, start, o);
  const out = await seq.controlledEvaluate(items as EvalItems);
  run.batches++;
  run.controller.costs.recordBatch(draft.length, performance.now() - t0);
  const chosen = (i: number): number => {
    const t = out[pending.length - 1 + i]?.next.token;
    if (t === undefined || t === null) throw new TokenscopeError('malformed', 'llama.cpp returned no next token');
    return t;
  };
  let kept = 0;
  while (kept < draft.length && draft[kept] === chosen(kept)) kept++;
  if (kept < draft.length) await seq.eraseContextTokenRanges([{ start: start + pending.length + kept, end: seq.contextTokens.length }]);
  run.controller.record(guess, kept);
  run.drafted += draft.length;
  run.accepted += kept;
  for (let i = 0; i < kept; i++) if (!run.take(draft[i]!, guess.drafter)) return undefined;
  const next = chosen(kept);
  return run.take(next, 'target') ? { next, guess: await run.propose() } : undefined;
}

/**
 * Pads a verification batch with filler tokens (no outputs; erased with the rejected drafts) up to
 * the size the engine decodes cheapest (batchShapes.ts), when the KV cache has room: past the
 * context's end node-llama-cpp would shift the context and lose the prompt.
 */
function padBatch(items: unknown[], filler: number, start: number, o: SpeculativeOptions): void {
  const to = (o.shapes ?? UNPADDED).padTo(items.length);
  if (to <= items.length || o.contextSize === undefined || start + to > o.contextSize - 1) return;
  while (items.length < to) items.push(filler);
}

/**
 * Measures the engine's cost of decoding batches of each size (MEASURED_BATCH_SIZES that fit), on
 * an emptied sequence: the cache is cleared first, so the caller re-evaluates its prompt. Two
 * rounds, the faster of each kept (~0.15 s in all on the shipped model).
 */
export async function measureBatchShapes(seq: LlamaContextSequence, filler: readonly number[], contextSize: number): Promise<BatchShapes> {
  await seq.clearHistory();
  const costs = new Map<number, number>();
  for (let round = 0; round < 2; round++) {
    for (const n of MEASURED_BATCH_SIZES) {
      if (n > contextSize - 1) continue;
      const tokens = Array.from({ length: n }, (_, i) => filler[i % filler.length]!) as Token[];
      const t0 = performance.now();
      await seq.controlledEvaluate(tokens);
      const ms = performance.now() - t0;
      await seq.clearHistory();
      costs.set(n, Math.min(ms, costs.get(n) ?? Infinity));
    }
  }
  return planBatchShapes(costs, await outputCostMs(seq, filler, costs));
}

/** One sampled output position's cost (ms): a batch of 16 with every output against one without. */
async function outputCostMs(seq: LlamaContextSequence, filler: readonly number[], costs: ReadonlyMap<number, number>): Promise<number> {
  const plain = costs.get(16);
  if (plain === undefined) return 0;
  const items = Array.from({ length: 16 }, (_, i) => [filler[i % filler.length]!, { generateNext: { token: true, options: { temperature: 0 } } }]);
  let best = Infinity;
  for (let round = 0; round < 2; round++) {
    const t0 = performance.now();
    await seq.controlledEvaluate(items as EvalItems);
    best = Math.min(best, performance.now() - t0);
    await seq.clearHistory();
  }
  return Math.max(0, (best - plain) / 16);
}

/** Plain decoding until the controller has a draft worth verifying, or the run ends. */
async function plainStretch(seq: LlamaContextSequence, pending: readonly number[], run: Run): Promise<Step> {
  const o = run.o;
  // yieldEogToken: without it the generator ends silently at an end token and the reason is lost
  const gen = seq.evaluate([...pending] as Token[], { temperature: o.temperature, yieldEogToken: true, ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.tokenBias ? { tokenBias: o.tokenBias as never } : {}) });
  let last = NaN;
  try {
    for await (const t of gen) {
      // the time between two tokens is one plain decode step (the first includes the prompt)
      const now = performance.now();
      if (!Number.isNaN(last)) run.controller.costs.recordPlain(now - last);
      last = now;
      if (!run.take(t, 'target')) return undefined;
      const guess = await run.propose();
      if (guess) return { next: t, guess };
    }
  } finally {
    await gen.return(undefined);
  }
  return undefined;
}
