/**
 * The serving side of a RequestChannel (requestChannel.ts), inside a worker thread or a forked
 * child process: requests run one at a time in arrival order; a handler streams events with
 * `emit`, returns its result (or throws), and polls `aborted()` where it can stop early.
 */
import { parentPort } from 'worker_threads';
import { isAbortError, isTokenscopeError } from './errors';
import type { ChannelCall, ChannelReply } from './requestChannel';

/** The parent as seen from a worker thread or a child process. */
export interface ParentEndpoint {
  /** Posts a message; `flushed` runs once it has left this process (or at once when it cannot be sent). */
  post(message: unknown, transfer?: readonly ArrayBuffer[], flushed?: () => void): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** The parent of this worker thread, or undefined when not running in one. */
export function workerParent(): ParentEndpoint | undefined {
  const port = parentPort;
  if (!port) return undefined;
  return {
    post: (message, transfer, flushed) => {
      port.postMessage(message, transfer);
      flushed?.();
    },
    onMessage: (listener) => void port.on('message', listener),
  };
}

/**
 * The parent of this forked child process, or undefined without an IPC channel. The process exits
 * when the parent disconnects (the extension host closed or crashed: nothing is left to serve).
 */
export function processParent(): ParentEndpoint | undefined {
  const send = process.send?.bind(process);
  if (!send) return undefined;
  process.on('disconnect', () => process.exit(0));
  return {
    post: (message, _transfer, flushed) => {
      if (process.connected) send(message, undefined, undefined, () => flushed?.());
      else flushed?.();
    },
    onMessage: (listener) => void process.on('message', listener),
  };
}

/** A result with the buffers to transfer (not copy) to the parent; worker threads only. */
export class Transfer<T> {
  constructor(
    readonly value: T,
    readonly buffers: readonly ArrayBuffer[],
  ) {}
}

export interface RequestContext<Ev> {
  readonly id: number;
  /** Whether the requester aborted: one atomic load with a shared flag, else a field read. */
  readonly aborted: () => boolean;
  readonly emit: (event: Ev, transfer?: readonly ArrayBuffer[]) => void;
}

export interface ServeOptions {
  /** The code of an error that is neither an AbortError ('aborted') nor a TokenscopeError (its code); default 'failed'. */
  readonly fallbackCode?: string;
  /** Called once each reply has left this process (the one-shot analysis process exits there). */
  readonly onReplied?: () => void;
}

interface Live {
  aborted: boolean;
  readonly flag: Int32Array | undefined;
}

/** Serves RequestChannel requests from `parent` with `handle`. */
export function serveRequests<Req, Res, Ev = never>(
  parent: ParentEndpoint,
  handle: (request: Req, context: RequestContext<Ev>) => Res | Transfer<Res> | Promise<Res | Transfer<Res>>,
  options: ServeOptions = {},
): void {
  const live = new Map<number, Live>();
  const reply = (m: ChannelReply<Res, Ev>, transfer?: readonly ArrayBuffer[]): void => parent.post(m, transfer, options.onReplied);
  const codeOf = (e: unknown): string => (isAbortError(e) ? 'aborted' : isTokenscopeError(e) ? e.code : (options.fallbackCode ?? 'failed'));
  let queue = Promise.resolve();
  parent.onMessage((raw) => {
    const call = raw as ChannelCall<Req>;
    if ('abort' in call) {
      const l = live.get(call.abort);
      if (l) l.aborted = true;
      return;
    }
    const { id } = call;
    const state: Live = { aborted: false, flag: call.abortFlag ? new Int32Array(call.abortFlag) : undefined };
    live.set(id, state);
    const context: RequestContext<Ev> = {
      id,
      aborted: () => state.aborted || (state.flag !== undefined && Atomics.load(state.flag, 0) !== 0),
      emit: (event, transfer) => parent.post({ id, type: 'event', event } satisfies ChannelReply<Res, Ev>, transfer),
    };
    queue = queue.then(async () => {
      try {
        if (context.aborted()) {
          reply({ id, type: 'error', code: 'aborted', message: 'cancelled' });
          return;
        }
        const r = await handle(call.request, context);
        if (r instanceof Transfer) reply({ id, type: 'result', result: r.value }, r.buffers);
        else reply({ id, type: 'result', result: r });
      } catch (e) {
        reply({ id, type: 'error', code: codeOf(e), message: e instanceof Error ? e.message : String(e) });
      } finally {
        live.delete(id);
      }
    });
    // a reply that could not be posted (the parent is gone) must not stop the requests behind it
    queue = queue.catch(() => undefined);
  });
}
