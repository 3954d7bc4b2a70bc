import { BackendError } from '../../common/errors';
import type { BackendCapabilities, BackendHealth, CompletionBackend, InfillRequest, InfillResult, StopReason } from './backend';
import { Collector } from './collector';
import { FIM_TEMPLATES, fimPrompt } from './fimTemplates';
import { requestJson, requestStream, type HttpOptions } from './http';
import { base, NONE, obj, type RemoteOptions } from './remoteCommon';

export { LlamaServerBackend } from './llamaServer/llamaServerBackend';
export type { RemoteOptions } from './remoteCommon';


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
