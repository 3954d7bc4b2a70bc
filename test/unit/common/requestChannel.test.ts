/**
 * The request channel over its two real transports: a worker thread and a forked child process,
 * both running channelPeer.js.
 */
import * as assert from 'assert';
import { fork } from 'child_process';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { TokenscopeError, isAbortError, isTokenscopeError } from '../../../src/common/errors';
import { childProcessTransport, describeExit, RequestChannel, workerTransport, type ChannelTransport, type RequestChannelOptions, type TransportExit } from '../../../src/common/requestChannel';
import type { PeerRequest } from './channelPeer';

const PEER = path.join(__dirname, 'channelPeer.js');

interface Peer {
  readonly transport: ChannelTransport;
  stop(): Promise<void>;
}

const peers: Record<'worker thread' | 'child process', () => Peer> = {
  'worker thread': () => {
    const w = new Worker(PEER);
    return { transport: workerTransport(w), stop: async () => void (await w.terminate()) };
  },
  'child process': () => {
    const c = fork(PEER, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    return {
      transport: childProcessTransport(c),
      stop: () => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => (c.once('exit', () => r()), c.kill('SIGKILL')))),
    };
  },
};

const codedError = (code: string, message: string): Error => new TokenscopeError(code, message);

describe('common/requestChannel: requests to a worker thread and a child process', function () {
  this.timeout(20000);
  for (const [kind, start] of Object.entries(peers)) {
    describe(kind, () => {
      let peer: Peer;
      let channel: RequestChannel<PeerRequest, unknown, number>;
      let exits: TransportExit[];
      const open = (extra: Partial<RequestChannelOptions> = {}): RequestChannel<PeerRequest, unknown, number> => {
        peer = start();
        exits = [];
        return new RequestChannel<PeerRequest, unknown, number>(peer.transport, {
          replyError: codedError,
          exitError: (exit) => {
            exits.push(exit);
            return codedError('crashed', `peer exited (${describeExit(exit)})`);
          },
          ...extra,
        });
      };
      beforeEach(() => (channel = open()));
      afterEach(async () => {
        channel.dispose();
        await peer.stop();
      });

      it('answers requests, in order, with results and typed errors', async () => {
        const [a, b, c] = await Promise.all([
          channel.request({ op: 'echo', value: { x: [1, 2], s: 'ü' } }),
          channel.request({ op: 'fail', code: 'gguf-invalid', message: 'bad header' }).catch((e: unknown) => e),
          channel.request({ op: 'fail', message: 'plain' }).catch((e: unknown) => e),
        ]);
        assert.deepStrictEqual(a, { x: [1, 2], s: 'ü' });
        assert.ok(isTokenscopeError(b, 'gguf-invalid') && b.message === 'bad header', String(b));
        assert.ok(isTokenscopeError(c, 'failed') && c.message === 'plain', String(c));
        assert.strictEqual(channel.pendingCount, 0);
      });

      it('rejects a request that cannot be serialized, without leaving it pending', async () => {
        await assert.rejects(channel.request({ op: 'echo', value: () => 1 }), (e: unknown) => e instanceof Error && /could not be cloned|clone/i.test(e.message));
        assert.strictEqual(channel.pendingCount, 0);
        assert.strictEqual(await channel.request({ op: 'echo', value: 'still served' }), 'still served');
      });

      it('streams events before the result', async () => {
        const events: number[] = [];
        const r = await channel.request({ op: 'count', n: 50 }, { onEvent: (e) => events.push(e) });
        assert.strictEqual(r, 50);
        assert.deepStrictEqual(events, Array.from({ length: 50 }, (_, i) => i + 1));
        const bytes = (await channel.request({ op: 'bytes', n: 1000 })) as Uint8Array;
        assert.deepStrictEqual([bytes.length, bytes[999]], [1000, 7]);
      });

      it('aborts a running request on the other side; "reply" waits for its answer and keeps it pending until then', async () => {
        await channel.request({ op: 'echo', value: 'started' });
        const ac = new AbortController();
        // the worker spins without an event loop turn: only the shared flag reaches it there
        const op: PeerRequest = kind === 'worker thread' ? { op: 'spin', ms: 5000 } : { op: 'wait', ms: 5000 };
        const t0 = performance.now();
        const p = channel.request(op, { signal: ac.signal });
        setTimeout(() => ac.abort(), 100);
        const outcome = await p.then(
          (v) => v,
          (e: unknown) => e,
        );
        assert.ok(performance.now() - t0 < 2500, 'stopped early');
        if (kind === 'worker thread') assert.ok(isTokenscopeError(outcome, 'aborted'), String(outcome));
        else assert.strictEqual(outcome, true, 'the handler saw the abort');
        assert.strictEqual(channel.pendingCount, 0);
      });

      it('"now" rejects at once with the abort error; the other side stops all the same and serves the next request', async () => {
        const ac = new AbortController();
        const p = channel.request({ op: 'wait', ms: 5000 }, { signal: ac.signal, settleOnAbort: 'now' });
        setTimeout(() => ac.abort(), 50);
        await assert.rejects(p, (e: unknown) => isAbortError(e));
        assert.strictEqual(channel.pendingCount, 0);
        const t0 = performance.now();
        assert.strictEqual(await channel.request({ op: 'echo', value: 1 }), 1);
        assert.ok(performance.now() - t0 < 2500, `the aborted handler held the queue for ${(performance.now() - t0).toFixed(0)} ms`);
      });

      it('an aborted signal never posts; a request aborted while queued never runs', async () => {
        await assert.rejects(channel.request({ op: 'echo', value: 1 }, { signal: AbortSignal.abort() }), (e: unknown) => isAbortError(e));
        const before = (await channel.request({ op: 'started' })) as number;
        const ac = new AbortController();
        const running = channel.request({ op: 'wait', ms: 300 });
        const queued = channel.request({ op: 'echo', value: 'never' }, { signal: ac.signal });
        ac.abort();
        await assert.rejects(queued, (e: unknown) => isTokenscopeError(e, 'aborted'));
        await running;
        // the 'wait' and this request ran; the aborted echo did not
        assert.strictEqual(await channel.request({ op: 'started' }), before + 2);
      });

      it('times out a request, and tells the other side to stop', async () => {
        const t0 = performance.now();
        await assert.rejects(channel.request({ op: 'wait', ms: 5000 }, { timeoutMs: 100 }), (e: unknown) => e instanceof Error && e.name === 'TimeoutError' && /100 ms/.test(e.message));
        assert.strictEqual(channel.pendingCount, 0);
        assert.strictEqual(await channel.request({ op: 'echo', value: 2 }), 2);
        assert.ok(performance.now() - t0 < 2500, 'the timed-out handler stopped');
      });

      it('fails every pending request when the other side exits, and every later one', async () => {
        // a worker's stderr is this process's: nothing to write there
        const exiting = channel.request({ op: 'exit', code: 3, stderr: kind === 'child process' ? 'something broke\nfor good\n' : '' });
        const queued = channel.request({ op: 'echo', value: 'never answered' });
        queued.catch(() => undefined);
        await assert.rejects(exiting, (e: unknown) => isTokenscopeError(e, 'crashed') && /code 3/.test(e.message));
        await assert.rejects(queued, (e: unknown) => isTokenscopeError(e, 'crashed'));
        assert.strictEqual(channel.pendingCount, 0);
        assert.strictEqual(exits.length, 1);
        if (kind === 'child process') assert.match(exits[0]!.stderrTail, /something broke\nfor good/);
        await assert.rejects(channel.request({ op: 'echo', value: 1 }), (e: unknown) => isTokenscopeError(e, 'crashed'));
      });

      it('close() fails the pending requests with the given error', async () => {
        const p = channel.request({ op: 'wait', ms: 5000 });
        channel.close(codedError('disposed', 'gone'));
        await assert.rejects(p, (e: unknown) => isTokenscopeError(e, 'disposed'));
        await assert.rejects(channel.request({ op: 'echo', value: 1 }), (e: unknown) => isTokenscopeError(e, 'disposed'));
      });

      it('calls the idle callback once no request was pending for the idle time', async () => {
        channel.dispose();
        await peer.stop();
        let idleAt = 0;
        channel = open({ idle: { ms: 150, then: () => (idleAt = performance.now()) } });
        await channel.request({ op: 'wait', ms: 200 });
        const settled = performance.now();
        assert.strictEqual(idleAt, 0, 'not idle while a request was pending');
        await new Promise((r) => setTimeout(r, 400));
        assert.ok(idleAt - settled >= 140 && idleAt - settled < 400, `idle after ${(idleAt - settled).toFixed(0)} ms`);
      });
    });
  }
});
