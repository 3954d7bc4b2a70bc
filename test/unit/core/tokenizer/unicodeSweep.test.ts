import * as assert from 'assert';
import { writeFileSync } from 'fs';
import { ENCODING_NAMES, fastTokenizer, tiktokenOracle } from './oracle';

/**
 * Every code point (surrogates aside) against tiktoken, in contexts where its class decides the
 * split: before a contraction (`X's`: a letter keeps `'s` in its piece), after a letter, a digit
 * and a space, doubled, before punctuation. A code point the runtime's `\p{…}` knows but
 * tiktoken's regex tables do not (Unicode added since) split differently before the classes were
 * pinned (4,699 code points under o200k).
 */
const CHUNK = 4096;

function probe(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return `${ch}'s x${ch}1 ${ch}${ch}.\n`;
}

describe('core/tokenizer: every code point classified as tiktoken does (full sweep)', function () {
  this.timeout(600000);
  for (const name of ENCODING_NAMES) {
    it(`${name}: all 1,112,064 code points in five contexts equal tiktoken's tokens`, () => {
      const ours = fastTokenizer(name);
      const oracle = tiktokenOracle(name);
      const same = (cps: readonly number[]): boolean => {
        const text = cps.map(probe).join('');
        const a = oracle.encode(text);
        const b = ours.encode(text);
        if (a.length !== b.length) return false;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
        return true;
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
      // the differing code points, for regenerating the classes (tools/genTiktokenUnicode.mjs)
      if (process.env.TOKENSCOPE_SWEEP_DUMP) writeFileSync(`${process.env.TOKENSCOPE_SWEEP_DUMP}.${name}.json`, JSON.stringify(differing));
      assert.strictEqual(differing.length, 0, `${name}: ${differing.length} code points differ from tiktoken, e.g. ${differing.slice(0, 10).map(hex).join(' ')}`);
    });
  }
});
