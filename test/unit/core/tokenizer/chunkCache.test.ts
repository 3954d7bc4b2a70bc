import * as assert from 'assert';
import { ChunkCache } from '../../../../src/core/tokenizer/chunkCache';
import { TokenBuffer } from '../../../../src/core/tokenizer/tokenBuffer';

describe('core/tokenizer/chunkCache', () => {
  it('returns what was stored for the same text, nothing for other text', () => {
    const c = new ChunkCache(8, 64);
    const text = 'xx hello world yy';
    c.set(text, 3, 8, [7, 8, 9], 0, 3);
    const out = new TokenBuffer(4);
    assert.strictEqual(c.appendTo('hello', 0, 5, out), true);
    assert.deepStrictEqual(Array.from(out.toArray()), [7, 8, 9]);
    assert.strictEqual(c.appendTo('hellp', 0, 5, out), false);
    assert.strictEqual(c.appendTo('hell', 0, 4, out), false);
    assert.strictEqual(out.length, 3, 'a miss appends nothing');
  });

  it('clears itself when full instead of growing, and keeps working', () => {
    const c = new ChunkCache(4, 1000);
    for (let i = 0; i < 10; i++) c.set(`k${i}`, 0, `k${i}`.length, [i], 0, 1);
    assert.ok(c.size <= 4, `size ${c.size}`);
    const out = new TokenBuffer(1);
    assert.strictEqual(c.appendTo('k9', 0, 2, out), true);
    assert.strictEqual(out.data[0], 9);
    assert.strictEqual(c.appendTo('k0', 0, 2, new TokenBuffer(1)), false);
  });

  it('distinguishes non-ASCII and surrogate code units exactly', () => {
    const c = new ChunkCache(16, 100);
    c.set('🙂', 0, 2, [1, 2], 0, 2);
    c.set('🙃', 0, 2, [3, 4], 0, 2);
    const out = new TokenBuffer(2);
    assert.strictEqual(c.appendTo('🙃', 0, 2, out), true);
    assert.deepStrictEqual(Array.from(out.toArray()), [3, 4]);
  });
});
