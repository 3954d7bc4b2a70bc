import * as assert from 'assert';
import { healingMask } from '../../../../src/core/backend/local/healSteps';
import { findHealCut } from '../../../../src/core/completion/heal/healTail';
import { TokenByteIndex, consumeForced } from '../../../../src/core/completion/heal/tokenByteIndex';

/**
 * A vocabulary small enough to check every answer by hand. Entries are byte strings written as
 * latin1 ('\xc3' is the single byte 0xC3, 'é' below is written as its two UTF-8 bytes).
 */
const VOCAB = ['<fim_middle>', 'a', 'i', 'n', 't', 'p', 'r', ' ', 'pr', ' p', ' pr', ' print', 'print', '  ', '    ', '\n', '\n   ', '=', '==', ' =', ' ==', '\xc3', '\xc3\xa9', 'x', '1', '12', '123', '', 'unused', '\n  '];
const CONTROL = new Set([0]);
const UNUSED = new Set([VOCAB.indexOf('unused'), VOCAB.indexOf('')]);
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array): string => String.fromCharCode(...b);
const id = (s: string): number => {
  const i = VOCAB.indexOf(s);
  if (i < 0) throw new Error(`no token ${JSON.stringify(s)}`);
  return i;
};
const index = new TokenByteIndex({ vocabSize: VOCAB.length, tokenBytes: (i) => bytes(VOCAB[i] ?? ''), isText: (i) => !CONTROL.has(i) && !UNUSED.has(i) });
const cut = (toks: string[], maxTokens?: number, healLineStart?: boolean): [number, string] => {
  const c = findHealCut(toks.map((t) => (t === '<FIM>' ? 0 : id(t))), index, { isSpecial: (i) => CONTROL.has(i), ...(maxTokens ? { maxTokens } : {}), ...(healLineStart ? { healLineStart } : {}) });
  return [c.keep, text(c.removed)];
};

describe('core/completion/heal: unstable tail and byte mask (hand-made vocabulary)', () => {
  it('backs off a cut identifier to the longest tail some token extends', () => {
    // " pr" + "i" is " pri", which only " print" extends; "i" alone extends nothing
    assert.deepStrictEqual(cut(['x', ' pr', 'i']), [1, ' pri']);
    assert.deepStrictEqual(cut(['x', ' p']), [1, ' p']);
  });

  it('partial indentation: the newline and the spaces merge into one token', () => {
    assert.deepStrictEqual(cut(['x', '\n', '  ']), [1, '\n  ']);
  });

  it('at a line start nothing is healed unless asked (measured worse there)', () => {
    assert.deepStrictEqual(cut(['x', '\n']), [2, '']);
    assert.deepStrictEqual(cut(['x', '\n'], undefined, true), [1, '\n']);
  });

  it('an operator that a longer operator extends', () => {
    assert.deepStrictEqual(cut(['x', ' =']), [1, ' =']);
    // "==" is extended by nothing: stable
    assert.deepStrictEqual(cut(['x', '==']), [2, '']);
  });

  it('digits: "12" could still become "123"', () => {
    assert.deepStrictEqual(cut(['x', '12']), [1, '12']);
    assert.deepStrictEqual(cut(['x', '123']), [2, '']);
  });

  it('half a UTF-8 character (a byte token) is healed with the bytes, not text', () => {
    assert.deepStrictEqual(cut(['a', '\xc3']), [1, '\xc3']);
  });

  it('never reaches into a special token, and stops at maxTokens', () => {
    assert.deepStrictEqual(cut(['<FIM>', 'p']), [1, 'p']);
    assert.deepStrictEqual(cut(['<FIM>']), [1, '']);
    // ' ' + 'p' + 'r' = " pr", extended by " print", but 3 tokens back
    assert.deepStrictEqual(cut(['x', ' ', 'p', 'r'], 2), [2, 'pr']);
    assert.deepStrictEqual(cut(['x', ' ', 'p', 'r'], 3), [1, ' pr']);
  });

  it('the mask: proper prefixes of the forced bytes and tokens that start with all of them', () => {
    const names = (forced: string): string[] => index.compatible(bytes(forced)).map((i) => VOCAB[i]!).sort();
    assert.deepStrictEqual(names(' pri'), [' ', ' p', ' pr', ' print']);
    assert.deepStrictEqual(names('\n  '), ['\n', '\n  ', '\n   ']);
    assert.deepStrictEqual(names('\xc3'), ['\xc3', '\xc3\xa9']);
    assert.deepStrictEqual(names(''), []);
    // control and unused tokens are never candidates
    assert.ok(!index.compatible(bytes('<')).includes(0));
    // covering: only the tokens that re-produce all of it in one step
    assert.deepStrictEqual(index.covering(bytes(' pri')).map((i) => VOCAB[i]), [' print']);
    assert.deepStrictEqual(index.covering(bytes(' p')).map((i) => VOCAB[i]).sort(), [' p', ' pr', ' print']);
  });

  it('consumeForced compares bytes and reports what is left', () => {
    assert.strictEqual(text(consumeForced(bytes(' pri'), bytes(' p'))!), 'ri');
    assert.strictEqual(consumeForced(bytes(' pri'), bytes(' print')), undefined);
    assert.throws(() => consumeForced(bytes(' pri'), bytes(' pa')));
    assert.strictEqual(index.maxTokenBytes, 6, '" print"; the control token does not count');
  });

  it('the mask before a word: the whole whitespace run in one token, or all of it but the last space (the canonical split)', () => {
    const names = (ids: readonly number[]): string[] => ids.map((t) => VOCAB[t]!).sort();
    // "\n   " then a word: the tokenizer writes "\n  " + " word"; both starts are allowed
    assert.deepStrictEqual(names(healingMask(index, bytes('\n   '))), ['\n  ', '\n   ']);
    // no whitespace at the end: covering tokens only
    assert.deepStrictEqual(names(healingMask(index, bytes(' pr'))), [' pr', ' print']);
    // nothing covers: the compatible shorter tokens
    assert.deepStrictEqual(names(healingMask(index, bytes('prx'))), ['p', 'pr']);
  });
});
