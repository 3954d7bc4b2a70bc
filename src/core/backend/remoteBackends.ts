import { BackendError } from '../../common/errors';
import type { BackendCapabilities, BackendHealth, CompletionBackend, InfillRequest, InfillResult, StopReason } from './backend';
import { Collector } from './collector';
import { FIM_TEMPLATES, fimPrompt, type FimFamily } from './fimTemplates';
import { requestJson, requestStream, type HttpOptions } from './http';

export interface RemoteOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 (llama-server), http://127.0.0.1:11434 (Ollama), https://host/v1 (OpenAI-compatible). */
  readonly url: string;
  /** Model name (Ollama, OpenAI-compatible). */
  readonly model?: string;
  /** Idle timeout per request (ms). */
  readonly timeoutMs: number;
  /** Bearer token for OpenAI-compatible servers. */
  readonly apiKey?: string;
  /**
   * Raw prompt with this family's FIM markers instead of the server's suffix support (Ollama `raw`,
   * OpenAI-compatible servers without `suffix`).
   */
  readonly fimTemplate?: FimFamily;
}

const NONE: BackendCapabilities = {
  infill: true,
  tokenize: false,
  vocabulary: false,
  tokenPrompt: false,
  nextTokenDistribution: false,
  logitBias: false,
  verifyDraft: false,
  prefixCache: false,
};

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

