import * as path from 'path';
import { fork, type ChildProcess } from 'child_process';
import { nextTurn, raceAbort } from '../../../common/async';
import { asBackendErrorCode, BackendError } from '../../../common/errors';
import { childProcessTransport, describeExit, RequestChannel, stderrSummary } from '../../../common/requestChannel';
import type { GgufTokenizer } from '../../tokenizer/gguf/ggufTokenizer';
import type { BackendCapabilities, BackendHealth, CompletionBackend, HealingMode, InfillRequest, InfillResult } from '../backend';
import { HealedTextDecoder } from '../../completion/heal/healedTextDecoder';
import { Collector } from '../collector';
import { FIM_TEMPLATES } from '../fimTemplates';
import type { DraftModelStatus, LocalRequest, LocalResult, NextToken } from './localProtocol';
import { readModelInfoSliced, type ModelInfo } from './modelInfo';

export interface LocalBackendOptions {
  readonly modelPath: string;
  /** A smaller GGUF with the same vocabulary drafting for speculative decoding (refused otherwise: see `load.draft`). */
  readonly draftModelPath?: string;
  /** The engine's child-process script (dist/localWorker.js in the extension, out/… in tests). */
  readonly workerScript: string;
  /** KV cache size in tokens (capped at the model's training context). */
  readonly contextSize?: number;
  /** llama.cpp threads: 1 is fastest and steadiest on 2 cores (measured). */
  readonly threads?: number;
  /** Called when the engine process dies unexpectedly (it restarts on the next request). */
  readonly onCrash?: (e: BackendError) => void;
}

const cancelled = (): BackendError => new BackendError('aborted', 'cancelled');

type ResultOf<Op extends LocalResult['op']> = Extract<LocalResult, { op: Op }>;

const ALL: BackendCapabilities = {
  infill: true,
  tokenize: true,
  vocabulary: true,
  tokenPrompt: true,
  nextTokenDistribution: true,
  logitBias: true,
  verifyDraft: true,
  tokenHealing: true,
  prefixCache: true,
};

/**
 * llama.cpp on this machine: node-llama-cpp in a child process, so inference never runs on the
 * extension host's thread and a native crash never takes the extension host down (localWorker.ts).
 * The vocabulary, its raw bytes and tokenization come from the GGUF file through Tokenscope's own
 * exact tokenizer on this thread (no round trip); generation and the token-level session (prefill
 * with KV-cache reuse, append, one-batch draft verification, rollback) go to the engine process.
 * Every request takes an AbortSignal; cancelling a generation stops it after the current token.
 */
