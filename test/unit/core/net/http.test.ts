/**
 * The shared HTTP stack against a real server on 127.0.0.1: redirects with their headers, bodies
 * as chunks, lines and text, the idle timer (headers, between chunks, not while the consumer is
 * slow), abort, and the classification of failures.
 */
import * as assert from 'assert';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { isHttpFailure, openHttp, type HttpFailureKind } from '../../../../src/core/net/http';
import { closedPort } from '../../../support/fakeServers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Server {
  readonly url: string;
  /** Requests whose connection closed before the response ended. */
  readonly closedEarly: string[];
  readonly bodies: { path: string; body: string; length: string | undefined }[];
  close(): Promise<void>;
}

/** Where `/moved/NNN` sends a request: undefined = this server, else another origin (a base URL). */
let otherOrigin: string | undefined;

async function serve(): Promise<Server> {
  const closedEarly: string[] = [];
  const bodies: Server['bodies'] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '';
    res.on('close', () => !res.writableFinished && closedEarly.push(path));
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      void (async () => {
        bodies.push({ path, body: raw, length: req.headers['content-length'] });
        const moved = /^\/moved\/(\d{3})$/.exec(path);
        if (moved) return void res.writeHead(Number(moved[1]), { location: `${otherOrigin ?? ''}/echo` }).end();
        if (path === '/echo') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body: raw, auth: req.headers.authorization ?? null, type: req.headers['content-type'] ?? null }));
        const hop = /^\/hop\/(\d+)$/.exec(path);
        if (hop) {
          const n = Number(hop[1]);
          if (n === 0) return void res.writeHead(200, { 'x-final': 'yes' }).end('arrived');
          return void res.writeHead(302, { location: `/hop/${n - 1}`, 'x-hop': String(n) }).end();
        }
        switch (path) {
          case '/lines': {
            // 'é' (2 bytes) and '😀' (4 bytes) split across writes; no newline at the end
            const bytes = Buffer.from('first é line\nsecond 😀\n\nlast without newline');
            res.writeHead(200);
            let at = 0;
            // byte 7 is inside 'é', byte 23 inside '😀'
            for (const cut of [7, 23, 26, bytes.length]) {
              res.write(bytes.subarray(at, cut));
              at = cut;
              await sleep(10);
            }
            return void res.end();
          }
          case '/slow-headers':
            await sleep(1000);
            return void res.writeHead(200).end('late');
          case '/stall-body':
            res.writeHead(200, { 'content-length': '100' });
            res.write('x'.repeat(10));
            return;
          case '/paced':
            // 10 chunks 50 ms apart: never idle for 200 ms
            res.writeHead(200);
            for (let i = 0; i < 10; i++) {
              res.write(`chunk ${i}\n`);
              await sleep(50);
            }
            return void res.end();
          case '/cut':
            res.writeHead(200, { 'content-length': '1000' });
            res.write('x'.repeat(100), () => setTimeout(() => res.destroy(), 20));
            return;
          case '/reset':
            return void req.socket.destroy();
          case '/endless':
            res.writeHead(200);
            for (let i = 0; i < 200 && !res.destroyed; i++) {
              res.write('y'.repeat(1000));
              await sleep(10);
            }
            return void res.end();
          default:
            return void res.writeHead(404).end('not found');
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closedEarly,
    bodies,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function failsWith(p: Promise<unknown>, kind: HttpFailureKind, phase: 'connect' | 'body'): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isHttpFailure(e, kind), `expected ${kind}, got ${String(e)}`);
    assert.strictEqual(e.phase, phase, `${kind} in the ${phase} phase`);
    return true;
  });
}

