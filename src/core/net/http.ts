/**
 * The one HTTP client of src/core: the remote completion backends (JSON requests, SSE and NDJSON
 * streams) and the model downloader (GET with redirects and Range, large bodies to disk) open
 * requests here, with an idle timeout and the caller's AbortSignal, and get failures classified
 * (refused, reset, unreachable, timeout, aborted, cut); each maps the kind to its own error type.
 *
 * Built on node's http/https, not fetch (undici), because:
 * - the downloader needs every redirect response's headers (Hugging Face's X-Linked-Etag and
 *   X-Linked-Size ride on the 302), and fetch's redirect handling shows only the last response;
 * - failures arrive as errno codes on the error (ECONNREFUSED, ECONNRESET) and a body cut short as
 *   its own event, where fetch reports TypeError('fetch failed' / 'terminated') with the cause nested;
 * - a body is a Node Readable, pulled one chunk at a time: backpressure to a file stream comes from
 *   awaiting the write, with no WHATWG stream in between.
 *
 * The idle timer runs only while waiting on the network: for the response headers, and for each
 * next chunk of the body (a consumer that is slow to pull, e.g. on a busy disk, is not a stall).
 */
import * as http from 'http';
import * as https from 'https';
import { kindedError, kindGuard } from '../../common/errors';

/**
 * What went wrong. refused / reset / unreachable: the server was not reached or dropped the
 * connection before answering; cut: the body ended early; redirects: more than allowed;
 * bad-url: not an http(s) URL; failed: anything else (TLS, protocol errors).
 */
export type HttpFailureKind = 'refused' | 'reset' | 'unreachable' | 'timeout' | 'aborted' | 'cut' | 'redirects' | 'bad-url' | 'failed';

/** An HTTP exchange failed; `phase` says whether the response headers had arrived ('body') or not ('connect'). */
export class HttpFailure extends kindedError<HttpFailureKind>('HttpFailure', 'http') {
  constructor(
    kind: HttpFailureKind,
    message: string,
    readonly phase: 'connect' | 'body',
    /** The system error code (ECONNREFUSED…), when there was one. */
    readonly errno: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(kind, message, options);
  }
}

export const isHttpFailure: (e: unknown, kind?: HttpFailureKind) => e is HttpFailure = kindGuard(HttpFailure);

export interface HttpRequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body (sent with its byte length). */
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** Fails with 'timeout' when nothing arrives for this long (ms) while waiting for headers or the next chunk. */
  readonly idleTimeoutMs: number;
  /** Redirects (3xx with a Location) to follow; 0 (default) returns a redirect as the response. */
  readonly maxRedirects?: number;
}

/** A redirect response that was followed. */
export interface RedirectHop {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

/** One line of a body; `complete` is false for a last line the body ended without a newline. */
export interface BodyLine {
  readonly text: string;
  readonly complete: boolean;
}

const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Watches one wait on the network: the caller's signal (→ 'aborted') and, while armed, the idle
 * timer (→ 'timeout'). Either destroys the request or response through `stop`, with the failure
 * as the error, so the pending read rejects with it.
 */
class Watchdog {
  /** Set when the watchdog itself stopped the exchange. */
  fired: HttpFailure | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: HttpRequestOptions,
    private readonly phase: 'connect' | 'body',
    private readonly host: string,
    private readonly stop: (failure: HttpFailure) => void,
  ) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.signal?.aborted) this.onAbort();
  }

  private readonly onAbort = (): void => this.fire(new HttpFailure('aborted', `${this.host}: cancelled`, this.phase, undefined));

  arm(): void {
    if (this.fired) return;
    clearTimeout(this.timer);
    const ms = this.options.idleTimeoutMs;
    this.timer = setTimeout(() => this.fire(new HttpFailure('timeout', `${this.host}: nothing arrived for ${ms} ms`, this.phase, undefined)), ms);
  }

  disarm(): void {
    clearTimeout(this.timer);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  /** The failure `e` stands for: the watchdog's own, or the error classified. */
  classify(e: unknown): HttpFailure {
    if (this.fired) return this.fired;
    if (e instanceof HttpFailure) return e;
    const errno = errnoOf(e);
    if (this.phase === 'body') return new HttpFailure('cut', `${this.host}: the connection closed before the end of the body (${errno ?? describe(e)})`, 'body', errno, { cause: e });
    const kind: HttpFailureKind =
      errno === 'ECONNREFUSED' ? 'refused' : errno === 'ECONNRESET' || errno === 'EPIPE' ? 'reset' : errno !== undefined && UNREACHABLE.has(errno) ? 'unreachable' : 'failed';
    return new HttpFailure(kind, `${this.host}: ${describe(e)}`, 'connect', errno, { cause: e });
  }

  private fire(failure: HttpFailure): void {
    if (this.fired) return;
    this.fired = failure;
    this.dispose();
    this.stop(failure);
  }
}

/** A response whose headers have arrived; read its body once, or `discard()` it. */
export class HttpResponse {
  constructor(
    private readonly res: http.IncomingMessage,
    private readonly options: HttpRequestOptions,
    private readonly host: string,
    /** The redirects followed to get here, in order. */
    readonly redirects: readonly RedirectHop[],
  ) {}

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get headers(): http.IncomingHttpHeaders {
    return this.res.headers;
  }

