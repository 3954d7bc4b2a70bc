/**
 * Child-process entry: llama.cpp through node-llama-cpp, off the extension host. One model, one
 * context, one sequence; requests run one at a time in arrival order. node-llama-cpp is ESM-only,
 * hence `import()`.
 *
 * Why a child process and not a worker thread: terminating a worker while llama.cpp is inside a
 * native call aborts the whole process ("terminate called after throwing an instance of
 * 'Napi::Error'", seen in this project's tests), and llama.cpp's GGML_ASSERTs abort() on some bad
 * model files. In a worker either would take the extension host down with it; a child process
 * dies alone, and killing it always frees the model's memory.
 *
 * Errors of a known kind are TokenscopeErrors whose code is the BackendErrorCode the host rejects with.
 */
import type * as NodeLlamaCppModule from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { TokenscopeError } from '../../../common/errors';
import { processParent, serveRequests, type RequestContext } from '../../../common/requestServer';
import type { DraftModelStatus, LocalRequest, LocalResult, NextToken } from './localProtocol';
import { makeTokenBias } from './tokenBias';
import { generateForced, scoreContinuation } from './healSteps';
import { generateSpeculative, measureBatchShapes } from './speculativeSteps';
import type { BatchShapes } from './batchShapes';
import { DraftController } from '../../completion/speculate/draftController';
import { PromptLookupDrafter } from '../../completion/speculate/promptLookup';
import { TokenRecyclingDrafter } from '../../completion/speculate/tokenRecycling';
import { DraftModelDrafter, draftIncompatibility } from './draftModel';
import type { Drafter } from '../../completion/speculate/drafter';
import { chooseExactBytes, coversOnSequence, GENERATION_BUDGET, SCORING_BUDGET, type CoverBudget } from './exactSteps';
import { GgufTokenizer } from '../../tokenizer/gguf/ggufTokenizer';
import { ggufIsSpecial, ggufTokenByteIndex } from '../../completion/heal/ggufTokenBytes';
import { findHealCut } from '../../completion/heal/healTail';
import type { TokenByteIndex } from '../../completion/heal/tokenByteIndex';

type NodeLlamaCpp = typeof NodeLlamaCppModule;

let lib: NodeLlamaCpp | undefined;
let model: LlamaModel | undefined;
let context: LlamaContext | undefined;
let sequence: LlamaContextSequence | undefined;
/** Greedy prediction after the last context token, when known (set by prefill/append/verify). */
let pendingNext: number | undefined;
let loadedPath: string | undefined;
interface Healing {
  readonly index: TokenByteIndex;
  readonly isSpecial: (id: number) => boolean;
  /** llama.cpp's tokenization (exact, in JS: no native call per tiling of exact healing). */
  readonly encode: (text: string) => ArrayLike<number>;
  /** The model's vocabulary as read from its file (a draft model's must match it). */
  readonly tokenizer: GgufTokenizer;
}
/**
 * Drafters live as long as the engine: token recycling learns across requests, and each drafter's
 * acceptance average carries over (a fresh one per request would re-learn it every time).
 */
const lookup = new PromptLookupDrafter();
const recycling = new TokenRecyclingDrafter();
const controllers = new Map<string, DraftController>();
/** Tokens of KV cache past the usable context, for padded verification batches. */
const VERIFY_PAD_ROOM = 64;
/** The loaded model's measured batch costs (measured at its first speculative request). */
let shapes: BatchShapes | undefined;

/** A draft model loaded for speculative decoding (tokenscope.model.draftPath). */
let draftModel: DraftModelDrafter | undefined;

