import * as assert from 'assert';
import { CURATED_GLITCH_TOKENS } from '../../../../src/core/glitch/curated';
import { analyzeStructure, vocabularyOfBpe } from '../../../../src/core/glitch/structural';
import { fastTokenizer, tiktokenOracle } from '../tokenizer/oracle';

const decode = (bytes: Uint8Array): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);

describe('core/glitch: structural detection', function () {
  this.timeout(120000);

  // Published counts (tiktoken vocabularies, round trip with a BOM-preserving decoder).
  const expected = [
    ['r50k_base', 344, 0],
    ['p50k_base', 344, 0],
    ['cl100k_base', 773, 0],
    ['o200k_base', 1562, 12],
  ] as const;
  for (const [enc, partial, unreachable] of expected) {
    it(`${enc}: ${partial} partial UTF-8 tokens, ${unreachable} unreachable`, () => {
      const r = analyzeStructure(vocabularyOfBpe(fastTokenizer(enc)));
      assert.strictEqual(r.partial.length, partial);
      assert.strictEqual(r.unreachable.length, unreachable);
    });
  }

  it('finds the twelve unreachable o200k tokens (pre-tokenizer artefacts and spam phrases)', () => {
    const tok = fastTokenizer('o200k_base');
    const r = analyzeStructure(vocabularyOfBpe(tok));
    assert.deepStrictEqual(r.unreachable, [3413, 3914, 24091, 48235, 63100, 65447, 99494, 125141, 147008, 175653, 182292, 193819]);
    assert.strictEqual(decode(tok.tokenBytes(193819)), '亚洲AV');
    assert.strictEqual(decode(tok.tokenBytes(3914)), '\n//');
    // tiktoken agrees that encoding their text gives something else
    for (const id of r.unreachable) assert.notDeepStrictEqual(Array.from(tiktokenOracle('o200k_base').encode(decode(tok.tokenBytes(id)))), [id]);
  });

  it('keeps BOM-prefixed cl100k tokens reachable (a BOM-stripping decoder would fake five)', () => {
    const tok = fastTokenizer('cl100k_base');
    for (const id of [3305, 4117, 18706, 35866, 62619]) {
      const text = decode(tok.tokenBytes(id));
      assert.ok(text.startsWith('\ufeff'), `${id} starts with a BOM`);
      assert.deepStrictEqual(Array.from(tok.encode(text)), [id]);
    }
  });

  it('lists special tokens, and harmony\'s 1,090 of them', () => {
    assert.deepStrictEqual(analyzeStructure(vocabularyOfBpe(fastTokenizer('cl100k_base'))).special, [100257, 100258, 100259, 100260, 100276]);
    assert.strictEqual(analyzeStructure(vocabularyOfBpe(fastTokenizer('o200k_harmony'))).special.length, 1090);
  });

  it('reports progress and stops when aborted', () => {
    const seen: number[] = [];
    analyzeStructure(vocabularyOfBpe(fastTokenizer('r50k_base')), (f) => seen.push(f));
    assert.ok(seen.length > 10 && seen[seen.length - 1] === 1);
    const ac = new AbortController();
    ac.abort();
    assert.throws(() => analyzeStructure(vocabularyOfBpe(fastTokenizer('r50k_base')), undefined, ac.signal), (e: Error) => e.name === 'AbortError');
  });
});

describe('core/glitch: curated lists', () => {
  it('every entry\'s text encodes to exactly its id, and tiktoken agrees', () => {
    for (const c of CURATED_GLITCH_TOKENS) {
      assert.deepStrictEqual(Array.from(fastTokenizer(c.encoding).encode(c.text)), [c.id], `${c.encoding} ${JSON.stringify(c.text)}`);
      assert.deepStrictEqual(Array.from(tiktokenOracle(c.encoding).encode(c.text)), [c.id], `tiktoken ${c.encoding} ${JSON.stringify(c.text)}`);
    }
  });

  it('has a source, an observation and a scope for every entry, and covers r50k, p50k, cl100k and o200k', () => {
    for (const c of CURATED_GLITCH_TOKENS) {
      assert.ok(c.source.reference.length > 10 && c.source.observed.length > 10);
      assert.ok(c.source.scope === 'tokenizer' || c.source.model);
    }
    const encs = new Set(CURATED_GLITCH_TOKENS.map((c) => c.encoding));
    for (const e of ['r50k_base', 'p50k_base', 'cl100k_base', 'o200k_base', 'o200k_harmony']) assert.ok(encs.has(e as never), e);
    assert.ok(CURATED_GLITCH_TOKENS.some((c) => c.encoding === 'r50k_base' && c.id === 43453));
    assert.ok(CURATED_GLITCH_TOKENS.some((c) => c.encoding === 'cl100k_base' && c.id === 99944));
  });
});
