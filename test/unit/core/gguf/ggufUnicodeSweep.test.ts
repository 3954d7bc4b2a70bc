import * as assert from 'assert';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { ensureVocabs, loadLlamaCppVocab, vocabPath } from './vocabFixtures';

/**
 * Every code point (surrogates aside) against llama.cpp, in contexts where its class decides the
 * split: before a contraction (`X's`, where a letter class keeps `'s` apart), next to a digit, a
 * letter and itself, after a space. Code points assigned after llama.cpp's Unicode table are the
 * ones a runtime's own `\p{…}` got wrong (9,039 of them before the table was pinned).
 */
const VOCABS = ['starcoder', 'qwen2', 'qwen35', 'llama-bpe', 'deepseek-coder', 'gpt-2', 'command-r'] as const;
/** Code points per tokenized chunk; a differing chunk is bisected down to its code points. */
const CHUNK = 4096;

function probe(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return `${ch}'s x${ch}1 ${ch}${ch}.\n`;
}

describe('core/gguf: every code point classified as llama.cpp does (full sweep)', function () {
  this.timeout(600000);
  before(() => ensureVocabs());

  for (const name of VOCABS) {
    it(`${name}: all 1,112,064 code points in five contexts equal llama.cpp's tokens`, async () => {
      const oracle = await loadLlamaCppVocab(name);
      try {
        const tok = GgufTokenizer.load(vocabPath(name));
        const same = (cps: readonly number[]): boolean => {
          const text = cps.map(probe).join('');
          const a = oracle.tokenize(text);
          const b = tok.encode(text);
          return a.length === b.length && a.every((x, i) => x === b[i]);
        };
        const differing: number[] = [];
        const bisect = (cps: readonly number[]): void => {
          if (same(cps)) return;
          if (cps.length === 1) {
            differing.push(cps[0]!);
            return;
          }
          const mid = cps.length >> 1;
          bisect(cps.slice(0, mid));
          bisect(cps.slice(mid));
        };
        let chunk: number[] = [];
        for (let cp = 0; cp <= 0x10ffff; cp++) {
          if (cp >= 0xd800 && cp <= 0xdfff) continue;
          chunk.push(cp);
          if (chunk.length === CHUNK) {
            bisect(chunk);
            chunk = [];
          }
        }
        if (chunk.length) bisect(chunk);
        const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
        assert.strictEqual(differing.length, 0, `${name}: ${differing.length} code points differ from llama.cpp, e.g. ${differing.slice(0, 10).map(hex).join(' ')}`);
      } finally {
        await oracle.dispose();
      }
    });
  }
});
