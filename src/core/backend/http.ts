import { BackendError } from '../../common/errors';

export interface HttpOptions {
  readonly signal?: AbortSignal;
  /**
   * Idle timeout (ms): the request fails when nothing arrives for this long — before the response
   * headers, and between chunks of a stream (a slow model that keeps streaming is not cut off).
   */
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Watches a request: the caller's signal (→ aborted) and an idle timer (→ timeout). */
class RequestGuard {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(
    private readonly opts: HttpOptions,
    readonly url: string,
  ) {
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.touch();
  }

  private readonly onAbort = (): void => this.controller.abort();

  /** Something arrived: restart the idle timer. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.opts.timeoutMs);
  }

  done(): void {
    clearTimeout(this.timer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Maps whatever fetch or the stream threw to a BackendError. */
  error(e: unknown, phase: 'connect' | 'stream'): BackendError {
    if (e instanceof BackendError) return e;
    if (this.timedOut) return new BackendError('timeout', `${this.url}: no response for ${this.opts.timeoutMs} ms`, { cause: e });
    if (this.opts.signal?.aborted) return new BackendError('aborted', `${this.url}: cancelled`, { cause: e });
    const code = errnoOf(e);
    if (phase === 'stream') return new BackendError('truncated', `${this.url}: the response ended early (${code ?? describe(e)})`, { cause: e });
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' || code === 'EAI_AGAIN') {
      return new BackendError('server-down', `${this.url}: server unreachable (${code})`, { cause: e });
    }
    return new BackendError('server-down', `${this.url}: request failed (${describe(e)})`, { cause: e });
  }
}

function errnoOf(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function send(method: 'GET' | 'POST', url: string, body: unknown, guard: RequestGuard, opts: HttpOptions): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: guard.controller.signal,
    });
  } catch (e) {
    throw guard.error(e, 'connect');
  }
  guard.touch();
  if (!res.ok) {
    let detail = '';
    try {
      detail = (await res.text()).slice(0, 300);
    } catch {
      // the status is what matters
    }
    throw new BackendError('http', `${url}: HTTP ${res.status}${detail ? ` — ${detail}` : ''}`, { status: res.status });
  }
  return res;
}

/** One JSON request and its JSON response. */
export async function requestJson(method: 'GET' | 'POST', url: string, body: unknown, opts: HttpOptions): Promise<unknown> {
  const guard = new RequestGuard(opts, url);
  try {
    const res = await send(method, url, body, guard, opts);
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw guard.error(e, 'stream');
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BackendError('malformed', `${url}: not JSON: ${text.slice(0, 120)}`);
    }
  } finally {
    guard.done();
  }
}

/**
 * A streamed response of JSON objects: server-sent events (`data: {...}` lines, `data: [DONE]`
 * ends) or newline-delimited JSON. Yields each object as it arrives.
 */
export async function* requestStream(url: string, body: unknown, format: 'sse' | 'ndjson', opts: HttpOptions): AsyncGenerator<unknown, void, void> {
  const guard = new RequestGuard(opts, url);
  try {
    const res = await send('POST', url, body, guard, opts);
    if (!res.body) throw new BackendError('malformed', `${url}: empty response`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      let chunk: { done: boolean; value?: Uint8Array };
      try {
        chunk = await reader.read();
      } catch (e) {
        throw guard.error(e, 'stream');
      }
      if (chunk.done) break;
      guard.touch();
      buf += decoder.decode(chunk.value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const payload = format === 'sse' ? (line.startsWith('data:') ? line.slice(5).trim() : '') : line;
        if (!payload) continue;
        if (payload === '[DONE]') return;
        try {
          yield JSON.parse(payload) as unknown;
        } catch {
          throw new BackendError('malformed', `${url}: not JSON in the stream: ${payload.slice(0, 120)}`);
        }
      }
    }
    const rest = buf.trim();
    if (rest && format === 'ndjson') {
      try {
        yield JSON.parse(rest) as unknown;
      } catch {
        throw new BackendError('truncated', `${url}: the stream ended inside a message`);
      }
    }
  } finally {
    guard.done();
  }
}
