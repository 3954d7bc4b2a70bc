import { createHash, type Hash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { KindedError, kindGuard, type KindedErrorOptions } from '../../common/errors';

/** Why a download failed; the command shows it and (except 'aborted') logs it. */
export type DownloadErrorCode = 'aborted' | 'http' | 'network' | 'timeout' | 'size-mismatch' | 'checksum-mismatch' | 'disk' | 'too-many-redirects';

export class DownloadError extends KindedError<DownloadErrorCode> {
  constructor(code: DownloadErrorCode, message: string, options?: KindedErrorOptions) {
    super('DownloadError', 'download', code, message, options);
  }

  get downloadCode(): DownloadErrorCode {
    return this.kind;
  }
}

export const isDownloadError: (e: unknown, code?: DownloadErrorCode) => e is DownloadError = kindGuard(DownloadError);

export interface DownloadProgress {
  /** Bytes on disk so far, including what an earlier attempt left. */
  readonly bytes: number;
  /** Expected total bytes, when known. */
  readonly total: number | undefined;
  /** Bytes an earlier attempt left that this one kept (0: started from scratch). */
  readonly resumedFrom: number;
  readonly phase: 'checking-partial' | 'downloading' | 'verifying';
}

export interface DownloadOptions {
  readonly url: string;
  /** Final path; the data goes to `${dest}.part` first and is renamed only when verified. */
  readonly dest: string;
  /** Expected SHA-256 (hex). Without it, the server's `X-Linked-Etag` (Hugging Face) is used when present. */
  readonly sha256?: string;
  /** Expected size in bytes. Without it, the server's `X-Linked-Size` or Content-Length/Content-Range. */
  readonly size?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: DownloadProgress) => void;
  /** No byte for this long (ms) fails with 'timeout'; the partial file stays for a resume. */
  readonly idleTimeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DownloadResult {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Where the sha256 to check against came from. */
  readonly checkedAgainst: 'caller' | 'server' | 'none';
  readonly resumedFrom: number;
  readonly redirects: number;
}

interface Opened {
  readonly res: http.IncomingMessage;
  readonly linkedSha256: string | undefined;
  readonly linkedSize: number | undefined;
  readonly redirects: number;
}

const MAX_REDIRECTS = 5;

/**
 * Downloads a large file resumably and safely: bytes go to `dest.part` (appended to on a resume,
 * with an HTTP Range request; a server that ignores Range restarts the file), the size and SHA-256
 * are checked, and only a verified file is renamed to `dest` (atomic on one file system), so `dest`
 * is never a half-written model. On abort, timeout or network failure the `.part` file stays for
 * the next attempt; on a size or checksum mismatch it is deleted (its bytes are wrong).
 * Cost: one pass over the data (hashing while writing), plus one read of the partial file on resume.
 */
export async function downloadFile(o: DownloadOptions): Promise<DownloadResult> {
  const part = `${o.dest}.part`;
  const progress = (p: DownloadProgress): void => o.onProgress?.(p);
  throwIfAborted(o.signal);

  let hash = createHash('sha256');
  let have = 0;
  try {
    have = fs.statSync(part).size;
  } catch {
    have = 0;
  }
  if (have > 0) {
    progress({ bytes: 0, total: have, resumedFrom: have, phase: 'checking-partial' });
    await hashFile(part, hash, o.signal, (n) => progress({ bytes: n, total: have, resumedFrom: have, phase: 'checking-partial' }));
  }
  let resumedFrom = have;

  let opened = await open(o.url, have > 0 ? { Range: `bytes=${have}-` } : {}, o);
  let status = opened.res.statusCode ?? 0;
  if (status === 416 && have > 0) {
    // Range starts at or past the end: the partial file may already be complete; verify it below.
    opened.res.resume();
  } else {
    if (status === 200 && have > 0) {
      // The server ignored Range: start over.
      have = resumedFrom = 0;
      hash = createHash('sha256');
      fs.truncateSync(part, 0);
    } else if (status === 206) {
      const start = /^bytes (\d+)-/.exec(String(opened.res.headers['content-range'] ?? ''));
      if (!start || Number(start[1]) !== have) {
        // A range we did not ask for: do not splice it in; start over without Range.
        opened.res.resume();
        opened = await open(o.url, {}, o);
        status = opened.res.statusCode ?? 0;
        have = resumedFrom = 0;
        hash = createHash('sha256');
        fs.truncateSync(part, 0);
      }
    }
    if (status !== 200 && status !== 206) {
      opened.res.resume();
      throw new DownloadError('http', `HTTP ${status} from ${redact(o.url)}`, { status });
    }
  }

  const total = o.size ?? opened.linkedSize ?? totalFromHeaders(opened.res, have);
  const expectedSha = (o.sha256 ?? opened.linkedSha256)?.toLowerCase();
  if (status === 200 || status === 206) {
    await receive(opened.res, part, hash, have, total, resumedFrom, o, progress);
  }

  progress({ bytes: total ?? 0, total, resumedFrom, phase: 'verifying' });
  const bytes = fs.statSync(part).size;
  if (total !== undefined && bytes !== total) {
    if (bytes > total) {
      fs.rmSync(part, { force: true });
      throw new DownloadError('size-mismatch', `${redact(o.url)}: got ${bytes} bytes, expected ${total}; the file was deleted`);
    }
    throw new DownloadError('network', `${redact(o.url)}: the server sent ${bytes} of ${total} bytes; the partial download is kept for a resume`);
  }
  const sha256 = hash.digest('hex');
  if (expectedSha && sha256 !== expectedSha) {
    fs.rmSync(part, { force: true });
    throw new DownloadError('checksum-mismatch', `${redact(o.url)}: SHA-256 ${sha256}, expected ${expectedSha}; the file was deleted`);
  }
  try {
    fs.renameSync(part, o.dest);
  } catch (e) {
    throw new DownloadError('disk', `cannot move the download into place: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { path: o.dest, bytes, sha256, checkedAgainst: o.sha256 ? 'caller' : opened.linkedSha256 ? 'server' : 'none', resumedFrom, redirects: opened.redirects };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DownloadError('aborted', 'download cancelled');
}

/** URLs may carry signed query strings (CDN redirects): keep them out of messages and logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function totalFromHeaders(res: http.IncomingMessage, have: number): number | undefined {
  const range = /\/(\d+)\s*$/.exec(String(res.headers['content-range'] ?? ''));
  if (range) return Number(range[1]);
  const len = Number(res.headers['content-length']);
  if (res.statusCode === 200 && Number.isFinite(len) && len >= 0) return len;
  if (res.statusCode === 206 && Number.isFinite(len) && len >= 0) return have + len;
  return undefined;
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** GET with redirects; Hugging Face's X-Linked-Etag/Size ride on the first (redirect) response. */
async function open(url: string, extra: Record<string, string>, o: DownloadOptions): Promise<Opened> {
  let linkedSha256: string | undefined;
  let linkedSize: number | undefined;
  let current = url;
  for (let redirects = 0; ; redirects++) {
    throwIfAborted(o.signal);
    const res = await get(current, { ...o.headers, ...extra, 'Accept-Encoding': 'identity' }, o);
    const etag = header(res, 'x-linked-etag')?.replace(/"/g, '');
    if (!linkedSha256 && etag && /^[0-9a-f]{64}$/i.test(etag)) linkedSha256 = etag;
    const size = Number(header(res, 'x-linked-size'));
    if (linkedSize === undefined && Number.isFinite(size) && size > 0) linkedSize = size;
    const status = res.statusCode ?? 0;
    const location = header(res, 'location');
    if (status >= 300 && status < 400 && location) {
      res.resume();
      if (redirects >= MAX_REDIRECTS) throw new DownloadError('too-many-redirects', `more than ${MAX_REDIRECTS} redirects from ${redact(url)}`);
      current = new URL(location, current).toString();
      continue;
    }
    return { res, linkedSha256, linkedSize, redirects };
  }
}

function get(url: string, headers: Record<string, string>, o: DownloadOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new DownloadError('http', `invalid URL: ${url}`));
      return;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      reject(new DownloadError('http', `unsupported URL scheme ${u.protocol}`));
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(u, { headers, ...(o.signal ? { signal: o.signal } : {}) }, (res) => {
      // from here the body's own idle timer decides (a 'timeout' that keeps the partial file); the
      // socket timeout firing as well would race it and end the body as a plain network cut
      req.setTimeout(0);
      resolve(res);
    });
    req.setTimeout(o.idleTimeoutMs ?? 30_000, () => req.destroy(new DownloadError('timeout', `no answer from ${u.host} for ${((o.idleTimeoutMs ?? 30_000) / 1000).toFixed(0)} s`)));
    req.on('error', (e) => reject(mapError(e, o.signal, u.host)));
  });
}

function mapError(e: unknown, signal: AbortSignal | undefined, host: string): Error {
  if (e instanceof DownloadError) return e;
  if (signal?.aborted) return new DownloadError('aborted', 'download cancelled');
  const msg = e instanceof Error ? e.message : String(e);
  return new DownloadError('network', `${host}: ${msg}`, { cause: e });
}

async function hashFile(file: string, hash: Hash, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<void> {
  let n = 0;
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (signal?.aborted) {
      stream.destroy();
      throw new DownloadError('aborted', 'download cancelled');
    }
    hash.update(chunk);
    n += chunk.length;
    onBytes(n);
  }
}

/** Streams the body to the end of `part`, hashing as it goes; idle timeout and abort keep what arrived. */
function receive(
  res: http.IncomingMessage,
  part: string,
  hash: Hash,
  have: number,
  total: number | undefined,
  resumedFrom: number,
  o: DownloadOptions,
  progress: (p: DownloadProgress) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: have > 0 ? 'a' : 'w' });
    let bytes = have;
    let failed: Error | undefined;
    let ended = false;
    const idleMs = o.idleTimeoutMs ?? 30_000;
    let timer = setTimeout(onIdle, idleMs);
    function onIdle(): void {
      fail(new DownloadError('timeout', `no data for ${(idleMs / 1000).toFixed(0)} s; the partial download is kept`));
    }
    function fail(e: Error): void {
      if (failed) return;
      failed = e;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      res.destroy();
      // flush what arrived (it is valid data for a resume), then report
      out.end(() => reject(e));
    }
    const onAbort = (): void => fail(new DownloadError('aborted', 'download cancelled; the partial download is kept'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      if (failed) return;
      clearTimeout(timer);
      timer = setTimeout(onIdle, idleMs);
      hash.update(chunk);
      bytes += chunk.length;
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
      progress({ bytes, total, resumedFrom, phase: 'downloading' });
    });
    const cut = (): void => fail(new DownloadError('network', 'the connection closed before the end; the partial download is kept'));
    res.on('aborted', cut);
    res.on('error', () => (o.signal?.aborted ? onAbort() : cut()));
    res.on('close', () => {
      if (!ended) cut();
    });
    res.on('end', () => {
      ended = true;
      if (failed) return;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      out.end(() => resolve());
    });
    out.on('error', (e) => fail(new DownloadError('disk', `cannot write ${part}: ${e.message}`, { cause: e })));
  });
}
