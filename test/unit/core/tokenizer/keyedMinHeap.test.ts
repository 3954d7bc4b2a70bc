import * as assert from 'assert';
import { KeyedMinHeap } from '../../../../src/core/tokenizer/keyedMinHeap';

function popAll(h: KeyedMinHeap): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  while (h.size > 0) {
    const key = h.firstKey;
    out.push([key, h.pop()]);
  }
  return out;
}

describe('core/tokenizer/keyedMinHeap', () => {
  it('pops by key, then by tie, and reports the key of the next value', () => {
    const h = new KeyedMinHeap();
    h.push(3, 0, 30);
    h.push(1, 5, 15);
    h.push(1, 2, 12);
    h.push(2, 0, 20);
    assert.strictEqual(h.size, 4);
    assert.strictEqual(h.firstKey, 1);
    assert.deepStrictEqual(popAll(h), [
      [1, 12],
      [1, 15],
      [2, 20],
      [3, 30],
    ]);
  });

  it('orders negated scores highest score first (how SentencePiece uses it)', () => {
    const h = new KeyedMinHeap();
    for (const [score, left] of [
      [-2.5, 0],
      [-1, 4],
      [-1, 1],
      [0.5, 7],
    ] as const) {
      h.push(-score, left, left);
    }
    assert.deepStrictEqual(
      popAll(h).map(([, v]) => v),
      [7, 1, 4, 0],
    );
  });

  it('keeps equal (key, tie) pairs and interleaves pushes with pops', () => {
    const h = new KeyedMinHeap();
    h.push(5, 1, 100);
    h.push(5, 1, 101);
    h.push(4, 9, 102);
    assert.strictEqual(h.pop(), 102);
    h.push(1, 0, 103);
    assert.strictEqual(h.pop(), 103);
    assert.deepStrictEqual(new Set([h.pop(), h.pop()]), new Set([100, 101]));
    assert.strictEqual(h.size, 0);
  });

  it('grows past its initial 256 slots and clear() empties it', () => {
    const h = new KeyedMinHeap();
    const n = 1000;
    // keys 0..n-1 pushed in a scrambled order (7 is coprime with 1000)
    for (let i = 0; i < n; i++) {
      const key = (i * 7) % n;
      h.push(key, 0, key + 1);
    }
    const popped = popAll(h);
    assert.strictEqual(popped.length, n);
    popped.forEach(([key, value], i) => {
      assert.strictEqual(key, i);
      assert.strictEqual(value, i + 1);
    });
    h.push(1, 0, 1);
    h.push(2, 0, 2);
    h.clear();
    assert.strictEqual(h.size, 0);
    h.push(9, 0, 9);
    assert.strictEqual(h.pop(), 9);
  });
});
