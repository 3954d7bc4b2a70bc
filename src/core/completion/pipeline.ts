import { raceAbort } from '../../common/async';
import type { InfillRequest, InfillResult } from '../backend/backend';
import { SuggestionCache, typedThrough } from './cache';
import { postprocess } from './postprocess';
import { withoutSuffixHead } from './suffixHead';
import { afterPartialWord, cutPartialWord } from './textHealing';
import type { CompletionContext, HealingApplied, HealingMode, Suggestion } from './types';

/** One generation as the backend runs it; `onText` streams the text after the cursor. */
export interface GenerateRequest {
  readonly context: CompletionContext;
  /** 'classic' / 'exact': token-level healing in the backend. */
  readonly healing: HealingMode;
  readonly maxTokens: number;
  readonly signal: AbortSignal;
  readonly onText: (chunk: string) => void;
  /** Lossless speculative decoding, with extra text prompt lookup may copy from. */
  readonly speculate?: { readonly lookupSources: readonly string[] };
}

export interface Generated {
  readonly text: string;
  readonly healedBytes: number;
  readonly healMs?: number;
  /** The backend's whole report (tokens, timings, speculation). */
  readonly detail?: InfillResult;
}

export type Generate = (request: GenerateRequest) => Promise<Generated>;

/** A Generate over a backend's infill (greedy; any CompletionBackend, BackendService or LocalBackend). */
export function generateWith(infill: (request: InfillRequest) => Promise<InfillResult>): Generate {
  return async (r) => {
    const res = await infill({ prefix: (r.context.header ?? '') + r.context.prefix, suffix: r.context.suffix, maxTokens: r.maxTokens, temperature: 0, healing: r.healing, signal: r.signal, onText: r.onText, ...(r.speculate ? { speculate: r.speculate } : {}) });
    return { text: res.text, healedBytes: res.healedBytes ?? 0, ...(res.healMs !== undefined ? { healMs: res.healMs } : {}), detail: res };
  };
}

export interface PipelineOptions {
  readonly healing: HealingMode;
  /** Whether the backend heals at token level (byte mask); otherwise healing is text level. */
  readonly tokenLevel: boolean;
  readonly maxTokens: number;
  /** Lossless speculative decoding in the backend (local only; output unchanged, only faster). */
  readonly speculate?: boolean;
  /** Extra text prompt lookup may copy from while speculating (windows of other open files). */
  readonly lookupSources?: readonly string[];
}

export type CompletionOutcome = { readonly suggestion: Suggestion } | { readonly skipped: string };

/** A generation that is running (or just finished), shared by the requests that can reuse it. */
class Flight {
  readonly abort = new AbortController();
  /** Text after the cursor streamed so far (after text-level healing's partial word). */
  streamed = '';
  raw = '';
  settled = false;
  /** What the newest request reusing this flight typed since it started; the stream must agree with it. */
  expect: string | undefined;
  /** Aborted because the stream contradicted `expect`: its waiter starts a fresh generation. */
  diverged = false;
  promise!: Promise<{ text: string; healing: HealingApplied; healedBytes: number; healMs?: number; detail?: InfillResult }>;

  constructor(
    readonly context: CompletionContext,
    /** Text-level healing: the partial word the output must start with. */
    readonly partial: string,
    /** The options it runs with (see SuggestionCache). */
    readonly variant: string,
  ) {}

  /**
   * Whether a request whose prefix grew by `typed` can still be served by this generation: what it
   * streamed so far agrees with the typing (and it has streamed something: a generation still
   * evaluating its prompt is cheaper to replace than to wait for blindly).
   */
  matches(typed: string): boolean {
    if (this.abort.signal.aborted || this.streamed === '') return false;
    return this.streamed.startsWith(typed) || (!this.settled && typed.startsWith(this.streamed));
  }

  onRaw(chunk: string): void {
    this.raw += chunk;
    if (this.raw.length >= this.partial.length) this.streamed = this.raw.slice(this.partial.length);
    const e = this.expect;
    if (e !== undefined && !this.streamed.startsWith(e) && !e.startsWith(this.streamed)) {
      this.diverged = true;
      this.abort.abort();
    }
  }
}

/**
 * The completion pipeline after the context is cut: cache (exact and typed-through) → in-flight
 * reuse → generation (token-level healing in the backend, or text level) → post-processing → cache.
 * A new request aborts the previous generation unless what the user typed meanwhile is what that
 * generation is producing (**in-flight reuse**): then it waits for it and serves the rest. The
 * caller's signal only stops *waiting*; the generation belongs to the pipeline, so a cancelled
 * request does not throw away work the next keystroke can use.
 */
export class CompletionPipeline {
  private readonly cache = new SuggestionCache();
  private flight: Flight | undefined;
  /** The last suggestion generated (prompt lookup's likeliest source of a repeated edit). */
  private lastShown: string | undefined;
  /** Generations started, prefetches included (tests: a suggestion served without a new one). */
  started = 0;

  constructor(private readonly generate: Generate) {}

