import * as assert from 'assert';
import { HashSlots, bytesEqual, bytesEqualUnits, fnv1aBytes, fnv1aUnits, unitsEqual } from '../../../../src/core/tokenizer/hashSlots';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Every entry probe / nextMatch yields for (hash, tag); firstMatch / nextMatch must yield the same. */
function matches(slots: HashSlots, hash: number, tag: number): number[] {
  const out: number[] = [];
  slots.probe(hash);
  for (let e = slots.nextMatch(tag); e >= 0; e = slots.nextMatch(tag)) out.push(e);
  const viaFirst: number[] = [];
  for (let e = slots.firstMatch(hash, tag); e >= 0; e = slots.nextMatch(tag)) viaFirst.push(e);
  assert.deepStrictEqual(viaFirst, out, 'firstMatch = probe + nextMatch');
  return out;
}

describe('core/tokenizer/hashSlots', () => {
  it('hashes with 32-bit FNV-1a, in place and continued across ranges', () => {
    // reference values of FNV-1a 32: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968
    assert.strictEqual(fnv1aBytes(bytes(''), 0, 0) >>> 0, 0x811c9dc5);
    assert.strictEqual(fnv1aBytes(bytes('a'), 0, 1) >>> 0, 0xe40c292c);
    assert.strictEqual(fnv1aBytes(bytes('xfoobarx'), 1, 7) >>> 0, 0xbf9cf968);
    assert.strictEqual(fnv1aUnits('xfoobarx', 1, 7) >>> 0, 0xbf9cf968);
    const foo = bytes('foo');
    const bar = bytes('bar');
    assert.strictEqual(fnv1aBytes(bar, 0, 3, fnv1aBytes(foo, 0, 3)) >>> 0, 0xbf9cf968);
  });

  it('finds entries by tag along the probe run, including after wrapping around', () => {
    const slots = new HashSlots(4);
    assert.strictEqual(slots.capacity, 4);
    // hash 3 → home slot 3 (3 ^ 3 >>> 15 = 3), so the run wraps to slots 0 and 1
    slots.insert(3, 10, 0);
    slots.insert(3, 20, 1);
    slots.insert(3, 10, 2);
    assert.deepStrictEqual(matches(slots, 3, 10), [0, 2]);
    assert.deepStrictEqual(matches(slots, 3, 20), [1]);
    assert.deepStrictEqual(matches(slots, 3, 30), []);
    assert.deepStrictEqual(matches(slots, 2, 10), [], 'hash 2 starts at the free slot 2');
    slots.clear();
    assert.deepStrictEqual(matches(slots, 3, 10), []);
  });

  it('reserve doubles until the entries fit at load ≤ 3/4 and keeps hash-tagged entries findable', () => {
    const slots = new HashSlots(4);
    for (let e = 0; e < 2; e++) slots.insert(e * 7, e * 7, e);
    slots.reserve(3);
    assert.strictEqual(slots.capacity, 4, 'three entries fit in four slots');
    slots.reserve(9);
    assert.strictEqual(slots.capacity, 16, '9 > 3/4 of 8, ≤ 3/4 of 16');
    for (let e = 2; e < 9; e++) slots.insert(e * 7, e * 7, e);
    for (let e = 0; e < 9; e++) assert.deepStrictEqual(matches(slots, e * 7, e * 7), [e]);
  });

  it('insertGrowing tags entries with their hash and doubles the slots past load 3/4', () => {
    const slots = new HashSlots(4);
    for (let e = 0; e < 3; e++) slots.insertGrowing(e * 5, e);
    assert.strictEqual(slots.capacity, 4, '3 of 4 slots is load 3/4');
    slots.insertGrowing(15, 3);
    assert.strictEqual(slots.capacity, 8);
    for (let e = 4; e < 13; e++) slots.insertGrowing(e * 5, e);
    assert.strictEqual(slots.capacity, 32, '13 entries: more than 3/4 of 16');
    for (let e = 0; e < 13; e++) assert.deepStrictEqual(matches(slots, e * 5, e * 5), [e]);
    slots.clear();
    slots.insertGrowing(1, 0);
    assert.strictEqual(slots.capacity, 32, 'clear keeps the capacity');
    assert.deepStrictEqual(matches(slots, 1, 1), [0]);
  });

  it('compares a pooled key with a range of bytes or of code units', () => {
    const pool = bytes('..token..');
    assert.strictEqual(bytesEqual(pool, 2, bytes('a token'), 2, 5), true);
    assert.strictEqual(bytesEqual(pool, 2, bytes('a tokem'), 2, 5), false);
    assert.strictEqual(bytesEqualUnits(pool, 2, 'a token', 2, 5), true);
    assert.strictEqual(bytesEqualUnits(pool, 2, 'a tÖken', 2, 5), false);
    const pair = new Uint16Array([0x78, 0xd83d, 0xde42, 0x79]);
    assert.strictEqual(unitsEqual(pair, 1, '🙂', 0, 2), true);
    assert.strictEqual(unitsEqual(pair, 1, '🙃', 0, 2), false);
    assert.strictEqual(unitsEqual(pair, 0, 'x', 0, 0), true, 'empty ranges are equal');
  });
});
