import * as assert from 'assert';
import { collectWindowTokens, decorationLineWindow } from '../../../../src/core/tokenizer/boundaryWindow';
import { SpanBuffer } from '../../../../src/core/tokenizer/documentTokens';

/** A token source with one token per 2 units of [0, length): checkable by hand. */
function everyTwoUnits(length: number): { tokensInRangeInto(start: number, end: number, max: number, out: SpanBuffer): void; calls: [number, number, number][] } {
  const calls: [number, number, number][] = [];
  return {
    calls,
    tokensInRangeInto(start, end, max, out) {
      calls.push([start, end, max]);
      out.clear();
      for (let s = start - (start % 2); s < Math.min(end, length) && out.length < max; s += 2) out.push(s / 2, s / 2, s, s + 2, false);
    },
  };
}

describe('core/tokenizer/boundaryWindow', () => {
  it('adds half a screen, at least 10 lines, on each side, clamped to the document', () => {
    assert.deepStrictEqual(decorationLineWindow(100, 140, 1000), { startLine: 80, endLine: 160 });
    assert.deepStrictEqual(decorationLineWindow(100, 104, 1000), { startLine: 90, endLine: 114 });
    assert.deepStrictEqual(decorationLineWindow(3, 40, 50), { startLine: 0, endLine: 49 });
    assert.deepStrictEqual(decorationLineWindow(0, 0, 1), { startLine: 0, endLine: 0 });
  });

  it('keeps the margin window when it holds at most max tokens', () => {
    const src = everyTwoUnits(1000);
    const spans = new SpanBuffer();
    const w = collectWindowTokens(src, [0, 20], [4, 10], 10, spans);
    assert.deepStrictEqual(w, { start: 0, end: 20, capped: false });
    assert.strictEqual(spans.length, 10);
    assert.deepStrictEqual(src.calls, [[0, 20, 11]]);
  });

  it('falls back to the visible range when the margin holds more than max', () => {
    const src = everyTwoUnits(1000);
    const spans = new SpanBuffer();
    const w = collectWindowTokens(src, [0, 100], [40, 52], 10, spans);
    assert.deepStrictEqual(w, { start: 40, end: 52, capped: false });
    assert.strictEqual(spans.length, 6);
    assert.strictEqual(spans.starts[0], 40);
  });

  it('caps the visible range at max tokens when even that is too many', () => {
    const src = everyTwoUnits(1000);
    const spans = new SpanBuffer();
    const w = collectWindowTokens(src, [0, 1000], [100, 200], 10, spans);
    assert.deepStrictEqual(w, { start: 100, end: 200, capped: true });
    assert.strictEqual(spans.length, 10);
    assert.strictEqual(spans.ends[9], 120);
  });
});
