import * as assert from 'assert';
import { writeFileSync } from 'fs';
import { hexCodePoint } from '../codePointSweep';
import { codePointsDifferingFromTiktoken, ENCODING_NAMES } from './oracle';

/**
 * Every code point against tiktoken (codePointSweep.ts). A code point the runtime's `\p{…}` knows
 * but tiktoken's regex tables do not (Unicode added since) split differently before the classes
 * were pinned (4,699 code points under o200k).
 */
describe('core/tokenizer: every code point classified as tiktoken does (full sweep)', function () {
  this.timeout(600000);
  for (const name of ENCODING_NAMES) {
    it(`${name}: all 1,112,064 code points in five contexts equal tiktoken's tokens`, () => {
      const differing = codePointsDifferingFromTiktoken(name);
      // the differing code points, for regenerating the classes (tools/genTiktokenUnicode.mjs)
      if (process.env.TOKENSCOPE_SWEEP_DUMP) writeFileSync(`${process.env.TOKENSCOPE_SWEEP_DUMP}.${name}.json`, JSON.stringify(differing));
      assert.strictEqual(differing.length, 0, `${name}: ${differing.length} code points differ from tiktoken, e.g. ${differing.slice(0, 10).map(hexCodePoint).join(' ')}`);
    });
  }
});
