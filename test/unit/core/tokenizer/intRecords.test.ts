import * as assert from 'assert';
import { IntRecords, grown } from '../../../../src/core/tokenizer/intRecords';

describe('core/tokenizer/intRecords', () => {
  it('appends interleaved records, grows past its initial size, and clear() restarts the numbering', () => {
    const r = new IntRecords(3, 1);
    assert.strictEqual(r.data.length, 48, 'at least 16 records');
    for (let i = 0; i < 40; i++) {
      const e = r.append();
      assert.strictEqual(e, i);
      r.data.set([i * 10, i, 100 + i], 3 * e);
    }
    assert.strictEqual(r.count, 40);
    assert.ok(r.data.length >= 120);
    assert.deepStrictEqual(Array.from(r.data.subarray(3 * 39, 3 * 40)), [390, 39, 139]);
    assert.deepStrictEqual(Array.from(r.data.subarray(0, 6)), [0, 0, 100, 10, 1, 101], 'growth kept the first records');
    r.clear();
    assert.strictEqual(r.count, 0);
    assert.strictEqual(r.append(), 0);
  });

  it('grown keeps an array that is large enough and otherwise copies the used prefix into one twice as large', () => {
    const a = Uint8Array.of(1, 2, 3, 4);
    assert.strictEqual(grown(a, 4, 4, (n) => new Uint8Array(n)), a);
    const b = grown(a, 3, 5, (n) => new Uint8Array(n));
    assert.deepStrictEqual(Array.from(b), [1, 2, 3, 0, 0, 0, 0, 0]);
    const c = grown(Uint16Array.of(7), 1, 20, (n) => new Uint16Array(n));
    assert.strictEqual(c.length, 20, 'at least `need`');
    assert.strictEqual(c[0], 7);
  });
});
