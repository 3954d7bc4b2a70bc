/**
 * The async toolkit every component uses instead of hand-written timers and abort wiring: a
 * `Delayer` for debouncing, `raceAbort` and `abortableDelay` for making an await cancellable, and
 * `nextEvent` for waiting on an event. No vscode import: the vscode side adapts a
 * CancellationToken to an AbortSignal with `signalOf` (src/util/cancellation.ts).
 */
import type { IDisposable } from './dispose';

/** A subscription function: structurally compatible with `vscode.Event<T>`. */
export type Event<T> = (listener: (e: T) => unknown) => IDisposable;

/**
 * Resolves on a later turn of the event loop (setImmediate: after pending I/O and timers), for work
 * cut into slices on a thread that must stay responsive.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The error an aborted operation rejects with unless the caller supplies its own (name 'AbortError'). */
export function abortError(message = 'cancelled'): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/**
 * Runs a task once, some milliseconds after it was triggered, however many triggers came
 * meanwhile. Two policies:
 * - `debounce`: every trigger restarts the wait (the task runs once the events stop: settings
 *   writes, an inspector refresh);
 * - `coalesce`: the first trigger fixes the deadline and later ones only replace the task (the
 *   task runs at most every `delayMs` while events keep coming: typing, scrolling, a selection drag;
 *   a debounce would never run during a long burst).
 * Cost: one timer; a trigger is O(1).
 */
export class Delayer implements IDisposable {
  private timer: NodeJS.Timeout | undefined;
  private task: (() => void) | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly policy: 'debounce' | 'coalesce' = 'debounce',
  ) {}

  get isScheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Schedules `task` (replacing a pending one) after `delayMs` (this call's, or the default). */
  trigger(task: () => void, delayMs = this.delayMs): void {
    this.task = task;
    if (this.timer !== undefined) {
      if (this.policy === 'coalesce') return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => this.run(), delayMs);
  }

  /** Drops the pending task, if any. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.task = undefined;
  }

  dispose(): void {
    this.cancel();
  }

  private run(): void {
    const task = this.task;
    this.timer = undefined;
    this.task = undefined;
    task?.();
  }
}

/**
 * Settles like `promise`, unless `signal` aborts first: then rejects at once with `makeError()`
 * (the promise itself runs on; its outcome is ignored). The abort listener is removed either way.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, makeError: () => Error = abortError): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(makeError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(makeError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Resolves after `ms`, or rejects with `makeError()` as soon as `signal` aborts (the timer is cleared). */
export function abortableDelay(ms: number, signal?: AbortSignal, makeError: () => Error = abortError): Promise<void> {
  if (signal?.aborted) return Promise.reject(makeError());
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(makeError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves with the next event that satisfies `accept` (every event when omitted); rejects with
 * `makeError()` when `signal` aborts first. The listener is disposed either way.
 */
export function nextEvent<T>(event: Event<T>, accept: (e: T) => boolean = () => true, signal?: AbortSignal, makeError: () => Error = abortError): Promise<T> {
  if (signal?.aborted) return Promise.reject(makeError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      sub.dispose();
      reject(makeError());
    };
    const sub = event((e) => {
      if (!accept(e)) return;
      sub.dispose();
      signal?.removeEventListener('abort', onAbort);
      resolve(e);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
