import * as assert from 'assert';
import { Disposable, DisposableStore, toDisposable } from '../../../src/common/dispose';

describe('common/dispose', () => {
  it('disposes children once, in reverse order', () => {
    const order: number[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push(1)));
    store.add(toDisposable(() => order.push(2)));
    store.dispose();
    store.dispose();
    assert.deepStrictEqual(order, [2, 1]);
  });

  it('disposes a child added after disposal at once', () => {
    const store = new DisposableStore();
    store.dispose();
    let disposed = false;
    store.add(toDisposable(() => (disposed = true)));
    assert.strictEqual(disposed, true);
  });

  it('disposes the remaining children when one throws, then rethrows', () => {
    const store = new DisposableStore();
    let second = false;
    store.add(toDisposable(() => (second = true)));
    store.add(toDisposable(() => {
      throw new Error('boom');
    }));
    assert.throws(() => store.dispose(), /boom/);
    assert.strictEqual(second, true);
  });

  it('Disposable subclasses own what they register', () => {
    let n = 0;
    class Owner extends Disposable {
      constructor() {
        super();
        this._register(toDisposable(() => n++));
        this._register(toDisposable(() => n++));
      }
    }
    const o = new Owner();
    o.dispose();
    assert.strictEqual(n, 2);
  });
});
