/**
 * JSON over HTTP for the remote backends, on the shared HTTP stack (core/net/http.ts): one request
 * and its JSON answer, or a stream of JSON objects (server-sent events or NDJSON); every failure
 * is a BackendError ('timeout', 'aborted', 'server-down', 'truncated', 'http', 'malformed').
 */
import { BackendError } from '../../common/errors';
import { HttpFailure, openHttp, type HttpResponse } from '../net/http';

export interface HttpOptions {
  readonly signal?: AbortSignal;
  /**
   * Idle timeout (ms): the request fails when nothing arrives for this long — before the response
   * headers, and between chunks of a stream (a slow model that keeps streaming is not cut off).
   */
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The BackendError an HTTP failure (or anything else thrown on the way) stands for. */
function backendErrorOf(e: unknown, url: string, opts: HttpOptions): BackendError {
  if (e instanceof BackendError) return e;
  if (!(e instanceof HttpFailure)) return new BackendError('server-down', `${url}: request failed (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  const detail = e.errno ?? (e.cause instanceof Error ? e.cause.message : e.message);
  switch (e.kind) {
    case 'timeout':
      return new BackendError('timeout', `${url}: no response for ${opts.timeoutMs} ms`, { cause: e });
    case 'aborted':
      return new BackendError('aborted', `${url}: cancelled`, { cause: e });
    case 'refused':
    case 'reset':
    case 'unreachable':
      return new BackendError('server-down', `${url}: server unreachable (${detail})`, { cause: e });
    default:
      if (e.phase === 'body') return new BackendError('truncated', `${url}: the response ended early (${detail})`, { cause: e });
      return new BackendError('server-down', `${url}: request failed (${detail})`, { cause: e });
  }
}

async function send(method: 'GET' | 'POST', url: string, body: unknown, opts: HttpOptions): Promise<HttpResponse> {
  const res = await openHttp(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(opts.signal ? { signal: opts.signal } : {}),
    idleTimeoutMs: opts.timeoutMs,
    // a server behind a proxy that redirects (http → https, a moved path) works, as it did with fetch
    maxRedirects: 5,
  });
  if (!res.ok) {
    let detail = '';
    try {
      detail = (await res.text()).slice(0, 300);
    } catch {
      // the status is what matters
    }
    throw new BackendError('http', `${url}: HTTP ${res.status}${detail ? ` — ${detail}` : ''}`, { status: res.status });
  }
  // A web page where an API answer belongs: a proxy's login page, a web server on the configured
  // port. Said plainly instead of "not JSON: <!doctype…" (other types pass: servers label their
  // streams text/event-stream, application/x-ndjson, application/json or text/plain).
  const type = res.header('content-type') ?? '';
  if (/^text\/html\b/i.test(type)) {
    res.discard();
    throw new BackendError('malformed', `${url}: answered a web page (${type}), not the completion server's API: is the URL right, or is a proxy in the way?`);
  }
  return res;
}

/** One JSON request and its JSON response. */
export async function requestJson(method: 'GET' | 'POST', url: string, body: unknown, opts: HttpOptions): Promise<unknown> {
  let text: string;
  try {
    text = await (await send(method, url, body, opts)).text();
  } catch (e) {
    throw backendErrorOf(e, url, opts);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BackendError('malformed', `${url}: not JSON: ${text.slice(0, 120)}`);
  }
}

/**
 * A streamed response of JSON objects: server-sent events (`data: {...}` lines, `data: [DONE]`
 * ends) or newline-delimited JSON. Yields each object as it arrives; stopping early closes the
 * connection.
 */
export async function* requestStream(url: string, body: unknown, format: 'sse' | 'ndjson', opts: HttpOptions): AsyncGenerator<unknown, void, void> {
  try {
    const res = await send('POST', url, body, opts);
    for await (const { text, complete } of res.lines()) {
      const line = text.trim();
      // SSE: an event cut off by the end of the body is dropped, as a browser would
      const payload = format === 'sse' ? (complete && line.startsWith('data:') ? line.slice(5).trim() : '') : line;
      if (!payload) continue;
      if (payload === '[DONE]') return;
      let value: unknown;
      try {
        value = JSON.parse(payload) as unknown;
      } catch {
        if (!complete) throw new BackendError('truncated', `${url}: the stream ended inside a message`);
        throw new BackendError('malformed', `${url}: not JSON in the stream: ${payload.slice(0, 120)}`);
      }
      yield value;
    }
  } catch (e) {
    throw backendErrorOf(e, url, opts);
  }
}
