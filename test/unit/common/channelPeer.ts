/**
 * The serving side for the RequestChannel tests: runs as a worker thread or as a forked child
 * process (whichever parent it finds) and answers a few test operations.
 */
import { abortableDelay, abortError } from '../../../src/common/async';
import { TokenscopeError } from '../../../src/common/errors';
import { processParent, serveRequests, Transfer, workerParent } from '../../../src/common/requestServer';

export type PeerRequest =
  | { readonly op: 'echo'; readonly value: unknown }
  /** Emits 1…n as events, then returns n. */
  | { readonly op: 'count'; readonly n: number }
  /** Spins synchronously (no event loop turn) until aborted or `ms` passed; throws an AbortError when aborted. */
  | { readonly op: 'spin'; readonly ms: number }
  /** Waits asynchronously until aborted or `ms` passed; returns whether it was aborted. */
  | { readonly op: 'wait'; readonly ms: number }
  | { readonly op: 'fail'; readonly code?: string; readonly message: string }
  /** Writes `stderr` and exits with `code` at once. */
  | { readonly op: 'exit'; readonly code: number; readonly stderr: string }
  /** Returns `n` bytes of value 7 in a transferred buffer. */
  | { readonly op: 'bytes'; readonly n: number }
  /** How many requests this peer has started so far (this one included). */
  | { readonly op: 'started' };

let started = 0;

const parent = workerParent() ?? processParent();
if (parent) {
  serveRequests<PeerRequest, unknown, number>(parent, async (r, context) => {
    started++;
    switch (r.op) {
      case 'echo':
        return r.value;
      case 'count':
        for (let i = 1; i <= r.n; i++) context.emit(i);
        return r.n;
      case 'spin': {
        const end = performance.now() + r.ms;
        while (performance.now() < end) if (context.aborted()) throw abortError();
        return 'done';
      }
      case 'wait': {
        const end = performance.now() + r.ms;
        while (performance.now() < end && !context.aborted()) await abortableDelay(5);
        return context.aborted();
      }
      case 'fail':
        throw r.code ? new TokenscopeError(r.code, r.message) : new Error(r.message);
      case 'exit':
        process.stderr.write(r.stderr);
        // let stderr reach the parent before the exit
        await abortableDelay(50);
        return process.exit(r.code);
      case 'bytes': {
        const b = new Uint8Array(r.n).fill(7);
        return new Transfer(b, [b.buffer]);
      }
      case 'started':
        return started;
    }
  });
}