/** Loads the draft model unless its vocabulary differs from the model's (checked from the files first). */
async function loadDraftModel(llama: Awaited<ReturnType<NodeLlamaCpp['getLlama']>>, draftPath: string, contextSize: number, threads: number): Promise<DraftModelStatus> {
  // the healing vocabulary is the model's tokenizer read once (built here now instead of after loading)
  const why = draftIncompatibility(healingVocab().tokenizer, draftPath);
  if (why) return { path: draftPath, used: false, why: `not the model's vocabulary: ${why}` };
  try {
    const m = await llama.loadModel({ modelPath: draftPath, gpuLayers: 0 });
    const ctx = await m.createContext({ contextSize: Math.min(contextSize, m.trainContextSize), threads, sequences: 1 });
    draftModel = new DraftModelDrafter(m, ctx, ctx.getSequence());
    return { path: draftPath, used: true };
  } catch (e) {
    return { path: draftPath, used: false, why: `llama.cpp could not load it: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The controller for a set of drafters (all by default), kept per set so its averages persist. */
function controllerFor(names: readonly string[] | undefined, always: boolean): DraftController {
  const key = `${names?.join(',') ?? 'all'}${always ? '/always' : ''}`;
  let c = controllers.get(key);
  if (!c) {
    const all: Drafter[] = [lookup, recycling, ...(draftModel ? [draftModel] : [])];
    c = new DraftController(names ? all.filter((d) => names.includes(d.name)) : all, 12, 16, always);
    controllers.set(key, c);
  }
  return c;
}

/** The vocabulary by raw bytes, for token healing: read from the GGUF file once per model (~0.3 s). */
let healing: Healing | undefined;

function healingVocab(): Healing {
  if (!loadedPath) throw new TokenscopeError('model-missing', 'no model loaded');
  if (!healing) {
    const tokenizer = GgufTokenizer.load(loadedPath);
    healing = { index: ggufTokenByteIndex(tokenizer), isSpecial: ggufIsSpecial(tokenizer), encode: (text) => tokenizer.encode(text), tokenizer };
  }
  return healing;
}

/** The prompt with the unstable tail before `cursorAt` cut out, and the bytes generation must re-produce. */
function healPrompt(prompt: readonly number[], cursorAt: number): { prompt: readonly number[]; forced: Uint8Array } {
  const { index, isSpecial } = healingVocab();
  const cut = findHealCut(prompt.slice(0, cursorAt), index, { isSpecial });
  return { prompt: [...prompt.slice(0, cut.keep), ...prompt.slice(cursorAt)], forced: cut.removed };
}

async function load(modelPath: string, contextSize: number, threads: number, draftModelPath?: string): Promise<LocalResult> {
  const t0 = performance.now();
  lib ??= (await import('node-llama-cpp'));
  const llama = await lib.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: threads, logLevel: lib.LlamaLogLevel.error, logger: () => undefined });
  await context?.dispose();
  await model?.dispose();
  await draftModel?.dispose();
  draftModel = undefined;
  controllers.clear();
  sequence = undefined;
  try {
    model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  } catch (e) {
    throw new TokenscopeError('model-corrupt', `llama.cpp could not load ${modelPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  loadedPath = modelPath;
  healing = undefined;
  const usable = Math.min(contextSize, model.trainContextSize);
  // room past the usable context for speculation's padded verification batches (batchShapes.ts):
  // only filler tokens, never read back and erased at once, sit at those positions
  context = await model.createContext({ contextSize: usable + VERIFY_PAD_ROOM, threads, sequences: 1 });
  sequence = context.getSequence();
  shapes = undefined;
  pendingNext = undefined;
  // the healing index (~0.3 s) is built while the engine is idle after loading, not on the first
  // completion that needs it; requests run one at a time, so one arriving meanwhile waits for it
  setTimeout(() => {
    try {
      healingVocab();
    } catch {
      // built again (and the error reported) on the first healed request
    }
  }, 0);
  const draft = draftModelPath ? await loadDraftModel(llama, draftModelPath, usable, threads) : undefined;
  return { op: 'load', contextSize: usable, loadMs: performance.now() - t0, ...(draft ? { draft } : {}) };
}

function live(): { model: LlamaModel; sequence: LlamaContextSequence; lib: NodeLlamaCpp } {
  if (!model || !sequence || !lib) throw new TokenscopeError('model-missing', 'no model loaded');
  return { model, sequence, lib };
}

/** Keeps the longest common prefix of the KV cache with `prompt`; returns how many tokens it kept. */
async function reuse(seq: LlamaContextSequence, prompt: readonly Token[]): Promise<number> {
  const current = seq.contextTokens;
  let common = 0;
  const max = Math.min(current.length, prompt.length);
  while (common < max && current[common] === prompt[common]) common++;
  // at least the last prompt token must be evaluated again to get its next-token prediction
  if (common === prompt.length) common--;
  if (common < current.length) await seq.eraseContextTokenRanges([{ start: Math.max(0, common), end: current.length }]);
  pendingNext = undefined;
  return Math.max(0, common);
}

/** Evaluates `tokens` in one batch and returns the greedy next token and the top-k logits after the last. */
async function evaluateNext(seq: LlamaContextSequence, tokens: readonly Token[], topK: number): Promise<NextToken> {
  if (tokens.length === 0) throw new TokenscopeError('unsupported', 'nothing to evaluate');
  const items = tokens.map((t, i) =>
    i < tokens.length - 1 ? t : ([t, { generateNext: { token: true, options: { temperature: 0 }, ...(topK > 0 ? { logits: { filter: { tokens: [], includeTop: topK } } } : {}) } }] as const),
  );
  const out = await seq.controlledEvaluate(items as Parameters<LlamaContextSequence['controlledEvaluate']>[0]);
  const last = out[tokens.length - 1]?.next;
  if (last?.token === undefined || last.token === null) throw new TokenscopeError('malformed', 'llama.cpp returned no next token');
  pendingNext = last.token;
  return { token: last.token, top: last.logits ? [...last.logits.entries()].slice(0, topK) : [] };
}

type Request<Op extends LocalRequest['op']> = Extract<LocalRequest, { op: Op }>;
type Result<Op extends LocalResult['op']> = Extract<LocalResult, { op: Op }>;

/** One request of the host, dispatched by operation; each operation is its own function below. */
async function handle(r: LocalRequest, context: RequestContext<number>): Promise<LocalResult> {
  switch (r.op) {
    case 'load':
      return load(r.options.modelPath, r.options.contextSize, r.options.threads, r.options.draftModelPath);
    case 'tokenize':
      return { op: 'tokenize', tokens: [...live().model.tokenize(r.text, false)] };
    case 'detokenize':
      return { op: 'detokenize', text: live().model.detokenize(r.tokens as Token[], false) };
    case 'state':
      return { op: 'state', tokens: [...(sequence?.contextTokens ?? [])] };
    case 'prefill':
      return prefill(r);
    case 'append':
      return append(r);
    case 'verify':
      return verify(r);
    case 'rollback':
      return rollback(r);
    case 'generate':
      return generate(r, context);
    case 'score':
      return score(r);
    case 'coverScore':
      return coverScore(r);
  }
}

async function prefill(r: Request<'prefill'>): Promise<Result<'prefill'>> {
  const { sequence: seq } = live();
  const reused = await reuse(seq, r.prompt as Token[]);
  const next = await evaluateNext(seq, r.prompt.slice(reused) as Token[], r.topK);
  return { op: 'prefill', next, reused, evaluated: r.prompt.length - reused };
}

async function append(r: Request<'append'>): Promise<Result<'append'>> {
  const { sequence: seq } = live();
  const next = await evaluateNext(seq, r.tokens as Token[], r.topK);
  return { op: 'append', next, reused: seq.contextTokens.length - r.tokens.length, evaluated: r.tokens.length };
}

/**
 * Draft d0..dk-1 after the context: d0 must equal the pending greedy token; d_i must equal the
 * greedy token after d_(i-1). One batch evaluates all drafts; rejected ones are erased again.
 */
async function verify(r: Request<'verify'>): Promise<Result<'verify'>> {
  const { sequence: seq } = live();
  if (pendingNext === undefined) throw new TokenscopeError('unsupported', 'verify needs a prefill or append first');
  const start = seq.contextTokens.length;
  const items = r.draft.map((t) => [t, { generateNext: { token: true, options: { temperature: 0 } } }] as const);
  const out = await seq.controlledEvaluate(items as Parameters<LlamaContextSequence['controlledEvaluate']>[0]);
  let accepted = 0;
  let expected = pendingNext;
  while (accepted < r.draft.length && r.draft[accepted] === expected) {
    const next = out[accepted]?.next.token;
    if (next === undefined || next === null) throw new TokenscopeError('malformed', 'llama.cpp returned no next token');
    expected = next;
    accepted++;
  }
  if (accepted < r.draft.length) await seq.eraseContextTokenRanges([{ start: start + accepted, end: start + r.draft.length }]);
  // `expected` is the greedy token after the accepted prefix; it is not in the context yet
  pendingNext = undefined;
  return { op: 'verify', accepted, next: expected };
}

async function rollback(r: Request<'rollback'>): Promise<Result<'rollback'>> {
  const { sequence: seq } = live();
  const n = seq.contextTokens.length;
  const count = Math.min(r.count, n);
  if (count > 0) await seq.eraseContextTokenRanges([{ start: n - count, end: n }]);
  pendingNext = undefined;
  return { op: 'rollback', length: seq.contextTokens.length };
}

/**
 * Generation from `r.prompt`, reusing the longest cached prefix, streaming each token as an event.
 * With `forcedBytes`, the first tokens are chosen under the healing mask (healSteps.ts).
 */
async function generate(r: Request<'generate'>, context: RequestContext<number>): Promise<Result<'generate'>> {
  const { sequence: seq } = live();
  const t0 = performance.now();
  const healed = healedRequest(r);
  if (healed.forced.length > 0) context.emit(-1 - healed.forced.length);
  // once per model, before the prompt is evaluated (it empties the cache)
  if (r.speculate && !shapes) shapes = await measureBatchShapes(seq, healed.prompt.slice(-64), seq.context.contextSize);
  const reused = await reuse(seq, healed.prompt as Token[]);
  const steps = await forcedSteps(seq, r, healed.forced, healed.prompt.slice(reused) as Token[], context);
  // from the request's start: the first masked step evaluates the prompt too (one batch)
  const forcedMs = performance.now() - t0;
  steps.forced.forEach((t) => context.emit(t));
  const run = await freeGeneration(r, [...healed.prompt, ...steps.forced], steps.pending, Math.max(1, r.maxTokens - steps.forced.length), context, t0);
  pendingNext = undefined;
  return {
    op: 'generate',
    tokens: [...steps.forced, ...run.tokens],
    stopReason: run.stopReason,
    evaluated: healed.prompt.length - reused,
    promptUsed: healed.prompt,
    reused,
    promptMs: run.promptMs,
    genMs: performance.now() - t0 - run.promptMs,
    forced: steps.forced.length,
    forcedMs,
    healedBytes: healed.forced.length - healed.typed,
    ...(healed.typed > 0 ? { typedBytes: healed.typed } : {}),
    ...(run.speculation ? { speculation: run.speculation } : {}),
    ...(steps.exact ? { exactBytes: steps.exact.forced.length - healed.forced.length, exactEvaluations: steps.exact.evaluations } : {}),
  };
}

/** The prompt after healing's cut, and the bytes the output must re-produce: the healed ones, then the typed ones. */
function healedRequest(r: Request<'generate'>): { prompt: readonly number[]; forced: Uint8Array; typed: number } {
  const cut = r.healCursorAt !== undefined ? healPrompt(r.prompt, r.healCursorAt) : { prompt: r.prompt, forced: Uint8Array.from(r.forcedBytes ?? []) };
  const typed = r.typedBytes?.length ?? 0;
  return typed > 0 ? { prompt: cut.prompt, forced: Uint8Array.from([...cut.forced, ...r.typedBytes!]), typed } : { ...cut, typed: 0 };
}

/**
 * The steps that re-produce the forced bytes: exact healing's chosen bytes first (when asked), then
 * the masked steps. Returns their tokens and what the free generation evaluates first.
 */
async function forcedSteps(seq: LlamaContextSequence, r: Request<'generate'>, healedBytes: Uint8Array, pending: Token[], context: RequestContext<number>): Promise<{ forced: number[]; pending: Token[]; exact?: Awaited<ReturnType<typeof exactHeal>> }> {
  const aborted = (): boolean => context.aborted();
  const exact = r.exactBytes && healedBytes.length ? await exactHeal(seq, pending, healedBytes, r.exactBytes, aborted) : undefined;
  const toEvaluate = exact ? (exact.pending as Token[]) : pending;
  const bytes = exact ? exact.forced : healedBytes;
  const forced = bytes.length ? await generateForced(seq, healingVocab().index, toEvaluate, bytes, aborted) : [];
  return { forced, pending: forced.length > 0 ? [forced[forced.length - 1]! as Token] : toEvaluate, ...(exact ? { exact } : {}) };
}

/** Generation after the forced steps: speculative when asked, else node-llama-cpp's own loop. */
async function freeGeneration(
  r: Request<'generate'>,
  history: readonly number[],
  pending: Token[],
  maxTokens: number,
  context: RequestContext<number>,
  t0: number,
): Promise<{ tokens: number[]; stopReason: Result<'generate'>['stopReason']; promptMs: number; speculation?: Result<'generate'>['speculation'] }> {
  const { model: m, sequence: seq, lib: l } = live();
  const bias = r.bias?.length ? makeTokenBias(l, m, r.bias) : undefined;
  const sampling = { temperature: r.temperature, ...(r.seed !== undefined ? { seed: r.seed } : {}), ...(bias ? { tokenBias: bias } : {}) };
  if (!r.speculate) {
    // yieldEogToken: without it the generator ends silently at EOS and the stop reason is lost
    const gen = seq.evaluate(pending, { ...sampling, yieldEogToken: true });
    return collectTokens(gen, { ...r, maxTokens }, context, m, t0);
  }
  lookup.setSources(r.speculate.lookupSources ?? []);
  const controller = controllerFor(r.speculate.drafters, r.speculate.always ?? false);
  if (shapes) controller.costs.setPrior((k) => shapes!.verifyMs(k));
  const s = await generateSpeculative(seq, history, pending, controller, {
    ...sampling,
    maxTokens,
    stopTokens: new Set(r.stopTokens ?? []),
    isEog: (t) => m.isEogToken(t as Token),
    emit: (t) => context.emit(t),
    aborted: () => context.aborted(),
    ...(shapes ? { shapes } : {}),
    contextSize: seq.context.contextSize,
  });
  const { tokens, stopReason, ...speculation } = s;
  return { tokens, stopReason, promptMs: 0, speculation };
}

/** Evaluates the rest of the prompt, then reads the bytes after `healed` from the exact byte-level distribution. */
async function evaluatedCovers(seq: LlamaContextSequence, pending: readonly Token[], budget: CoverBudget): Promise<ReturnType<typeof coversOnSequence>> {
  if (pending.length > 0) await seq.controlledEvaluate([...pending]);
  const { index, encode } = healingVocab();
  return coversOnSequence(seq, index, encode, budget);
}

/**
 * Exact healing's first part: healed bytes plus the ones the exact next-byte distribution picks.
 * Leaves the prompt's last token to evaluate again (the masked steps read its output).
 */
async function exactHeal(seq: LlamaContextSequence, pending: readonly Token[], healed: Uint8Array, maxBytes: number, aborted: () => boolean): Promise<{ forced: Uint8Array; pending: number[]; evaluations: number }> {
  const { covers, model } = await evaluatedCovers(seq, pending, GENERATION_BUDGET);
  const chosen = await chooseExactBytes(covers, healed, maxBytes, aborted);
  const last = await model.releaseLastPromptToken();
  const forced = new Uint8Array(healed.length + chosen.length);
  forced.set(healed);
  forced.set(chosen, healed.length);
  return { forced, pending: [last], evaluations: model.evaluations };
}

async function coverScore(r: Request<'coverScore'>): Promise<Result<'coverScore'>> {
  const { sequence: seq } = live();
  const reused = await reuse(seq, r.prompt as Token[]);
  const { covers, model } = await evaluatedCovers(seq, r.prompt.slice(reused) as Token[], SCORING_BUDGET);
  const bytes = Uint8Array.from(r.bytes);
  const logP = await covers.prefixLogProb(bytes);
  const withHealing = r.healed > 0;
  const result: Result<'coverScore'> = {
    op: 'coverScore',
    logP,
    logPHealed: withHealing ? await covers.prefixLogProb(bytes.subarray(0, r.healed)) : 0,
    logPClassic: withHealing ? await covers.classicLogProb(bytes, r.healed) : logP,
    evaluations: model.evaluations,
  };
  await model.releaseLastPromptToken();
  pendingNext = undefined;
  return result;
}

async function score(r: Request<'score'>): Promise<Result<'score'>> {
  const { sequence: seq } = live();
  const reused = await reuse(seq, r.prompt as Token[]);
  const forced = r.forcedBytes?.length ? Uint8Array.from(r.forcedBytes) : undefined;
  const s = await scoreContinuation(seq, forced ? healingVocab().index : undefined, r.prompt.slice(reused), r.continuation, forced);
  pendingNext = undefined;
  return { op: 'score', ...s };
}

/** Pulls tokens until end of generation, a stop token, the limit or an abort; closes the generator. */
async function collectTokens(
  gen: AsyncGenerator<Token, void, Token | undefined>,
  r: Request<'generate'>,
  context: RequestContext<number>,
  m: LlamaModel,
  t0: number,
): Promise<{ tokens: number[]; stopReason: Result<'generate'>['stopReason']; promptMs: number }> {
  const stop = new Set(r.stopTokens ?? []);
  const tokens: number[] = [];
  let promptMs = 0;
  let stopReason: Result<'generate'>['stopReason'] = 'limit';
  try {
    for await (const token of gen) {
      if (tokens.length === 0) promptMs = performance.now() - t0;
      if (context.aborted()) {
        stopReason = 'aborted';
        break;
      }
      if (m.isEogToken(token)) {
        stopReason = 'eos';
        break;
      }
      tokens.push(token);
      context.emit(token);
      if (stop.has(token)) {
        stopReason = 'stop';
        break;
      }
      if (tokens.length >= r.maxTokens) break;
    }
  } finally {
    await gen.return();
  }
  return { tokens, stopReason, promptMs };
}

const parent = processParent();
// unknown errors come from node-llama-cpp refusing the model or its state
if (parent) serveRequests(parent, handle, { fallbackCode: 'model-corrupt' });