  /** A header's value when it was sent once. */
  header(name: string): string | undefined {
    const v = this.res.headers[name.toLowerCase()];
    return typeof v === 'string' ? v : undefined;
  }

  /** The body chunk by chunk; stopping early (break, throw) closes the connection. */
  async *chunks(): AsyncGenerator<Buffer, void, void> {
    const res = this.res;
    const dog = new Watchdog(this.options, 'body', this.host, (f) => res.destroy(f));
    const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        let next: IteratorResult<Buffer>;
        dog.arm();
        try {
          next = await it.next();
        } catch (e) {
          throw dog.classify(e);
        } finally {
          dog.disarm();
        }
        // a destroy by the watchdog can end the iteration without an error
        if (dog.fired) throw dog.fired;
        if (next.done) {
          if (!res.complete) throw new HttpFailure('cut', `${this.host}: the connection closed before the end of the body`, 'body', undefined);
          return;
        }
        yield next.value;
      }
    } finally {
      dog.dispose();
      if (!res.complete) res.destroy();
    }
  }

  /** The body's lines (split at \n, decoded as UTF-8 across chunk boundaries). */
  async *lines(): AsyncGenerator<BodyLine, void, void> {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of this.chunks()) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        yield { text, complete: true };
      }
    }
    buf += decoder.decode();
    if (buf) yield { text: buf, complete: false };
  }

  /** The whole body as UTF-8 text. */
  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const chunk of this.chunks()) parts.push(chunk);
    return Buffer.concat(parts).toString('utf8');
  }

  /** Drops the body (the connection is reused when the body is short, else closed). */
  discard(): void {
    this.res.resume();
  }
}

/**
 * Sends one request and resolves when its response headers arrive. A request sent on a kept-alive
 * socket the server closed meanwhile fails with ECONNRESET before any response: it is sent once
 * more on a fresh connection (Node's documented remedy; nothing reached the server's handler, so
 * a repeat is safe for any method). Measured with llama-server: its HTTP threads close idle
 * keep-alive connections, and two editors' requests interleaved hit such a socket.
 */
function send(url: URL, options: HttpRequestOptions): Promise<http.IncomingMessage> {
  return sendOnce(url, options, true).catch((e: unknown) => {
    if (e instanceof StaleSocket) return sendOnce(url, options, false);
    throw e;
  });
}

/** ECONNRESET on a reused keep-alive socket before the response (see send). */
class StaleSocket extends Error {}

function sendOnce(url: URL, options: HttpRequestOptions, reuse: boolean): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const body = options.body;
    const headers = { ...options.headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) };
    const req = mod.request(url, { method: options.method ?? 'GET', headers, ...(reuse ? {} : { agent: false }) });
    const dog = new Watchdog(options, 'connect', url.host, (f) => req.destroy(f));
    dog.arm();
    req.on('response', (res) => {
      dog.dispose();
      resolve(res);
    });
    // errors after the response arrived belong to the body (chunks() sees them there)
    req.on('error', (e) => {
      dog.dispose();
      if (reuse && req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET' && !options.signal?.aborted) reject(new StaleSocket(e.message));
      else reject(dog.classify(e));
    });
    req.end(body);
  });
}

function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HttpFailure('bad-url', `invalid URL: ${url}`, 'connect', undefined);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new HttpFailure('bad-url', `unsupported URL scheme ${u.protocol}`, 'connect', undefined);
  return u;
}

/**
 * Opens a request and resolves with the response once its headers arrive, after following up to
 * `maxRedirects` redirects (each one's headers kept in `redirects`). Rejects with an HttpFailure.
 */
export async function openHttp(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  const redirects: RedirectHop[] = [];
  const maxRedirects = options.maxRedirects ?? 0;
  let current = parseUrl(url);
  let hop = options;
  for (;;) {
    const res = await send(current, hop);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status < 300 || status >= 400 || !location || maxRedirects === 0) return new HttpResponse(res, hop, current.host, redirects);
    res.resume();
    redirects.push({ status, headers: res.headers });
    if (redirects.length > maxRedirects) throw new HttpFailure('redirects', `more than ${maxRedirects} redirects`, 'connect', undefined);
    const next = parseUrl(new URL(location, current).toString());
    hop = redirectedRequest(hop, status, current, next);
    current = next;
  }
}

/**
 * The request a redirect asks for, as fetch makes it: 307/308 repeat the method and body; 301/302
 * turn a POST (and 303 anything) into a GET without a body; credentials never follow the request
 * to another origin.
 */
function redirectedRequest(o: HttpRequestOptions, status: number, from: URL, to: URL): HttpRequestOptions {
  const toGet = status === 303 ? o.method !== undefined && o.method !== 'GET' : (status === 301 || status === 302) && o.method === 'POST';
  let headers = o.headers;
  if (headers && to.origin !== from.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
  if (toGet && headers) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-type'));
  const next: HttpRequestOptions = { ...o, ...(headers ? { headers } : {}) };
  if (!toGet) return next;
  return { ...next, method: 'GET', body: undefined };
}
