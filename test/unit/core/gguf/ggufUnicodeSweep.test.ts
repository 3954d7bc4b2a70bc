import * as assert from 'assert';
import { GgufTokenizer } from '../../../../src/core/tokenizer/gguf/ggufTokenizer';
import { differingCodePoints, hexCodePoint, sameIds } from '../codePointSweep';
import { ensureVocabs, loadLlamaCppVocab, vocabPath } from './vocabFixtures';

/**
 * Every code point against llama.cpp (codePointSweep.ts). Code points assigned after llama.cpp's
 * Unicode table are the ones a runtime's own `\p{…}` got wrong (9,039 of them before the table was
 * pinned).
 */
const VOCABS = ['starcoder', 'qwen2', 'qwen35', 'llama-bpe', 'deepseek-coder', 'gpt-2', 'command-r'] as const;

describe('core/gguf: every code point classified as llama.cpp does (full sweep)', function () {
  this.timeout(600000);
  before(() => ensureVocabs());

  for (const name of VOCABS) {
    it(`${name}: all 1,112,064 code points in five contexts equal llama.cpp's tokens`, async () => {
      const oracle = await loadLlamaCppVocab(name);
      try {
        const tok = GgufTokenizer.load(vocabPath(name));
        const differing = differingCodePoints((text) => sameIds(oracle.tokenize(text), tok.encode(text)));
        assert.strictEqual(differing.length, 0, `${name}: ${differing.length} code points differ from llama.cpp, e.g. ${differing.slice(0, 10).map(hexCodePoint).join(' ')}`);
      } finally {
        await oracle.dispose();
      }
    });
  }
});
