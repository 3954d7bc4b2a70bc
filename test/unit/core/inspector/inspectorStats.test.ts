import * as assert from 'assert';
import { inspectorStats, scriptOf } from '../../../../src/core/inspector/inspectorStats';
import { fastTokenizer } from '../tokenizer/oracle';

describe('core/inspector/inspectorStats', () => {
  it('classifies scripts', () => {
    assert.strictEqual(scriptOf('a'.codePointAt(0)!), 'Latin');
    assert.strictEqual(scriptOf(' '.codePointAt(0)!), 'Common');
    assert.strictEqual(scriptOf('中'.codePointAt(0)!), 'Han');
    assert.strictEqual(scriptOf('ж'.codePointAt(0)!), 'Cyrillic');
    assert.strictEqual(scriptOf('🙂'.codePointAt(0)!), 'Emoji');
  });

  it('accounts for every token and character, and attributes " word" tokens to their letters', () => {
    const tok = fastTokenizer('o200k_base');
    const text = 'The quick brown fox jumps over the lazy dog. 我能吞下玻璃而不伤身体。 Съешь же ещё 🙂 1234567\n';
    const s = inspectorStats(tok, text);
    assert.strictEqual(s.tokens, tok.count(text));
    assert.strictEqual(s.chars, [...text].length);
    assert.strictEqual(s.lengthHistogram.reduce((a, b) => a + b, 0), s.tokens);
    assert.strictEqual(s.scripts.reduce((a, r) => a + r.tokens, 0), s.tokens);
    assert.strictEqual(s.scripts.reduce((a, r) => a + r.chars, 0), s.chars);
    const latin = s.scripts.find((r) => r.script === 'Latin')!;
    const han = s.scripts.find((r) => r.script === 'Han')!;
    assert.ok(latin.premium! > 0.5 && latin.premium! < 2, `English-like text costs about what English does: ${latin.premium}`);
    assert.ok(han.premium! > latin.premium!, `Han costs more tokens per character: ${han.premium} vs ${latin.premium}`);
    assert.ok(s.topTokens.length > 0 && s.topTokens[0]!.count >= 1);
  });

  it('analyses only a prefix of a huge text, without splitting a surrogate pair', () => {
    const tok = fastTokenizer('cl100k_base');
    const text = 'a🙂'.repeat(10);
    const s = inspectorStats(tok, text, 5); // "a🙂a" + a high surrogate
    assert.strictEqual(s.truncated, true);
    assert.strictEqual(s.chars, 3, 'the pair cut at the limit is dropped');
  });
});
