import { createHash, type Hash } from 'crypto';
import * as fs from 'fs';
import { once } from 'events';
import { kindedError, kindGuard } from '../../common/errors';
import { HttpFailure, openHttp, type HttpResponse } from '../net/http';

/** Why a download failed; the command shows it and (except 'aborted') logs it. */
export type DownloadErrorCode = 'aborted' | 'http' | 'network' | 'timeout' | 'size-mismatch' | 'checksum-mismatch' | 'disk' | 'too-many-redirects';

export class DownloadError extends kindedError<DownloadErrorCode>('DownloadError', 'download') {
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
  readonly res: HttpResponse;
  readonly linkedSha256: string | undefined;
  readonly linkedSize: number | undefined;
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
  let status = opened.res.status;
  if (status === 416 && have > 0) {
    // Range starts at or past the end: the partial file may already be complete; verify it below.
    opened.res.discard();
  } else {
    if (status === 200 && have > 0) {
      // The server ignored Range: start over.
      have = resumedFrom = 0;
      hash = createHash('sha256');
      fs.truncateSync(part, 0);
    } else if (status === 206) {
      const start = /^bytes (\d+)-/.exec(opened.res.header('content-range') ?? '');
      if (!start || Number(start[1]) !== have) {
        // A range we did not ask for: do not splice it in; start over without Range.
        opened.res.discard();
        opened = await open(o.url, {}, o);
        status = opened.res.status;
        have = resumedFrom = 0;
        hash = createHash('sha256');
        fs.truncateSync(part, 0);
      }
    }
    if (status !== 200 && status !== 206) {
      opened.res.discard();
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
  return { path: o.dest, bytes, sha256, checkedAgainst: o.sha256 ? 'caller' : opened.linkedSha256 ? 'server' : 'none', resumedFrom, redirects: opened.res.redirects.length };
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

function totalFromHeaders(res: HttpResponse, have: number): number | undefined {
  const range = /\/(\d+)\s*$/.exec(res.header('content-range') ?? '');
  if (range) return Number(range[1]);
  const len = Number(res.header('content-length'));
  if (res.status === 200 && Number.isFinite(len) && len >= 0) return len;
  if (res.status === 206 && Number.isFinite(len) && len >= 0) return have + len;
  return undefined;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(0);

/** The DownloadError an HTTP failure stands for; failures in the body keep the partial file. */
function downloadErrorOf(e: unknown, o: DownloadOptions): Error {
  if (!(e instanceof HttpFailure)) return e instanceof Error ? e : new Error(String(e));
  const kept = e.phase === 'body' ? '; the partial download is kept' : '';
  const idleMs = o.idleTimeoutMs ?? 30_000;
  switch (e.kind) {
    case 'aborted':
      return new DownloadError('aborted', `download cancelled${kept}`, { cause: e });
    case 'timeout':
      return new DownloadError('timeout', e.phase === 'body' ? `no data for ${seconds(idleMs)} s${kept}` : `no answer from ${hostOf(o.url)} for ${seconds(idleMs)} s`, { cause: e });
    case 'redirects':
      return new DownloadError('too-many-redirects', `more than ${MAX_REDIRECTS} redirects from ${redact(o.url)}`, { cause: e });
    case 'bad-url':
      return new DownloadError('http', e.message, { cause: e });
    case 'cut':
      return new DownloadError('network', `the connection closed before the end${kept}`, { cause: e });
    default:
      // the stack's message names the host only, never the (possibly signed) URL
      return new DownloadError('network', e.message, { cause: e });
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

/** GET with redirects; Hugging Face's X-Linked-Etag/Size ride on the first (redirect) response. */
async function open(url: string, extra: Record<string, string>, o: DownloadOptions): Promise<Opened> {
  let res: HttpResponse;
  try {
    res = await openHttp(url, {
      headers: { ...o.headers, ...extra, 'Accept-Encoding': 'identity' },
      ...(o.signal ? { signal: o.signal } : {}),
      idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
      maxRedirects: MAX_REDIRECTS,
    });
  } catch (e) {
    throw downloadErrorOf(e, o);
  }
  let linkedSha256: string | undefined;
  let linkedSize: number | undefined;
  for (const headers of [...res.redirects.map((r) => r.headers), res.headers]) {
    const etag = typeof headers['x-linked-etag'] === 'string' ? headers['x-linked-etag'].replace(/"/g, '') : undefined;
    if (!linkedSha256 && etag && /^[0-9a-f]{64}$/i.test(etag)) linkedSha256 = etag;
    const size = Number(headers['x-linked-size']);
    if (linkedSize === undefined && Number.isFinite(size) && size > 0) linkedSize = size;
  }
  return { res, linkedSha256, linkedSize };
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

/**
 * Streams the body to the end of `part`, hashing as it goes, and waits for the disk when it lags
 * (backpressure). On an idle timeout, an abort or a cut, what arrived is flushed to disk (valid
 * data for a resume) before the error is reported.
 */
async function receive(
  res: HttpResponse,
  part: string,
  hash: Hash,
  have: number,
  total: number | undefined,
  resumedFrom: number,
  o: DownloadOptions,
  progress: (p: DownloadProgress) => void,
): Promise<void> {
  const out = fs.createWriteStream(part, { flags: have > 0 ? 'a' : 'w' });
  let diskError: Error | undefined;
  out.on('error', (e) => (diskError ??= e));
  const finish = (): Promise<void> => new Promise((resolve) => out.end(() => resolve()));
  let bytes = have;
  try {
    for await (const chunk of res.chunks()) {
      if (diskError) break;
      hash.update(chunk);
      bytes += chunk.length;
      // events.once rejects on the stream's 'error', which ends the wait on a failing disk too
      if (!out.write(chunk)) await once(out, 'drain');
      progress({ bytes, total, resumedFrom, phase: 'downloading' });
    }
  } catch (e) {
    await finish();
    throw diskError ? diskFailure(part, diskError) : downloadErrorOf(e, o);
  }
  await finish();
  if (diskError) throw diskFailure(part, diskError);
}

function diskFailure(part: string, e: Error): DownloadError {
  return new DownloadError('disk', `cannot write ${part}: ${e.message}`, { cause: e });
}
