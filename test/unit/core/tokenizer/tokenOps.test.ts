import * as assert from 'assert';
import { chunkEndsForTokens, decodeIds, parseTokenIds, prefixEndForTokens } from '../../../../src/core/tokenizer/tokenOps';
import { fastTokenizer } from './oracle';
import { Rng, randomText } from './random';

describe('core/tokenizer/tokenOps', () => {
  it('parses ids in the usual notations and rejects junk', () => {
    assert.deepStrictEqual(parseTokenIds('[1, 2, 3]'), [1, 2, 3]);
    assert.deepStrictEqual(parseTokenIds('1 2\n3'), [1, 2, 3]);
    assert.deepStrictEqual(parseTokenIds(' 7,8 '), [7, 8]);
    assert.deepStrictEqual(parseTokenIds('[]'), []);
    assert.throws(() => parseTokenIds('1, x'), /not a token id: "x"/);
    assert.throws(() => parseTokenIds('-1'), /not a token id/);
  });

  it('decodes ids, flags partial characters, rejects ids outside the vocabulary', () => {
    const tok = fastTokenizer('cl100k_base');
    const ids = Array.from(tok.encode('héllo 🙂'));
    assert.deepStrictEqual(decodeIds(tok, ids), { text: 'héllo 🙂', lossy: false });
    const emoji = Array.from(tok.encode('🙂'));
    assert.ok(emoji.length > 1);
    assert.strictEqual(decodeIds(tok, emoji.slice(0, 1)).lossy, true);
    assert.throws(() => decodeIds(tok, [999_999]), RangeError);
  });

  it('finds the longest prefix within N tokens, never inside a character', () => {
    const tok = fastTokenizer('o200k_base');
    const rng = new Rng(5);
    for (let k = 0; k < 500; k++) {
      const text = randomText(rng, 20);
      const n = rng.int(12);
      const end = prefixEndForTokens(tok, text, n);
      const prefix = text.slice(0, end);
      assert.ok(tok.count(prefix) <= n, `${JSON.stringify(prefix)} has more than ${n} tokens`);
      const c = text.charCodeAt(end);
      assert.ok(!(end > 0 && end < text.length && c >= 0xdc00 && c <= 0xdfff && text.charCodeAt(end - 1) >= 0xd800 && text.charCodeAt(end - 1) <= 0xdbff), 'cut inside a pair');
      // close to maximal: it loses at most the token cut inside a character and one re-merged piece
      const all = tok.count(text);
      assert.ok(tok.count(prefix) >= Math.min(n, all) - 2, `${JSON.stringify(prefix)}: ${tok.count(prefix)} tokens for N = ${n} of ${all}`);
    }
  });

  it('splits into chunks of at most N tokens that concatenate to the text', () => {
    const tok = fastTokenizer('o200k_base');
    const rng = new Rng(9);
    let text = '';
    for (let i = 0; i < 30; i++) text += randomText(rng, 20);
    const ends = chunkEndsForTokens(tok, text, 10);
    let start = 0;
    for (const e of ends) {
      assert.ok(tok.count(text.slice(start, e)) <= 10 || e - start <= 2);
      start = e;
    }
    assert.strictEqual(start, text.length);
  });
});