describe('core/net/http: the shared HTTP stack', function () {
  this.timeout(20000);
  let s: Server;
  beforeEach(async () => (s = await serve()));
  afterEach(() => s.close());

  it('follows redirects up to the limit, keeping each redirect response; zero returns the redirect itself', async () => {
    const r = await openHttp(`${s.url}/hop/3`, { idleTimeoutMs: 1000, maxRedirects: 5 });
    assert.deepStrictEqual([r.status, r.header('x-final'), await r.text()], [200, 'yes', 'arrived']);
    assert.deepStrictEqual(r.redirects.map((h) => [h.status, h.headers['x-hop']]), [[302, '3'], [302, '2'], [302, '1']]);
    await failsWith(openHttp(`${s.url}/hop/6`, { idleTimeoutMs: 1000, maxRedirects: 5 }), 'redirects', 'connect');
    const raw = await openHttp(`${s.url}/hop/1`, { idleTimeoutMs: 1000 });
    assert.deepStrictEqual([raw.status, raw.header('location'), raw.redirects.length], [302, '/hop/0', 0]);
    raw.discard();
  });

  it('redirects as fetch does: 307/308 repeat a POST with its body, 301/302/303 turn it into a GET, credentials stay on their origin', async () => {
    const post = (status: number): Promise<unknown> =>
      openHttp(`${s.url}/moved/${status}`, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, idleTimeoutMs: 1000, maxRedirects: 5 }).then(async (r) => JSON.parse(await r.text()) as unknown);
    for (const status of [307, 308]) assert.deepStrictEqual(await post(status), { method: 'POST', body: '{"x":1}', auth: 'Bearer k', type: 'application/json' }, String(status));
    for (const status of [301, 302, 303]) assert.deepStrictEqual(await post(status), { method: 'GET', body: '', auth: 'Bearer k', type: null }, String(status));
    const other = await serve();
    try {
      otherOrigin = other.url;
      assert.deepStrictEqual(await post(308), { method: 'POST', body: '{"x":1}', auth: null, type: 'application/json' }, 'another origin');
    } finally {
      otherOrigin = undefined;
      await other.close();
    }
  });

  it('sends a POST body with its length; reads a body as lines, across chunk and UTF-8 boundaries', async () => {
    const r = await openHttp(`${s.url}/lines`, { method: 'POST', body: '{"a":"ü"}', headers: { 'content-type': 'application/json' }, idleTimeoutMs: 1000 });
    assert.deepStrictEqual(s.bodies.at(-1), { path: '/lines', body: '{"a":"ü"}', length: '10' });
    const lines = [];
    for await (const l of r.lines()) lines.push(l);
    assert.deepStrictEqual(lines, [
      { text: 'first é line', complete: true },
      { text: 'second 😀', complete: true },
      { text: '', complete: true },
      { text: 'last without newline', complete: false },
    ]);
  });

  it('times out waiting for headers, and between chunks; a steady stream or a slow consumer is not idle', async () => {
    await failsWith(openHttp(`${s.url}/slow-headers`, { idleTimeoutMs: 200 }), 'timeout', 'connect');
    const stalled = await openHttp(`${s.url}/stall-body`, { idleTimeoutMs: 200 });
    await failsWith(stalled.text(), 'timeout', 'body');
    // 1000 ms against a 50 ms pace: a loaded machine's event-loop stalls must not look idle
    const paced = await openHttp(`${s.url}/paced`, { idleTimeoutMs: 1000 });
    assert.strictEqual((await paced.text()).split('\n').length, 11);
    const slowReader = await openHttp(`${s.url}/paced`, { idleTimeoutMs: 200 });
    let n = 0;
    for await (const chunk of slowReader.chunks()) {
      n += chunk.length;
      await sleep(300);
    }
    assert.strictEqual(n, 80);
  });

  it('classifies refused, reset and cut connections and bad URLs', async () => {
    await failsWith(openHttp(`http://127.0.0.1:${await closedPort()}/`, { idleTimeoutMs: 1000 }), 'refused', 'connect');
    await failsWith(openHttp(`${s.url}/reset`, { idleTimeoutMs: 1000 }), 'reset', 'connect');
    const cut = await openHttp(`${s.url}/cut`, { idleTimeoutMs: 1000 });
    await failsWith(cut.text(), 'cut', 'body');
    await failsWith(openHttp('ftp://127.0.0.1/x', { idleTimeoutMs: 1000 }), 'bad-url', 'connect');
    await failsWith(openHttp('not a url', { idleTimeoutMs: 1000 }), 'bad-url', 'connect');
  });

  it('aborts before the headers, during the body, and at once for an aborted signal', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await failsWith(openHttp(`${s.url}/slow-headers`, { idleTimeoutMs: 5000, signal: ac.signal }), 'aborted', 'connect');
    const ac2 = new AbortController();
    const r = await openHttp(`${s.url}/endless`, { idleTimeoutMs: 5000, signal: ac2.signal });
    let got = 0;
    await failsWith(
      (async () => {
        for await (const chunk of r.chunks()) if ((got += chunk.length) > 5000) ac2.abort();
      })(),
      'aborted',
      'body',
    );
    await failsWith(openHttp(`${s.url}/hop/0`, { idleTimeoutMs: 1000, signal: AbortSignal.abort() }), 'aborted', 'connect');
  });

  it('closes the connection when the reader stops early', async () => {
    const r = await openHttp(`${s.url}/endless`, { idleTimeoutMs: 5000 });
    // what `break` in a for-await loop does
    const chunks = r.chunks();
    const first = await chunks.next();
    assert.ok(!first.done && first.value.length > 0);
    await chunks.return();
    while (!s.closedEarly.includes('/endless')) await sleep(10);
    assert.deepStrictEqual(s.closedEarly, ['/endless']);
  });

  it('sends again on a fresh connection when a kept-alive socket was reset before any response', async () => {
    // a raw server: the first request on a connection is answered (keep-alive), the second one on
    // the same connection is met with a reset, as a server that closed the idle socket meanwhile
    const net = await import('net');
    let connections = 0;
    const raw = net.createServer((socket) => {
      connections++;
      let served = 0;
      let buf = '';
      socket.on('data', (d) => {
        buf += d.toString();
        while (buf.includes('\r\n\r\n')) {
          buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
          if (served++ === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
          else socket.resetAndDestroy();
        }
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`;
    try {
      assert.strictEqual(await (await openHttp(url, { idleTimeoutMs: 5000 })).text(), 'ok');
      // the pooled socket is reused, reset, and the request sent again on a new connection
      assert.strictEqual(await (await openHttp(url, { idleTimeoutMs: 5000 })).text(), 'ok');
      assert.strictEqual(connections, 2);
    } finally {
      await new Promise<void>((r) => raw.close(() => r()));
    }
  });
});
