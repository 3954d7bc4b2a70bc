import * as assert from 'assert';
import { hexCodePoint } from '../codePointSweep';
import { codePointsDifferingFromLlamaCpp, ensureVocabs, SWEEP_VOCABS } from './vocabFixtures';

/**
 * Every code point against llama.cpp (codePointSweep.ts). Code points assigned after llama.cpp's
 * Unicode table are the ones a runtime's own `\p{…}` got wrong (9,039 of them before the table was
 * pinned).
 */
describe('core/gguf: every code point classified as llama.cpp does (full sweep)', function () {
  this.timeout(600000);
  before(() => ensureVocabs());

  for (const name of SWEEP_VOCABS) {
    it(`${name}: all 1,112,064 code points in five contexts equal llama.cpp's tokens`, async () => {
      const differing = await codePointsDifferingFromLlamaCpp(name);
      assert.strictEqual(differing.length, 0, `${name}: ${differing.length} code points differ from llama.cpp, e.g. ${differing.slice(0, 10).map(hexCodePoint).join(' ')}`);
    });
  }
});
