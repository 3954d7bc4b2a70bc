import * as assert from 'assert';
import { abortableDelay, abortError, Delayer, nextEvent, raceAbort, type Event } from '../../../src/common/async';
import { toDisposable } from '../../../src/common/dispose';

/** A minimal event source for the tests (the shape of vscode.EventEmitter's `event`). */
function emitter<T>(): { event: Event<T>; fire(e: T): void; listeners(): number } {
  const ls = new Set<(e: T) => unknown>();
  return {
    event: (l) => {
      ls.add(l);
      return toDisposable(() => ls.delete(l));
    },
    fire: (e) => [...ls].forEach((l) => l(e)),
    listeners: () => ls.size,
  };
}

/** Resolves once `check` holds, polling on the macrotask queue (state, not time). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 1));
}

describe('common/async', () => {
  describe('Delayer', () => {
    it('debounce: runs the last task once, after the triggers stop', async () => {
      const d = new Delayer(5, 'debounce');
      const ran: number[] = [];
      d.trigger(() => ran.push(1));
      d.trigger(() => ran.push(2));
      d.trigger(() => ran.push(3));
      assert.ok(d.isScheduled);
      await until(() => !d.isScheduled);
      assert.deepStrictEqual(ran, [3]);
    });

    it('coalesce: a trigger while scheduled keeps the deadline and replaces the task', async () => {
      const d = new Delayer(1000, 'coalesce');
      const ran: number[] = [];
      d.trigger(() => ran.push(1), 5);
      // with a debounce this 1000 ms trigger would push the run back by a second
      d.trigger(() => ran.push(2));
      await until(() => !d.isScheduled);
      assert.deepStrictEqual(ran, [2]);
    });

    it('debounce: a later trigger restarts the wait with its own delay', async () => {
      const d = new Delayer(5, 'debounce');
      const ran: number[] = [];
      d.trigger(() => ran.push(1), 60_000);
      d.trigger(() => ran.push(2), 0);
      await until(() => !d.isScheduled);
      assert.deepStrictEqual(ran, [2]);
    });

    it('cancel and dispose drop the pending task', async () => {
      const d = new Delayer(1);
      let ran = false;
      d.trigger(() => (ran = true));
      d.cancel();
      assert.strictEqual(d.isScheduled, false);
      d.trigger(() => (ran = true));
      d.dispose();
      await abortableDelay(10);
      assert.strictEqual(ran, false);
    });
  });

  describe('raceAbort', () => {
    it('settles like the promise when not aborted', async () => {
      const ac = new AbortController();
      assert.strictEqual(await raceAbort(Promise.resolve(7), ac.signal), 7);
      await assert.rejects(raceAbort(Promise.reject(new Error('x')), ac.signal), /x/);
    });

    it('rejects at once on abort, with the caller’s error', async () => {
      const ac = new AbortController();
      const never = new Promise<number>(() => undefined);
      const p = raceAbort(never, ac.signal, () => new Error('mine'));
      ac.abort();
      await assert.rejects(p, /mine/);
    });

    it('rejects an already aborted signal with an AbortError', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(raceAbort(Promise.resolve(1), ac.signal), (e: Error) => e.name === 'AbortError');
    });
  });

  describe('abortableDelay', () => {
    it('resolves after the delay, rejects on abort', async () => {
      await abortableDelay(1);
      const ac = new AbortController();
      const p = abortableDelay(60_000, ac.signal);
      ac.abort();
      await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    });
  });

  describe('nextEvent', () => {
    it('resolves with the first accepted event and unsubscribes', async () => {
      const em = emitter<number>();
      const p = nextEvent(em.event, (n) => n > 1);
      em.fire(1);
      em.fire(2);
      em.fire(3);
      assert.strictEqual(await p, 2);
      assert.strictEqual(em.listeners(), 0);
    });

    it('rejects on abort and unsubscribes', async () => {
      const em = emitter<number>();
      const ac = new AbortController();
      const p = nextEvent(em.event, undefined, ac.signal);
      ac.abort();
      await assert.rejects(p, (e: Error) => e.message === abortError().message);
      assert.strictEqual(em.listeners(), 0);
    });
  });
});
