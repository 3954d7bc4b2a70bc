import * as assert from 'assert';
import { HealedTextDecoder } from '../../../../src/core/completion/heal/healedTextDecoder';

/** Tokens as raw byte strings (latin1: one char per byte), so partial UTF-8 pieces are writable. */
const TOKENS = [' pri', 'nt', '(', '\xc3', '\xa9', ')', ' caf', '\xc3\xa9'];
const bytesOf = (id: number): Uint8Array => Uint8Array.from(TOKENS[id]!, (c) => c.charCodeAt(0));
const decode = (events: number[]): string => {
  const d = new HealedTextDecoder(bytesOf);
  return events.map((e) => d.push(e)).join('') + d.end();
};

describe('core/completion/heal: text from raw token bytes, healed bytes stripped', () => {
  it('drops the healed bytes announced before the tokens, across token boundaries', () => {
    assert.strictEqual(decode([-1 - 4, 0, 1, 2]), 'nt(');
    // 5 healed bytes: all of " pri" and the first byte of "nt"
    assert.strictEqual(decode([-1 - 5, 0, 1, 2]), 't(');
  });

  it('a character split over two tokens waits for its second byte', () => {
    const d = new HealedTextDecoder(bytesOf);
    assert.strictEqual(d.push(2), '(');
    assert.strictEqual(d.push(3), '', 'half of é');
    assert.strictEqual(d.push(4), 'é');
    assert.strictEqual(d.push(5), ')');
  });

  it('a multi-byte character right after the healed bytes comes out whole, in one token or two', () => {
    // the prefix is text, so the healed bytes always end at a character boundary
    assert.strictEqual(decode([-1 - 4, 6, 7]), 'é');
    assert.strictEqual(decode([-1 - 4, 6, 3, 4]), 'é');
  });

  it('an incomplete character at the end becomes U+FFFD; no announcement means nothing is dropped', () => {
    assert.strictEqual(decode([2, 3]), '(\ufffd');
    assert.strictEqual(decode([0, 1]), ' print');
  });
});
