import { BackendError } from '../../../common/errors';
import type { BackendCapabilities, BackendHealth, CompletionBackend, InfillRequest, InfillResult } from '../backend';
import { Collector } from '../collector';
import { requestJson, requestStream, type HttpOptions } from '../http';
import { base, NONE, obj, type RemoteOptions } from '../remoteCommon';
import { readFimLayout, serverFigures, stopTypeOf, tokenPieces } from './serverApi';
import { ServerHealer } from './serverHealing';

/**
 * llama.cpp's `llama-server`: `/infill` (streamed), `/completion` with token-id prompts and top-k
 * probabilities, `/tokenize` (with each token's piece), `/detokenize`, `/health`; `cache_prompt`
 * keeps each slot's KV cache of the prompt.
 *
 * Token healing is detected at `health()` (`/tokenize` answers with pieces and `/infill` renders
 * its prompt): a healed request cuts the prefix's last token, builds the server's own FIM prompt as
 * token ids, runs the masked steps (serverHealing.ts) and streams the rest from `/completion` after
 * the healed tokens. Unhealed requests use `/infill` (the server's prompt, truncation and repo-level
 * context).
 * Lacks: the vocabulary's raw bytes (exact byte-level healing runs as classic) and one-batch
 * verification of client drafts (speculation is the server's: `--model-draft`, n-gram lookup; its
 * figures come back in `timings` and are reported).
 */
export class LlamaServerBackend implements CompletionBackend {
  readonly kind = 'llama-server';
  readonly name: string;
  /** Set when health() found what healing needs. */
  private healer: ServerHealer | undefined;

  constructor(private readonly opts: RemoteOptions) {
    this.name = `llama-server ${base(opts.url)}`;
  }

  get capabilities(): BackendCapabilities {
    return { ...NONE, tokenize: true, tokenPrompt: true, nextTokenDistribution: true, logitBias: true, prefixCache: true, tokenHealing: this.healer !== undefined };
  }

  private get base(): string {
    return base(this.opts.url);
  }

  private http(signal?: AbortSignal): HttpOptions {
    return { timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) };
  }

  async health(signal?: AbortSignal): Promise<BackendHealth> {
    try {
      const r = obj(await requestJson('GET', `${this.base}/health`, undefined, this.http(signal)), 'health', this.opts.url);
      this.healer = await this.detectHealing(signal);
      const how = this.healer ? 'token-level (server tokenizer, grammar and logit bias)' : 'text-level (this server lacks /tokenize pieces or a rendered /infill prompt)';
      return { ok: true, detail: `${typeof r.status === 'string' ? r.status : 'ok'}; healing ${how}` };
    } catch (e) {
      if (e instanceof BackendError) return { ok: false, error: e.backendCode, detail: e.message };
      throw e;
    }
  }

  /** What token healing needs from this server, or undefined when it answers without it (an older or a different server). */
  private async detectHealing(signal?: AbortSignal): Promise<ServerHealer | undefined> {
    try {
      const pieces = await tokenPieces(this.base, 'ab', this.http(signal));
      if (pieces.map((p) => p.text).join('') !== 'ab') return undefined;
      const layout = await readFimLayout(this.base, this.http(signal));
      return new ServerHealer(this.base, layout);
    } catch (e) {
      if (e instanceof BackendError && (e.backendCode === 'malformed' || e.backendCode === 'http')) return undefined;
      throw e;
    }
  }

  async infill(req: InfillRequest): Promise<InfillResult> {
    const healed = req.healing && req.healing !== 'off' && this.healer ? await this.healedInfill(req, this.healer) : undefined;
    return healed ?? this.plainInfill(req);
  }

  /** `/infill`, streamed: the server builds the prompt. */
  private async plainInfill(req: InfillRequest): Promise<InfillResult> {
    const body = { input_prefix: req.prefix, input_suffix: req.suffix, ...streamed(req, req.maxTokens) };
    return this.stream(`${this.base}/infill`, body, new Collector(req), {});
  }

  /** Healed: the masked steps, then `/completion` streamed after them; undefined when nothing was healed. */
  private async healedInfill(req: InfillRequest, healer: ServerHealer): Promise<InfillResult | undefined> {
    const t0 = performance.now();
    const h = await healer.heal(req.prefix, req.suffix, this.http(req.signal));
    if (!h) return undefined;
    const extra = { healedBytes: Buffer.byteLength(h.removed), healMs: performance.now() - t0, promptEvaluated: h.evaluated };
    const c = new Collector(req);
    // the healed tokens re-type the cut text: only what they add after it is the suggestion's
    if (c.add(h.text.slice(h.removed.length))) return c.result('stop', extra);
    if (req.maxTokens <= h.ids.length) return c.result('limit', extra);
    const body = { prompt: [...h.prompt, ...h.ids], ...streamed(req, req.maxTokens - h.ids.length) };
    return this.stream(`${this.base}/completion`, body, c, extra);
  }

  private async stream(url: string, body: unknown, c: Collector, extra: Partial<InfillResult>): Promise<InfillResult> {
    for await (const raw of requestStream(url, body, 'sse', this.http(c.request.signal))) {
      const m = obj(raw, 'a completion chunk', url);
      if (typeof m.content === 'string' && c.add(m.content)) return c.result('stop', extra);
      if (m.stop === true) {
        const figures = serverFigures(m);
        // a healed request's prompt was evaluated by its masked steps: both count
        const evaluated = extra.promptEvaluated === undefined ? figures.promptEvaluated : extra.promptEvaluated + (figures.promptEvaluated ?? 0);
        return c.result(stopTypeOf(m), { ...extra, ...figures, ...(evaluated !== undefined ? { promptEvaluated: evaluated } : {}) });
      }
    }
    throw new BackendError('truncated', `${url}: the stream ended without a final message`);
  }

  async tokenize(text: string, signal?: AbortSignal): Promise<number[]> {
    const url = `${this.base}/tokenize`;
    const r = obj(await requestJson('POST', url, { content: text, add_special: false, parse_special: false }, this.http(signal)), 'tokenize', url);
    if (!Array.isArray(r.tokens) || !r.tokens.every((t) => typeof t === 'number')) throw new BackendError('malformed', `${url}: no token list`);
    return r.tokens;
  }

  async detokenize(tokens: readonly number[], signal?: AbortSignal): Promise<string> {
    const url = `${this.base}/detokenize`;
    const r = obj(await requestJson('POST', url, { tokens }, this.http(signal)), 'detokenize', url);
    if (typeof r.content !== 'string') throw new BackendError('malformed', `${url}: no content`);
    return r.content;
  }

  /**
   * The k most likely next tokens after a token-id prompt (logit bias applied), greedy. One
   * `/completion` request with n_predict 1 and n_probs k.
   */
  async nextTokens(prompt: readonly number[], k: number, bias?: readonly (readonly [number, number])[], signal?: AbortSignal): Promise<{ id: number; prob: number }[]> {
    const url = `${this.base}/completion`;
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

/** The generation fields of a streamed request: greedy or sampled as asked, the slot's cache kept. */
function streamed(req: InfillRequest, nPredict: number): Record<string, unknown> {
  return { n_predict: nPredict, temperature: req.temperature, stream: true, cache_prompt: true, ...(req.stop?.length ? { stop: req.stop } : {}) };
}