export class LocalBackend implements CompletionBackend {
  readonly kind = 'local';
  readonly capabilities = ALL;
  readonly name: string;
  private worker: { readonly process: ChildProcess; readonly channel: RequestChannel<LocalRequest, LocalResult, number> } | undefined;
  private disposed = false;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly info: ModelInfo,
    readonly tokenizer: GgufTokenizer,
    private readonly options: LocalBackendOptions,
  ) {
    this.name = path.basename(info.path);
  }

  /** Reads the model's metadata (fails fast: missing, corrupt, no FIM), starts the worker, loads the weights. */
  static async open(options: LocalBackendOptions, signal?: AbortSignal): Promise<LocalBackend> {
    // the vocabulary is read on this thread (the extension host): in steps, never one long task
    const { info, tokenizer } = await readModelInfoSliced(options.modelPath, nextTurn);
    const b = new LocalBackend(info, tokenizer, options);
    try {
      b.ensureWorker(); // starts the engine, which loads the model first
      const load = await raceAbort(b.loading!, signal, cancelled);
      if (load.op === 'load') b.load = load;
    } catch (e) {
      b.dispose();
      throw e;
    }
    return b;
  }

  /** The engine's load result: context size (tokens) and load time (ms) of the last (re)start. */
  load: { readonly contextSize: number; readonly loadMs: number; readonly draft?: DraftModelStatus } | undefined;
  /** The prompt typing continues from (anchoredPrompt). */
  private anchor: { readonly prefix: string; readonly suffix: string; readonly prompt: number[]; readonly cursorAt: number } | undefined;

  async health(): Promise<BackendHealth> {
    await Promise.resolve();
    if (this.disposed) return { ok: false, error: 'model-missing', detail: 'model unloaded' };
    if (this.givenUp()) return { ok: false, error: 'engine-crashed', detail: 'llama.cpp crashed repeatedly; not restarted' };
    return { ok: true, detail: `${this.name}${this.worker ? ' loaded' : ' (restarts on the next request)'}` };
  }

  tokenize(text: string): Promise<number[]> {
    return Promise.resolve(Array.from(this.tokenizer.encode(text)));
  }

  detokenize(tokens: readonly number[]): Promise<string> {
    return Promise.resolve(new TextDecoder().decode(this.tokenizer.decodeBytes(tokens)));
  }

  /** llama.cpp's own tokenization (in the worker), to check ours against it. */
  async llamaTokenize(text: string, signal?: AbortSignal): Promise<number[]> {
    return ((await this.call({ op: 'tokenize', text }, signal)) as ResultOf<'tokenize'>).tokens;
  }

  /** Requests waiting for the worker (0 when idle: cancelled requests release their entries). */
  get pendingRequests(): number {
    return this.worker?.channel.pendingCount ?? 0;
  }

  /** The engine's process id (for the log and "Show Model Info"). */
  get enginePid(): number | undefined {
    return this.worker?.process.pid;
  }

  /** Whether the engine process (and the model in it) is alive. */
  get loaded(): boolean {
    return this.worker !== undefined;
  }

  /** The FIM prompt as token ids (markers as single tokens, text tokenized exactly as llama.cpp would). */
  fimPrompt(prefix: string, suffix: string): number[] {
    return this.fimPromptAt(prefix, suffix).prompt;
  }

  /** The FIM prompt and the index where the prefix's tokens end (the cursor; healing cuts before it). */
  fimPromptAt(prefix: string, suffix: string): { prompt: number[]; cursorAt: number } {
    const f = this.info.fim;
    const pre = Array.from(this.tokenizer.encode(prefix));
    const suf = Array.from(this.tokenizer.encode(suffix));
    return f.order === 'psm'
      ? { prompt: [f.prefix, ...pre, f.suffix, ...suf, f.middle], cursorAt: 1 + pre.length }
      : { prompt: [f.suffix, ...suf, f.prefix, ...pre], cursorAt: 2 + suf.length + pre.length };
  }

  /**
   * The prompt for a request, and the text typed since it was built. While the user types on one
   * line (same suffix, the prefix grown by at most MAX_TYPED_BYTES), the previous prompt is kept
   * and the typed text becomes bytes the output must re-produce (like healed bytes): the engine
   * re-uses the prompt's whole KV cache instead of re-evaluating everything after the cursor — in
   * PSM order that is the whole suffix, up to 128 tokens per keystroke (bench spec.kv.*).
   */
  anchoredPrompt(prefix: string, suffix: string): { prompt: number[]; cursorAt: number; typed: Uint8Array } {
    const a = this.anchor;
    if (a && suffix === a.suffix && prefix.startsWith(a.prefix)) {
      const typed = Buffer.from(prefix.slice(a.prefix.length), 'utf8');
      if (typed.length <= MAX_TYPED_BYTES && !typed.includes(0x0a)) return { prompt: a.prompt, cursorAt: a.cursorAt, typed };
    }
    const { prompt, cursorAt } = this.fimPromptAt(prefix, suffix);
    this.anchor = { prefix, suffix, prompt, cursorAt };
    return { prompt, cursorAt, typed: new Uint8Array(0) };
  }

  async infill(req: InfillRequest): Promise<InfillResult> {
    const { prompt, cursorAt, typed } = this.anchoredPrompt(req.prefix, req.suffix);
    // end-of-generation tokens stop generation in the engine; the family's stop texts catch the rest
    const family = this.info.family ? FIM_TEMPLATES[this.info.family] : undefined;
    const c = new Collector({ ...req, stop: [...(req.stop ?? []), ...(family?.stop ?? [])] });
    const text = new HealedTextDecoder((t) => this.tokenizer.tokenBytes(t));
    let stoppedByText = false;
    // a stop text ends the generation like the caller's signal does
    const stopped = new AbortController();
    const r = await this.generate(
      {
        prompt,
        maxTokens: req.maxTokens,
        temperature: req.temperature,
        ...healingFields(req.healing, cursorAt),
        ...(typed.length > 0 ? { typedBytes: [...typed] } : {}),
        ...(req.speculate ? { speculate: { lookupSources: (req.speculate.lookupSources ?? []).map((s) => Array.from(this.tokenizer.encode(s))) } } : {}),
      },
      (event) => {
        if (stoppedByText) return;
        if (c.add(text.push(event))) {
          stoppedByText = true;
          stopped.abort();
        }
      },
      req.signal ? AbortSignal.any([req.signal, stopped.signal]) : stopped.signal,
    );
    if (!stoppedByText) c.add(text.end());
    if (req.signal?.aborted) throw cancelled();
    return c.result(stoppedByText ? 'stop' : r.stopReason, {
      tokens: r.tokens,
      promptTokens: prompt.length,
      generatedTokens: r.tokens.length,
      healedBytes: r.healedBytes,
      promptEvaluated: r.evaluated,
      promptUsed: r.promptUsed,
      ...(r.typedBytes ? { typedBytes: r.typedBytes } : {}),
      ...(r.forced > 0 ? { healMs: r.forcedMs } : {}),
      ...(r.speculation ? { speculation: r.speculation } : {}),
    });
  }

  /** Byte-level likelihood of `bytes` after `prompt` by cover sums (see the 'coverScore' operation). */
  async coverScore(prompt: readonly number[], bytes: Uint8Array, healed: number, signal?: AbortSignal): Promise<ResultOf<'coverScore'>> {
    return (await this.call({ op: 'coverScore', prompt, bytes: [...bytes], healed }, signal)) as ResultOf<'coverScore'>;
  }

  /** Scores `continuation` after `prompt` by teacher forcing (see the 'score' operation). */
  async score(prompt: readonly number[], continuation: readonly number[], forcedBytes?: Uint8Array, signal?: AbortSignal): Promise<ResultOf<'score'>> {
    return (await this.call({ op: 'score', prompt, continuation, ...(forcedBytes ? { forcedBytes: [...forcedBytes] } : {}) }, signal)) as ResultOf<'score'>;
  }

  // ---- token-level session -----------------------------------------------------------------------

  /** Generates from `prompt` (reusing the cached prefix), streaming each token. */
  generate(
    request: Omit<Extract<LocalRequest, { op: 'generate' }>, 'op'>,
    onToken?: (t: number) => void,
    signal?: AbortSignal,
  ): Promise<ResultOf<'generate'>> {
    return this.call({ op: 'generate', ...request }, signal, onToken) as Promise<ResultOf<'generate'>>;
  }

  /** Makes the context `prompt` (keeping the longest cached prefix) and predicts the next token. */
  prefill(prompt: readonly number[], topK = 0, signal?: AbortSignal): Promise<ResultOf<'prefill'>> {
    return this.call({ op: 'prefill', prompt, topK }, signal) as Promise<ResultOf<'prefill'>>;
  }

  /** Adds tokens to the context and predicts the next token. */
  async append(tokens: readonly number[], topK = 0, signal?: AbortSignal): Promise<NextToken> {
    return ((await this.call({ op: 'append', tokens, topK }, signal)) as ResultOf<'append'>).next;
  }

  /** Verifies draft tokens against greedy decoding in one batch; rejected ones leave the context. */
  verify(draft: readonly number[], signal?: AbortSignal): Promise<ResultOf<'verify'>> {
    return this.call({ op: 'verify', draft }, signal) as Promise<ResultOf<'verify'>>;
  }

  /** Removes the last `count` tokens from the context (KV cache); returns the new length. */
  async rollback(count: number, signal?: AbortSignal): Promise<number> {
    return ((await this.call({ op: 'rollback', count }, signal)) as ResultOf<'rollback'>).length;
  }

  async contextTokens(): Promise<number[]> {
    return ((await this.call({ op: 'state' })) as ResultOf<'state'>).tokens;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** Crash times (ms, performance.now()) in the last minute: after 3 the engine is not restarted (a crash loop). */
  private crashes: number[] = [];
  private loading: Promise<LocalResult> | undefined;

  private givenUp(): boolean {
    const now = performance.now();
    this.crashes = this.crashes.filter((t) => now - t < 60_000);
    return this.crashes.length >= 3;
  }

  /**
   * The engine process, started (and its model loaded) on first use and again after a crash: the
   * load message goes first, so every later request finds the model in place.
   */
  private ensureWorker(): RequestChannel<LocalRequest, LocalResult, number> {
    if (this.worker) return this.worker.channel;
    if (this.givenUp()) throw new BackendError('engine-crashed', `llama.cpp crashed ${this.crashes.length} times in a minute; not restarting it (pick the model again to retry)`);
    // execArgv [] : never inherit the extension host's --inspect flags; 'advanced' serialization
    // (structured clone) keeps token arrays cheap to pass.
    const child = fork(this.options.workerScript, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const channel = new RequestChannel<LocalRequest, LocalResult, number>(childProcessTransport(child), {
      abortError: cancelled,
      // the status bar has a state for each known code; anything else is the engine refusing the model
      replyError: (code, message) => new BackendError(asBackendErrorCode(code, 'model-corrupt'), message),
      exitError: (exit) => {
        if (exit.error) return new BackendError('engine-crashed', `llama.cpp process failed: ${exit.error.message}`, { cause: exit.error });
        const tail = stderrSummary(exit, 3);
        const e = new BackendError('engine-crashed', `llama.cpp process exited (${describeExit(exit)})${tail ? `: ${tail}` : ''}`);
        // after dispose the exit is expected, not a crash
        if (this.worker?.process === child) {
          this.worker = undefined;
          this.crashes.push(performance.now());
          this.options.onCrash?.(e);
        }
        return e;
      },
    });
    this.worker = { process: child, channel };
    const o = this.options;
    this.loading = channel.request({ op: 'load', options: { modelPath: o.modelPath, contextSize: o.contextSize ?? 4096, threads: o.threads ?? 1, ...(o.draftModelPath ? { draftModelPath: o.draftModelPath } : {}) } });
    // open() reports a failed load; after a restart the requests behind it fail with "no model loaded"
    this.loading.then((r) => r.op === 'load' && (this.load = r), () => undefined);
    return channel;
  }

  private call(request: LocalRequest, signal?: AbortSignal, onToken?: (t: number) => void): Promise<LocalResult> {
    if (this.disposed) return Promise.reject(new BackendError('model-missing', 'backend disposed'));
    if (signal?.aborted) return Promise.reject(cancelled());
    let channel: RequestChannel<LocalRequest, LocalResult, number>;
    try {
      channel = this.ensureWorker();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    // an aborted generation answers with the tokens so far (stopReason 'aborted'); a queued request with 'aborted'
    return channel.request(request, { ...(signal ? { signal } : {}), ...(onToken ? { onEvent: onToken } : {}) });
  }

  /** Resolves when the engine process has exited (after dispose: the model's memory is released with it). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const w = this.worker;
    this.worker = undefined;
    w?.channel.close(new BackendError('aborted', 'backend disposed'));
    // SIGKILL: the engine holds nothing worth a graceful exit, and the OS frees the model at once
    w?.process.kill('SIGKILL');
    this.tokenizer.dispose();
  }
}

/** Typed text longer than this re-prompts (the forced steps would cost more than re-evaluating the suffix). */
const MAX_TYPED_BYTES = 48;

/**
 * Bytes after the healed ones that exact healing picks from the byte-level distribution (at most;
 * it stops where the cut word ends). 8 covers most identifier remainders; each byte costs about one
 * engine evaluation (bench fim.heal.overhead.p50.exact).
 */
const EXACT_BYTES = 8;

/** The generate request's healing fields for a mode. */
function healingFields(mode: HealingMode | undefined, cursorAt: number): { healCursorAt?: number; exactBytes?: number } {
  if (mode === 'classic') return { healCursorAt: cursorAt };
  if (mode === 'exact') return { healCursorAt: cursorAt, exactBytes: EXACT_BYTES };
  return {};
}
