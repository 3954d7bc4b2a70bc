/**
 * Request/response over a message transport to a worker thread or a child process: the one
 * mechanism behind BackgroundTokenizer, LocalBackend and runModelAnalysis. Each request gets an
 * id; the other side (`serveRequests`, requestServer.ts) answers with any number of events
 * (progress, streamed tokens) and then one result or error. An abort reaches the other side as a
 * shared flag where memory is shared (a synchronous handler sees it mid-run) and as a message
 * otherwise; when the other side exits or fails, every pending request fails.
 *
 * Cost per request: one map entry, one posted message (plus one per event), and with a worker one
 * 4-byte SharedArrayBuffer.
 */
import type { ChildProcess } from 'child_process';
import type { Worker } from 'worker_threads';
import { abortError } from './async';
import { combinedDisposable, type IDisposable } from './dispose';

// ---- the wire ------------------------------------------------------------------------------------

/** Host → serving side. */
export type ChannelCall<Req> =
  | {
      readonly id: number;
      readonly request: Req;
      /** One Int32, non-zero once the request is aborted (transports that share memory only). */
      readonly abortFlag?: SharedArrayBuffer;
    }
  | { readonly abort: number };

/** Serving side → host. `code` is the serving side's error kind ('aborted' for a cancelled request). */
export type ChannelReply<Res, Ev> =
  | { readonly id: number; readonly type: 'event'; readonly event: Ev }
  | { readonly id: number; readonly type: 'result'; readonly result: Res }
  | { readonly id: number; readonly type: 'error'; readonly code: string; readonly message: string };

// ---- transports ----------------------------------------------------------------------------------

/** How the other side ended: an exit, or an 'error' event of the worker or process. */
export interface TransportExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly error?: Error;
  /** The end of the process's stderr (at most 2000 characters; '' for a worker thread). */
  readonly stderrTail: string;
}

/** What a RequestChannel needs from a worker thread or a child process. */
export interface ChannelTransport {
  /** Whether a SharedArrayBuffer posted over it is shared (worker threads), not copied. */
  readonly sharesMemory: boolean;
  /** Posts a message; dropped when the other side is gone (its exit fails the requests). */
  post(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): IDisposable;
  onExit(listener: (exit: TransportExit) => void): IDisposable;
  /** Whether the transport keeps this process alive (when supported). */
  keepAlive?(on: boolean): void;
}

function listen<A extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, listener: (...args: A) => void): IDisposable {
  const l = listener as (...args: unknown[]) => void;
  emitter.on(event, l);
  return { dispose: () => void emitter.off(event, l) };
}


/**
 * An 'error' event with no listener throws in the process that owns the emitter (here: the
 * extension host). A channel detaches its listeners on close, and the owner terminates the worker or
 * kills the process after that; a late 'error' then lands here.
 */
function absorbLateErrors(emitter: NodeJS.EventEmitter): void {
  emitter.on('error', () => undefined);
}

/** A worker thread as a transport: shared memory, transferable buffers, ref/unref. */
export function workerTransport(worker: Worker): ChannelTransport {
  absorbLateErrors(worker);
  return {
    sharesMemory: true,
    post: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (listener) => listen(worker, 'message', listener),
    onExit: (listener) =>
      combinedDisposable(
        listen(worker, 'error', (error: Error) => listener({ code: null, signal: null, error, stderrTail: '' })),
        listen(worker, 'exit', (code: number) => listener({ code, signal: null, stderrTail: '' })),
      ),
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
  };
}

const STDERR_TAIL_CHARS = 2000;

/**
 * A child process forked with an IPC channel (`serialization: 'advanced'` keeps typed arrays cheap)
 * as a transport. Its stderr, when piped, is kept as a tail for the exit report.
 */
export function childProcessTransport(child: ChildProcess): ChannelTransport {
  absorbLateErrors(child);
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (stderrTail = (stderrTail + d).slice(-STDERR_TAIL_CHARS)));
  return {
    sharesMemory: false,
    post: (message) => {
      if (child.connected) child.send(message as object);
    },
    onMessage: (listener) => listen(child, 'message', listener),
    onExit: (listener) =>
      combinedDisposable(
        listen(child, 'error', (error: Error) => listener({ code: null, signal: null, error, stderrTail })),
        listen(child, 'exit', (code: number | null, signal: string | null) => listener({ code, signal, stderrTail })),
      ),
  };
}

/** "signal SIGKILL" or "code 1": how an exit reads in a message. */
export function describeExit(exit: TransportExit): string {
  return exit.signal ?? `code ${exit.code}`;
}

/** The last `lines` lines of the stderr tail, joined with " | " ('' when there was none). */
export function stderrSummary(exit: TransportExit, lines: number): string {
  return exit.stderrTail.trim().split('\n').slice(-lines).join(' | ');
}

// ---- the channel ---------------------------------------------------------------------------------

