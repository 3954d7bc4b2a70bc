import * as assert from 'assert';
import { ByteStringTable } from '../../../../src/core/tokenizer/gguf/byteStringTable';
import { UnitStringTable } from '../../../../src/core/tokenizer/gguf/unitStringTable';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

// PooledKeyTable is abstract: its two subclasses are its tests.
describe('core/tokenizer/pooledKeyTable (ByteStringTable, UnitStringTable)', () => {
  it('ByteStringTable: indexes a blob, skips empty strings, finds keys given whole or in two halves', () => {
    const t = new ByteStringTable(4, 16);
    const blob = bytes('abcab');
    t.addAll(blob, Uint32Array.of(0, 1, 3, 3, 5)); // "a", "bc", "", "ab"
    assert.strictEqual(t.size, 3);
    assert.strictEqual(t.get(bytes('xbcx'), 1, 3), 1);
    assert.strictEqual(t.get(bytes('ab'), 0, 2), 3);
    assert.strictEqual(t.get(bytes('ab'), 0, 1), 0);
    assert.strictEqual(t.get(bytes('abc'), 0, 3), -1);
    assert.strictEqual(t.get2(bytes('a'), 0, 1, bytes('b'), 0, 1), 3, '"a" ++ "b" = "ab"');
    assert.strictEqual(t.get2(bytes('a'), 0, 1, bytes('c'), 0, 1), -1);
    assert.throws(() => t.addAll(blob, Uint32Array.of(0, 1)), /empty table/);
  });

  it('ByteStringTable: set2 adds a concatenated key once, replaces its value, and keyOf returns its bytes', () => {
    const t = new ByteStringTable(4, 4);
    const e = t.set2(bytes('foo'), 0, 3, bytes('-bar'), 1, 4, 7);
    assert.strictEqual(e, 0);
    assert.strictEqual(text(t.keyOf(e)), 'foobar');
    assert.strictEqual(t.get(bytes('foobar'), 0, 6), 7);
    assert.strictEqual(t.set(bytes('foobar'), 0, 6, 8), e, 'same key, same entry');
    assert.strictEqual(t.get(bytes('foobar'), 0, 6), 8);
    assert.strictEqual(t.size, 1);
  });

  it('ByteStringTable: grows its slots, entries and pool past their initial sizes', () => {
    const t = new ByteStringTable(1, 1);
    const n = 3000; // > 1024 slots / 2, > 16 records, > 1024 pool bytes
    for (let i = 0; i < n; i++) t.set(bytes(`key${i}`), 0, `key${i}`.length, i * 2);
    assert.strictEqual(t.size, n);
    for (let i = 0; i < n; i += 7) assert.strictEqual(t.get(bytes(`key${i}`), 0, `key${i}`.length), i * 2);
    assert.strictEqual(text(t.keyOf(2999)), 'key2999');
    assert.strictEqual(t.get(bytes('key3000'), 0, 7), -1);
  });

  it('UnitStringTable: finds ranges of a larger string by their UTF-16 code units, surrogates included', () => {
    const t = new UnitStringTable(2);
    t.set('▁the', 5);
    t.set('🙂', 6);
    t.set('\ud83d', 7); // a lone high surrogate is a different key
    assert.strictEqual(t.get('x▁they', 1, 5), 5);
    assert.strictEqual(t.get('a🙂b', 1, 3), 6);
    assert.strictEqual(t.get('a🙂b', 1, 2), 7);
    assert.strictEqual(t.get('▁th', 0, 3), -1);
    t.set('▁the', 9);
    assert.strictEqual(t.get('▁the', 0, 4), 9);
    assert.strictEqual(t.size, 3);
    for (let i = 0; i < 2000; i++) t.set(`w${i}`, i);
    assert.strictEqual(t.get('w1999', 0, 5), 1999);
    assert.strictEqual(t.get('▁the', 0, 4), 9, 'earlier keys survive the growth');
  });
});
