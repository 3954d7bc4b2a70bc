/**
 * The model downloader against a real HTTP server on 127.0.0.1 that serves a file with Range
 * support, Hugging Face's X-Linked headers and a redirect, and injects faults: a connection cut
 * mid-body, a server that ignores Range, wrong bytes, a stall, a 404.
 */
import * as assert from 'assert';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { downloadFile, isDownloadError, type DownloadErrorCode, type DownloadProgress } from '../../../../src/core/download/downloader';

interface ServerOptions {
  /** Cut the connection after this many body bytes, on the first N requests. */
  cutAfter?: number;
  cuts?: number;
  ignoreRange?: boolean;
  /** Send X-Linked-Etag/Size on the /resolve redirect, like huggingface.co. */
  linked?: { sha256: string; size: number };
  /** Corrupt one byte of what is sent. */
  corrupt?: boolean;
  /** Send headers, then nothing. */
  stall?: boolean;
}

interface FileServer {
  url: string;
  requests: { path: string; range: string | undefined }[];
  close(): Promise<void>;
}

async function serve(data: Buffer, opts: ServerOptions = {}): Promise<FileServer> {
  const requests: FileServer['requests'] = [];
  let cuts = opts.cuts ?? 1;
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    if (req.url?.startsWith('/resolve/')) {
      // huggingface.co answers /resolve/ with a redirect to the CDN, with the LFS hash and size
      const h: http.OutgoingHttpHeaders = { location: '/cdn/model.gguf?X-Amz-Signature=secret' };
      if (opts.linked) Object.assign(h, { 'x-linked-etag': `"${opts.linked.sha256}"`, 'x-linked-size': String(opts.linked.size) });
      res.writeHead(302, h).end();
      return;
    }
    if (!req.url?.startsWith('/cdn/') && req.url !== '/model.gguf') {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let body = opts.corrupt ? Buffer.from(data) : data;
    if (opts.corrupt) body[Math.floor(body.length / 2)]! ^= 0xff;
    if (m && !opts.ignoreRange) {
      start = Number(m[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-length': String(data.length - start), 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
    } else {
      res.writeHead(200, { 'content-length': String(data.length) });
    }
    body = body.subarray(start);
    if (opts.stall) {
      res.flushHeaders();
      return;
    }
    if (opts.cutAfter !== undefined && cuts > 0) {
      cuts--;
      res.write(body.subarray(0, opts.cutAfter), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    // in pieces, so progress is reported more than once
    const piece = 256 * 1024;
    let at = 0;
    const next = (): void => {
      if (at >= body.length) {
        res.end();
        return;
      }
      const chunk = body.subarray(at, at + piece);
      at += piece;
      if (res.write(chunk)) setImmediate(next);
      else res.once('drain', next);
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function rejectsWith(p: Promise<unknown>, code: DownloadErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isDownloadError(e, code), `expected ${code}, got ${String(e)}`);
    return true;
  });
}

describe('core/download: resumable, verified model downloads', function () {
  this.timeout(30000);
  const data = randomBytes(3 * 1024 * 1024 + 123);
  let dir: string;
  let dest: string;
  let server: FileServer | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-dl-'));
    dest = path.join(dir, 'model.gguf');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads, checks size and SHA-256, reports progress, and renames into place', async () => {
    server = await serve(data);
    const seen: DownloadProgress[] = [];
    const r = await downloadFile({ url: `${server.url}/model.gguf`, dest, sha256: sha(data), size: data.length, onProgress: (p) => seen.push(p) });
    assert.deepStrictEqual(fs.readFileSync(dest), data);
    assert.ok(!fs.existsSync(`${dest}.part`));
    assert.deepStrictEqual([r.bytes, r.sha256, r.checkedAgainst, r.resumedFrom], [data.length, sha(data), 'caller', 0]);
    const downloading = seen.filter((p) => p.phase === 'downloading');
    assert.ok(downloading.length > 3, `${downloading.length} progress reports`);
    for (let i = 1; i < downloading.length; i++) assert.ok(downloading[i]!.bytes >= downloading[i - 1]!.bytes);
    assert.strictEqual(downloading.at(-1)!.bytes, data.length);
    assert.strictEqual(downloading.at(-1)!.total, data.length);
  });

  it('follows the Hugging Face redirect and checks against its X-Linked-Etag; the signed URL never appears in errors', async () => {
    server = await serve(data, { linked: { sha256: sha(data), size: data.length } });
    const r = await downloadFile({ url: `${server.url}/resolve/main/model.gguf`, dest });
    assert.deepStrictEqual([r.checkedAgainst, r.redirects, r.sha256], ['server', 1, sha(data)]);
    await server.close();
    // and a wrong linked hash is caught
    server = await serve(data, { linked: { sha256: sha(Buffer.from('other')), size: data.length } });
    await assert.rejects(downloadFile({ url: `${server.url}/cdn/model.gguf?X-Amz-Signature=secret`, dest: path.join(dir, 'b.gguf'), sha256: sha(Buffer.from('other')) }), (e: unknown) => {
      assert.ok(isDownloadError(e, 'checksum-mismatch'));
      assert.ok(!e.message.includes('secret'), e.message);
      return true;
    });
    await rejectsWith(downloadFile({ url: `${server.url}/resolve/main/model.gguf`, dest: path.join(dir, 'c.gguf') }), 'checksum-mismatch');
  });

  it('resumes after a connection cut: a Range request for the rest, the result is byte-identical', async () => {
    server = await serve(data, { cutAfter: 1024 * 1024 });
    const url = `${server.url}/model.gguf`;
    await rejectsWith(downloadFile({ url, dest, sha256: sha(data) }), 'network');
    const kept = fs.statSync(`${dest}.part`).size;
    assert.ok(kept >= 1024 * 1024 && kept < data.length, `kept ${kept}`);
    assert.ok(!fs.existsSync(dest), 'nothing at the final path before verification');
    const r = await downloadFile({ url, dest, sha256: sha(data) });
    assert.strictEqual(r.resumedFrom, kept);
    assert.strictEqual(server.requests.at(-1)!.range, `bytes=${kept}-`);
    assert.deepStrictEqual(fs.readFileSync(dest), data);
  });

  it('a server that ignores Range: starts over instead of splicing', async () => {
    server = await serve(data, { cutAfter: 500_000, ignoreRange: true });
    const url = `${server.url}/model.gguf`;
    await rejectsWith(downloadFile({ url, dest, sha256: sha(data) }), 'network');
    const r = await downloadFile({ url, dest, sha256: sha(data) });
    assert.deepStrictEqual(fs.readFileSync(dest), data);
    assert.ok(server.requests.at(-1)!.range, 'asked for a range');
    assert.strictEqual(r.resumedFrom, 0, 'started over');
  });

  it('a complete partial file (416 on resume) is verified and moved into place', async () => {
    server = await serve(data);
    fs.writeFileSync(`${dest}.part`, data);
    const r = await downloadFile({ url: `${server.url}/model.gguf`, dest, sha256: sha(data) });
    assert.strictEqual(r.resumedFrom, data.length);
    assert.deepStrictEqual(fs.readFileSync(dest), data);
  });

  it('wrong bytes: checksum mismatch, the partial file is deleted and nothing is at the final path', async () => {
    server = await serve(data, { corrupt: true });
    await rejectsWith(downloadFile({ url: `${server.url}/model.gguf`, dest, sha256: sha(data) }), 'checksum-mismatch');
    assert.ok(!fs.existsSync(dest) && !fs.existsSync(`${dest}.part`));
  });

  it('a size different from the expected one fails (and a longer file is deleted)', async () => {
    server = await serve(data);
    await rejectsWith(downloadFile({ url: `${server.url}/model.gguf`, dest, size: data.length - 10 }), 'size-mismatch');
    assert.ok(!fs.existsSync(dest) && !fs.existsSync(`${dest}.part`));
  });

  it('HTTP errors, refused connections and stalls are typed; a cancelled download keeps its partial file', async () => {
    server = await serve(data, { stall: true });
    await rejectsWith(downloadFile({ url: `${server.url}/nope.gguf`, dest }), 'http');
    await rejectsWith(downloadFile({ url: `${server.url}/model.gguf`, dest, idleTimeoutMs: 300 }), 'timeout');
    await server.close();
    server = await serve(data, { cutAfter: 600_000, cuts: 0 });
    // cancel mid-way
    const ac = new AbortController();
    const p = downloadFile({ url: `${server.url}/model.gguf`, dest, signal: ac.signal, onProgress: (x) => x.bytes > 500_000 && ac.abort() });
    await rejectsWith(p, 'aborted');
    assert.ok(fs.statSync(`${dest}.part`).size > 500_000);
    assert.ok(!fs.existsSync(dest));
    const url = server.url;
    await server.close();
    server = undefined;
    await rejectsWith(downloadFile({ url: `${url}/model.gguf`, dest }), 'network');
    await rejectsWith(downloadFile({ url: 'ftp://127.0.0.1/x', dest }), 'http');
  });
});