  async complete(context: CompletionContext, options: PipelineOptions, signal: AbortSignal): Promise<CompletionOutcome> {
    const t0 = performance.now();
    const variant = variantOf(options);
    const hit = this.cache.get(variant, context);
    if (hit) return { suggestion: { text: hit.text, source: hit.kind, healing: 'none', healedBytes: 0, latencyMs: performance.now() - t0 } };
    const reused = this.reusableFlight(context, variant);
    if (reused) {
      reused.expect = context.prefix.slice(reused.context.prefix.length);
      try {
        const served = await this.serveFrom(reused, variant, context, signal, t0);
        if (served) return served;
      } catch (e) {
        if (!reused.diverged || signal.aborted) throw e;
      }
      // the generation went another way than the typing: a fresh one for what is there now
    }
    return (await this.serveFrom(this.start(context, options, variant), variant, context, signal, t0)) ?? { skipped: 'the suggestion does not continue what was typed' };
  }

  /** Waits for `flight`, post-processes and caches its suggestion, and serves it for `context` (undefined: it diverged). */
  private async serveFrom(flight: Flight, variant: string, context: CompletionContext, signal: AbortSignal, t0: number): Promise<CompletionOutcome | undefined> {
    const done = await raceAbort(flight.promise, signal);
    const shown = postprocess(done.text, flight.context);
    const mine = flight.context === context;
    // a prefetch for exactly this context (another request object) serves it whole
    const same = mine || (flight.context.prefix === context.prefix && flight.context.suffix === context.suffix);
    if ('dropped' in shown) return same ? { skipped: `dropped by ${shown.dropped}` } : undefined;
    this.cache.set(variant, flight.context, shown.text);
    this.lastShown = shown.text;
    const text = same ? shown.text : typedThrough({ ...flight.context, text: shown.text }, context);
    if (text === undefined) return undefined;
    return { suggestion: { text, source: mine ? 'generated' : 'in-flight', healing: done.healing, healedBytes: done.healedBytes, latencyMs: performance.now() - t0, ...(done.healMs !== undefined ? { healMs: done.healMs } : {}), ...(done.detail ? { detail: done.detail } : {}) } };
  }

  /** Aborts the generation in flight (e.g. the document closed or the backend changed). */
  cancel(): void {
    this.flight?.abort.abort();
    this.flight = undefined;
  }

  clearCache(): void {
    this.cache.clear();
  }

  /**
   * Speculative prefetch: the suggestion that would follow accepting `text` at `context`, generated
   * now (the user reads the suggestion for hundreds of ms; the engine is idle) and cached, so that
   * Tab is followed by the next suggestion at once. Never pre-empts a running generation; any
   * request for another context aborts it (start() aborts the flight), so typing cancels it; a
   * request for exactly that context while it runs waits for it instead (reusableFlight).
   */
  prefetch(context: CompletionContext, text: string, options: PipelineOptions): boolean {
    if (text === '' || (this.flight && !this.flight.settled)) return false;
    const next: CompletionContext = { ...context, prefix: context.prefix + text };
    const variant = variantOf(options);
    if (this.cache.get(variant, next)) return false;
    const f = this.start(next, options, variant);
    void f.promise.then(
      (done) => {
        const shown = postprocess(done.text, next);
        if (!('dropped' in shown)) this.cache.set(variant, next, shown.text);
      },
      () => undefined,
    );
    return true;
  }

  private reusableFlight(context: CompletionContext, variant: string): Flight | undefined {
    const f = this.flight;
    if (!f || f.variant !== variant || f.context.suffix !== context.suffix || context.prefix.length < f.context.prefix.length || !context.prefix.startsWith(f.context.prefix)) return undefined;
    const typed = context.prefix.slice(f.context.prefix.length);
    // the very context it runs for (a prefetch the user just accepted into): wait for it
    if (typed === '') return f.abort.signal.aborted ? undefined : f;
    return f.matches(typed) ? f : undefined;
  }

  private start(context: CompletionContext, options: PipelineOptions, variant: string): Flight {
    this.flight?.abort.abort();
    const textLevel = options.healing !== 'off' && !options.tokenLevel;
    const cut = textLevel ? cutPartialWord(context) : { context, partial: '' };
    const f = new Flight(context, cut.partial, variant);
    this.flight = f;
    this.started++;
    f.promise = this.generate({
      context: withoutSuffixHead(cut.context),
      healing: textLevel ? 'off' : options.healing,
      maxTokens: options.maxTokens,
      signal: f.abort.signal,
      onText: (c) => f.onRaw(c),
      // the last suggestion is the likeliest text to be copied again (a repeated edit)
      ...(options.speculate ? { speculate: { lookupSources: [...(this.lastShown ? [this.lastShown] : []), ...(options.lookupSources ?? [])] } } : {}),
    }).then(
      (g) => {
        f.settled = true;
        const detail = g.detail ? { detail: g.detail } : {};
        if (!textLevel) return { text: g.text, healing: g.healedBytes === 0 ? 'none' : options.healing === 'exact' ? 'exact' : 'token', healedBytes: g.healedBytes, ...(g.healMs !== undefined ? { healMs: g.healMs } : {}), ...detail };
        const after = afterPartialWord(g.text, cut.partial);
        // a suggestion that does not re-type the partial word is dropped (empty → dropEmpty)
        return { text: after ?? '', healing: cut.partial ? 'text' : 'none', healedBytes: 0, ...detail };
      },
      (e: unknown) => {
        f.settled = true;
        if (this.flight === f) this.flight = undefined;
        throw e;
      },
    );
    // a generation nobody waits for any more must not become an unhandled rejection
    f.promise.catch(() => undefined);
    return f;
  }
}

/** The options a suggestion depends on (speculation does not change it). */
function variantOf(options: PipelineOptions): string {
  return `${options.healing}/${options.tokenLevel ? 'token' : 'text'}/${options.maxTokens}`;
}