function obj(v: unknown, what: string, url: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BackendError('malformed', `${url}: expected an object for ${what}, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return v as Record<string, unknown>;
}

/**
 * llama.cpp's `llama-server`: `/infill` (streamed), `/completion` with token-id prompts and top-k
 * probabilities, `/tokenize`, `/detokenize`, `/health`; `cache_prompt` keeps the prompt's KV cache.
 * Lacks: the vocabulary's raw bytes and one-batch draft verification (speculation runs server-side
 * if configured there), so healing works on text and speculation is the server's business.
 */
export class LlamaServerBackend implements CompletionBackend {
  readonly kind = 'llama-server';
  readonly capabilities: BackendCapabilities = { ...NONE, tokenize: true, tokenPrompt: true, nextTokenDistribution: true, logitBias: true, prefixCache: true };
  readonly name: string;

  constructor(private readonly opts: RemoteOptions) {
    this.name = `llama-server ${base(opts.url)}`;
  }

  private http(signal?: AbortSignal): HttpOptions {
    return { timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) };
  }

  async health(signal?: AbortSignal): Promise<BackendHealth> {
    try {
      const r = obj(await requestJson('GET', `${base(this.opts.url)}/health`, undefined, this.http(signal)), 'health', this.opts.url);
      return { ok: true, detail: typeof r.status === 'string' ? r.status : 'ok' };
    } catch (e) {
      if (e instanceof BackendError) return { ok: false, error: e.backendCode, detail: e.message };
      throw e;
    }
  }

  async infill(req: InfillRequest): Promise<InfillResult> {
    const url = `${base(this.opts.url)}/infill`;
    const c = new Collector(req);
    let stopType: StopReason | undefined;
    let promptTokens: number | undefined;
    let generated: number | undefined;
    const body = { input_prefix: req.prefix, input_suffix: req.suffix, n_predict: req.maxTokens, temperature: req.temperature, stream: true, cache_prompt: true, ...(req.stop?.length ? { stop: req.stop } : {}) };
    for await (const raw of requestStream(url, body, 'sse', this.http(req.signal))) {
      const m = obj(raw, 'an infill chunk', url);
      if (typeof m.content === 'string' && c.add(m.content)) return c.result('stop');
      if (m.stop === true) {
        stopType = m.stop_type === 'limit' || m.stopped_limit === true ? 'limit' : m.stop_type === 'word' || m.stopped_word === true ? 'stop' : 'eos';
        promptTokens = typeof m.tokens_evaluated === 'number' ? m.tokens_evaluated : undefined;
        generated = typeof m.tokens_predicted === 'number' ? m.tokens_predicted : undefined;
        break;
      }
    }
    if (!stopType) throw new BackendError('truncated', `${url}: the stream ended without a final message`);
    return c.result(stopType, { ...(promptTokens !== undefined ? { promptTokens } : {}), ...(generated !== undefined ? { generatedTokens: generated } : {}) });
  }

  async tokenize(text: string, signal?: AbortSignal): Promise<number[]> {
    const url = `${base(this.opts.url)}/tokenize`;
    const r = obj(await requestJson('POST', url, { content: text, add_special: false, parse_special: false }, this.http(signal)), 'tokenize', url);
    if (!Array.isArray(r.tokens) || !r.tokens.every((t) => typeof t === 'number')) throw new BackendError('malformed', `${url}: no token list`);
    return r.tokens;
  }

  async detokenize(tokens: readonly number[], signal?: AbortSignal): Promise<string> {
    const url = `${base(this.opts.url)}/detokenize`;
    const r = obj(await requestJson('POST', url, { tokens }, this.http(signal)), 'detokenize', url);
    if (typeof r.content !== 'string') throw new BackendError('malformed', `${url}: no content`);
    return r.content;
  }

  /**
   * The k most likely next tokens after a token-id prompt (logit bias applied), greedy. One
   * `/completion` request with n_predict 1 and n_probs k.
   */
  async nextTokens(prompt: readonly number[], k: number, bias?: readonly (readonly [number, number])[], signal?: AbortSignal): Promise<{ id: number; prob: number }[]> {
    const url = `${base(this.opts.url)}/completion`;
    const r = obj(
      await requestJson('POST', url, { prompt, n_predict: 1, n_probs: k, temperature: 0, cache_prompt: true, ...(bias?.length ? { logit_bias: bias } : {}) }, this.http(signal)),
      'completion',
      url,
    );
    const probs = Array.isArray(r.completion_probabilities) ? (r.completion_probabilities[0] as Record<string, unknown> | undefined) : undefined;
    const list = (probs?.top_logprobs ?? probs?.top_probs ?? probs?.probs);
    if (!Array.isArray(list)) throw new BackendError('malformed', `${url}: no completion_probabilities`);
    return list.map((p: unknown) => {
      const o = obj(p, 'a probability entry', url);
      const id = typeof o.id === 'number' ? o.id : typeof o.tok === 'number' ? o.tok : NaN;
      const prob = typeof o.prob === 'number' ? o.prob : typeof o.logprob === 'number' ? Math.exp(o.logprob) : NaN;
      if (!Number.isFinite(id) || !Number.isFinite(prob)) throw new BackendError('malformed', `${url}: bad probability entry ${JSON.stringify(o).slice(0, 80)}`);
      return { id, prob };
    });
  }

  dispose(): void {
    // stateless client
  }
}

/**
 * Ollama: `/api/generate` (newline-delimited JSON), with the `suffix` parameter (the model's template
 * must support it) or, with a FIM family configured, a raw prompt with that family's markers.
 * Lacks: tokenization, the vocabulary, token prompts, distributions, bias and draft verification —
 * healing degrades to its text-level form, speculation is unavailable.
 */
export class OllamaBackend implements CompletionBackend {
  readonly kind = 'ollama';
  readonly capabilities: BackendCapabilities = { ...NONE, prefixCache: true };
  readonly name: string;

  constructor(private readonly opts: RemoteOptions) {
    this.name = `Ollama ${opts.model ?? '?'} at ${base(opts.url)}`;
  }

  async health(signal?: AbortSignal): Promise<BackendHealth> {
    try {
      const r = obj(await requestJson('GET', `${base(this.opts.url)}/api/tags`, undefined, { timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) }), 'tags', this.opts.url);
      const models = Array.isArray(r.models) ? (r.models as { name?: unknown }[]).map((m) => String(m.name)) : [];
      if (this.opts.model && !models.some((m) => m === this.opts.model || m.split(':')[0] === this.opts.model)) {
        return { ok: false, error: 'model-missing', detail: `Ollama has no model "${this.opts.model}" (has: ${models.join(', ') || 'none'})` };
      }
      return { ok: true, detail: `${models.length} model(s)` };
    } catch (e) {
      if (e instanceof BackendError) return { ok: false, error: e.backendCode, detail: e.message };
      throw e;
    }
  }

  async infill(req: InfillRequest): Promise<InfillResult> {
    if (!this.opts.model) throw new BackendError('model-missing', 'Ollama needs a model name (tokenscope.server.model)');
    const url = `${base(this.opts.url)}/api/generate`;
    const t = this.opts.fimTemplate ? FIM_TEMPLATES[this.opts.fimTemplate] : undefined;
    const stop = [...(req.stop ?? []), ...(t?.stop ?? [])];
    const body = t
      ? { model: this.opts.model, prompt: fimPrompt(t, req.prefix, req.suffix), raw: true, stream: true, options: { temperature: req.temperature, num_predict: req.maxTokens, ...(stop.length ? { stop } : {}) } }
      : { model: this.opts.model, prompt: req.prefix, suffix: req.suffix, stream: true, options: { temperature: req.temperature, num_predict: req.maxTokens, ...(stop.length ? { stop } : {}) } };
    const c = new Collector({ ...req, stop });
    for await (const raw of requestStream(url, body, 'ndjson', { timeoutMs: this.opts.timeoutMs, ...(req.signal ? { signal: req.signal } : {}) })) {
      const m = obj(raw, 'a generate chunk', url);
      if (typeof m.error === 'string') throw new BackendError('http', `${url}: ${m.error}`);
      if (typeof m.response === 'string' && c.add(m.response)) return c.result('stop');
      if (m.done === true) {
        return c.result(m.done_reason === 'length' ? 'limit' : 'eos', {
          ...(typeof m.prompt_eval_count === 'number' ? { promptTokens: m.prompt_eval_count } : {}),
          ...(typeof m.eval_count === 'number' ? { generatedTokens: m.eval_count } : {}),
        });
      }
    }
    throw new BackendError('truncated', `${url}: the stream ended without "done"`);
  }

  dispose(): void {
    // stateless client
  }
}

/**
 * OpenAI-compatible `/v1/completions` with `suffix` (servers that support insertion), or a raw FIM
 * prompt when a family is configured. Lacks everything token-level: the server's tokenizer is unknown.
 */
export class OpenAiCompatibleBackend implements CompletionBackend {
  readonly kind = 'openai';
  readonly capabilities: BackendCapabilities = NONE;
  readonly name: string;

  constructor(private readonly opts: RemoteOptions) {
    this.name = `${opts.model ?? '?'} at ${base(opts.url)}`;
  }

  private http(signal?: AbortSignal): HttpOptions {
    return { timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}), ...(this.opts.apiKey ? { headers: { authorization: `Bearer ${this.opts.apiKey}` } } : {}) };
  }

  async health(signal?: AbortSignal): Promise<BackendHealth> {
    try {
      const r = obj(await requestJson('GET', `${base(this.opts.url)}/models`, undefined, this.http(signal)), 'models', this.opts.url);
      const ids = Array.isArray(r.data) ? (r.data as { id?: unknown }[]).map((m) => String(m.id)) : [];
      if (this.opts.model && ids.length && !ids.includes(this.opts.model)) return { ok: false, error: 'model-missing', detail: `no model "${this.opts.model}" (has: ${ids.slice(0, 10).join(', ')})` };
      return { ok: true, detail: `${ids.length} model(s)` };
    } catch (e) {
      if (e instanceof BackendError) return { ok: false, error: e.backendCode, detail: e.message };
      throw e;
    }
  }

  async infill(req: InfillRequest): Promise<InfillResult> {
    const url = `${base(this.opts.url)}/completions`;
    const t = this.opts.fimTemplate ? FIM_TEMPLATES[this.opts.fimTemplate] : undefined;
    const stop = [...(req.stop ?? []), ...(t?.stop ?? [])].slice(0, 4); // the OpenAI API takes at most 4
    const body = {
      ...(this.opts.model ? { model: this.opts.model } : {}),
      prompt: t ? fimPrompt(t, req.prefix, req.suffix) : req.prefix,
      ...(t ? {} : { suffix: req.suffix }),
      max_tokens: req.maxTokens,
      temperature: req.temperature,
      stream: true,
      ...(stop.length ? { stop } : {}),
    };
    const c = new Collector({ ...req, stop: [...(req.stop ?? []), ...(t?.stop ?? [])] });
    let finish: StopReason | undefined;
    for await (const raw of requestStream(url, body, 'sse', this.http(req.signal))) {
      const m = obj(raw, 'a completion chunk', url);
      const choice = Array.isArray(m.choices) ? (m.choices[0] as Record<string, unknown> | undefined) : undefined;
      if (!choice) throw new BackendError('malformed', `${url}: a chunk without choices`);
      if (typeof choice.text === 'string' && c.add(choice.text)) return c.result('stop');
      if (typeof choice.finish_reason === 'string') finish = choice.finish_reason === 'length' ? 'limit' : 'eos';
    }
    if (!finish) throw new BackendError('truncated', `${url}: the stream ended without a finish reason`);
    return c.result(finish);
  }

  dispose(): void {
    // stateless client
  }
}
