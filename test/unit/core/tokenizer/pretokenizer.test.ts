import * as assert from 'assert';
import { createPretokenizer, createRegexPretokenizer, type PatternName, type Pretokenizer } from '../../../../src/core/tokenizer/pretokenizer';
import { Rng, randomText } from './random';

function chunks(p: Pretokenizer, text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const e = p.chunkEnd(text, i);
    assert.ok(e > i && e <= text.length, `bad chunk end ${e} at ${i}`);
    out.push(text.slice(i, e));
    i = e;
  }
  return out;
}

const PATTERNS: PatternName[] = ['o200k', 'cl100k', 'gpt2'];

describe('core/tokenizer/pretokenizer', () => {
  for (const pattern of PATTERNS) {
    describe(pattern, () => {
      const fast = createPretokenizer(pattern);
      const regex = createRegexPretokenizer(pattern);

      it('matches the regex on 30,000 random strings of tricky pieces', () => {
        const rng = new Rng(pattern.length * 7919);
        for (let k = 0; k < 30000; k++) {
          const text = randomText(rng, 12);
          assert.deepStrictEqual(chunks(fast, text), chunks(regex, text), `text ${JSON.stringify(text)}`);
        }
      });

      it('splits digits in runs of three (o200k, cl100k) or keeps them whole (gpt2)', () => {
        assert.deepStrictEqual(chunks(fast, '1234567'), pattern === 'gpt2' ? ['1234567'] : ['123', '456', '7']);
      });
    });
  }

  it('o200k: letters take one leading non-letter, case runs and contractions', () => {
    const p = createPretokenizer('o200k');
    assert.deepStrictEqual(chunks(p, "  Hello WORLD don't DON'T .foo\n\n  x"), [' ', ' Hello', ' WORLD', " don't",  " DON'T", ' .', 'foo', '\n\n', ' ', ' x']);
    assert.deepStrictEqual(chunks(p, 'getHTTPResponse'), ['get', 'HTTPResponse']);
    assert.deepStrictEqual(chunks(p, 'a\t\t'), ['a', '\t\t']);
  });

  it('cl100k: contractions stand alone, whitespace before a word is split', () => {
    const p = createPretokenizer('cl100k');
    assert.deepStrictEqual(chunks(p, "it's   there's\r\n\r\nend  "), ['it', "'s", '  ', ' there', "'s", '\r\n\r\n', 'end', '  ']);
  });

  it('treats U+FEFF as punctuation, not as \\s (as tiktoken does; JS \\s would not)', () => {
    const p = createPretokenizer('cl100k');
    assert.deepStrictEqual(chunks(p, ' \ufeffa'), [' \ufeff', 'a']);
    assert.deepStrictEqual(chunks(p, '\ufeff\ufeff '), ['\ufeff\ufeff', ' ']);
  });
});
