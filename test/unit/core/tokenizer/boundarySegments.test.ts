import * as assert from 'assert';
import { boundarySegments, pairs, type SpanList } from '../../../../src/core/tokenizer/boundarySegments';
import type { TokenSpan } from '../../../../src/core/tokenizer/documentTokens';
import { DocumentTokens } from '../../../../src/core/tokenizer/documentTokens';
import { fastTokenizer } from './oracle';

function list(spans: TokenSpan[]): SpanList {
  return { length: spans.length, starts: spans.map((s) => s.start), ends: spans.map((s) => s.end), indexes: spans.map((s) => s.index) };
}

describe('core/tokenizer/boundarySegments', () => {
  it('gives each token its own colour slot by index and marks whitespace', () => {
    const doc = DocumentTokens.build(fastTokenizer('o200k_base'), 'hello world\n\tx  y\r\nz');
    const spans = doc.tokensInRange(0, doc.length);
    const seg = boundarySegments(list(spans), 6, doc.getText(), 0, true);
    const all = seg.bySlot.flatMap((r, slot) => pairs(r).map(([a, b]) => ({ a, b, slot }))).sort((x, y) => x.a - y.a);
    assert.strictEqual(all.length, spans.length);
    all.forEach((r, i) => assert.strictEqual(r.slot, i % 6));
    assert.deepStrictEqual(seg.split, []);
    assert.deepStrictEqual(seg.spaces, [5, 14, 15]);
    assert.deepStrictEqual(seg.tabs, [12]);
    assert.deepStrictEqual(seg.lineEnds, [11, 17], 'one marker per line end; \\r\\n counts once, at the \\r');
  });

  it('gives a character shared by tokens to the split list, never to two colours', () => {
    const tok = fastTokenizer('cl100k_base');
    const text = '🙂👩‍👩‍👧 你好';
    const doc = DocumentTokens.build(tok, text);
    const spans = doc.tokensInRange(0, doc.length);
    assert.ok(spans.some((s) => s.partial));
    const seg = boundarySegments(list(spans), 6, text, 0, false);
    const covered = new Uint8Array(text.length);
    for (const [a, b] of [...seg.bySlot.flatMap((r) => pairs(r)), ...pairs(seg.split)]) for (let o = a; o < b; o++) covered[o]!++;
    assert.ok(covered.every((c) => c === 1), `coverage ${Array.from(covered).join('')}`);
    assert.ok(seg.split.length > 0);
  });

  it('keeps two adjacent shared characters apart, and merges one character cut twice', () => {
    // "🙂🙂" (2 UTF-16 units each): A = bytes 0-1, B = bytes 2-5 (both emoji), C = bytes 6-7
    const adjacent = boundarySegments(list([{ start: 0, end: 2, index: 0 }, { start: 0, end: 4, index: 1 }, { start: 2, end: 4, index: 2 }] as TokenSpan[]), 6, '🙂🙂', 0, false);
    assert.deepStrictEqual(adjacent.split, [0, 2, 2, 4]);
    assert.deepStrictEqual(adjacent.bySlot.flat(), []);
    // "🙂" cut into three tokens: one shared range
    const twice = boundarySegments(list([{ start: 0, end: 2, index: 0 }, { start: 0, end: 2, index: 1 }, { start: 0, end: 2, index: 2 }] as TokenSpan[]), 6, '🙂', 0, false);
    assert.deepStrictEqual(twice.split, [0, 2]);
  });
});