export interface RequestChannelOptions {
  /** The error a request rejects with when its signal aborts (default: an AbortError). */
  readonly abortError?: () => Error;
  /** The error an error reply becomes. */
  readonly replyError: (code: string, message: string) => Error;
  /**
   * The error every pending request fails with when the other side exits or fails; the client's
   * own bookkeeping of the exit belongs here too (called once per exit or error event).
   */
  readonly exitError: (exit: TransportExit) => Error;
  /** The error of a request whose `timeoutMs` passed (default: "no answer in N ms", name 'TimeoutError'). */
  readonly timeoutError?: (ms: number) => Error;
  /** Called after this long (ms) without a pending request; the timer does not keep the process alive. */
  readonly idle?: { readonly ms: number; readonly then: () => void };
  /** Let the transport keep the process alive exactly while requests are pending. */
  readonly keepAliveWhileBusy?: boolean;
}

export interface ChannelRequestOptions<Ev> {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: Ev) => void;
  /** Fails the request (and aborts it on the other side) when no result came in this long (ms). */
  readonly timeoutMs?: number;
  readonly transfer?: readonly ArrayBuffer[];
  /**
   * On abort, 'reply' (default) waits for the other side's answer (a partial result or an 'aborted'
   * error) and so keeps the request pending until the other side is done with it; 'now' rejects
   * at once (the other side is told all the same, and its answer is dropped).
   */
  readonly settleOnAbort?: 'reply' | 'now';
}

interface InFlight<Res, Ev> {
  readonly resolve: (r: Res) => void;
  readonly reject: (e: Error) => void;
  readonly onEvent: ((e: Ev) => void) | undefined;
  /** Detaches the abort listener and clears the timeout. */
  readonly release: () => void;
}

function defaultTimeoutError(ms: number): Error {
  const e = new Error(`no answer in ${ms} ms`);
  e.name = 'TimeoutError';
  return e;
}

/**
 * The host side: `request()` posts one request and settles with its result. One channel per
 * worker or process: a restarted worker gets a new channel.
 */
export class RequestChannel<Req, Res, Ev = never> implements IDisposable {
  private nextId = 1;
  private readonly inFlight = new Map<number, InFlight<Res, Ev>>();
  private readonly subscriptions: IDisposable;
  private idleTimer: NodeJS.Timeout | undefined;
  private closedWith: Error | undefined;

  constructor(
    private readonly transport: ChannelTransport,
    private readonly options: RequestChannelOptions,
  ) {
    this.subscriptions = combinedDisposable(
      transport.onMessage((m) => this.onReply(m as ChannelReply<Res, Ev>)),
      // an 'error' event may leave the other side running (a failed send); an exit ends the channel
      transport.onExit((exit) => (exit.error ? this.failAll(options.exitError(exit)) : this.close(options.exitError(exit)))),
    );
    this.busyChanged();
  }

  /** Requests posted and not yet settled. */
  get pendingCount(): number {
    return this.inFlight.size;
  }

  request(request: Req, options: ChannelRequestOptions<Ev> = {}): Promise<Res> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const { signal } = options;
    const makeAbortError = this.options.abortError ?? (() => abortError());
    if (signal?.aborted) return Promise.reject(makeAbortError());
    const id = this.nextId++;
    const flag = this.transport.sharesMemory ? new SharedArrayBuffer(4) : undefined;
    return new Promise<Res>((resolve, reject) => {
      const abortRemote = (): void => {
        if (flag) Atomics.store(new Int32Array(flag), 0, 1);
        else this.transport.post({ abort: id } satisfies ChannelCall<Req>);
      };
      const onAbort = (): void => {
        abortRemote();
        if (options.settleOnAbort === 'now') this.settle(id)?.reject(makeAbortError());
      };
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              abortRemote();
              this.settle(id)?.reject((this.options.timeoutError ?? defaultTimeoutError)(options.timeoutMs!));
            }, options.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.inFlight.set(id, {
        resolve,
        reject,
        onEvent: options.onEvent,
        release: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
      this.busyChanged();
      const call: ChannelCall<Req> = flag ? { id, request, abortFlag: flag } : { id, request };
      try {
        this.transport.post(call, options.transfer);
      } catch (e) {
        // a request that cannot be serialized
        this.settle(id)?.reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Rejects every pending request with `error`. */
  failAll(error: Error): void {
    const all = [...this.inFlight.keys()];
    for (const id of all) this.settle(id)?.reject(error);
  }

  /** Fails the pending requests and every later one with `error`, and stops listening. */
  close(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.failAll(error);
    this.subscriptions.dispose();
    clearTimeout(this.idleTimer);
  }

  dispose(): void {
    this.close(new Error('request channel closed'));
  }

  private onReply(m: ChannelReply<Res, Ev>): void {
    if (m.type === 'event') {
      this.inFlight.get(m.id)?.onEvent?.(m.event);
      return;
    }
    const p = this.settle(m.id);
    if (!p) return;
    if (m.type === 'result') p.resolve(m.result);
    else p.reject(this.options.replyError(m.code, m.message));
  }

  /** Removes the request's entry and returns it (undefined when already settled). */
  private settle(id: number): InFlight<Res, Ev> | undefined {
    const p = this.inFlight.get(id);
    if (!p) return undefined;
    this.inFlight.delete(id);
    p.release();
    this.busyChanged();
    return p;
  }

  private busyChanged(): void {
    const busy = this.inFlight.size > 0;
    if (this.options.keepAliveWhileBusy) this.transport.keepAlive?.(busy);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const idle = this.options.idle;
    if (!busy && idle && !this.closedWith) {
      this.idleTimer = setTimeout(idle.then, idle.ms);
      this.idleTimer.unref();
    }
  }
}
