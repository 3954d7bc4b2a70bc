import * as assert from 'assert';
import { cutContext, type TextWindow } from '../../../../src/core/completion/context';

/** One token per word or punctuation run: easy to count by hand. */
const count = (s: string): number => (s.match(/\w+|[^\w\s]+|\n/g) ?? []).length;
const lines = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i}\n`).join('');
const windowOf = (text: string, offset: number, firstLine = 0): TextWindow => ({ text, offset, firstLine, atDocumentStart: firstLine === 0 });

describe('core/completion/context: prefix and suffix cut in model tokens', () => {
  it('keeps everything that fits', () => {
    const text = 'a b\nc d\n';
    const c = cutContext(windowOf(text, 5), { prefixTokens: 100, suffixTokens: 100, snapLines: 16 }, count);
    assert.deepStrictEqual([c.prefix, c.suffix, c.prefixComplete], ['a b\nc', ' d\n', true]);
  });

  it('cuts at line boundaries within the budgets (3 tokens per line here)', () => {
    const text = lines(100);
    const cursor = text.indexOf('line 50');
    const c = cutContext(windowOf(text, cursor), { prefixTokens: 30, suffixTokens: 9, snapLines: 1 }, count);
    assert.ok(count(c.prefix) <= 30 && c.prefix.startsWith('line 40\n'), JSON.stringify(c.prefix.slice(0, 20)));
    assert.strictEqual(c.suffix, 'line 50\nline 51\nline 52\n');
    assert.strictEqual(c.prefixComplete, false);
  });

  it('snaps the first line to a multiple of snapLines, so the prompt start holds while typing', () => {
    const text = lines(200);
    const starts = new Set<string>();
    for (let line = 100; line < 108; line++) {
      const c = cutContext(windowOf(text, text.indexOf(`line ${line}\n`)), { prefixTokens: 90, suffixTokens: 10, snapLines: 16 }, count);
      starts.add(c.prefix.slice(0, 9));
      const first = Number(/line (\d+)/.exec(c.prefix)![1]);
      assert.strictEqual(first % 16, 0, `first line ${first}`);
      assert.ok(count(c.prefix) <= 90);
    }
    assert.strictEqual(starts.size, 1, 'one start for eight cursor lines');
  });

  it('counts line numbers from the window, not the document', () => {
    const text = lines(40);
    const c = cutContext(windowOf(text, text.indexOf('line 30'), 1000), { prefixTokens: 60, suffixTokens: 3, snapLines: 16 }, count);
    const first = Number(/line (\d+)/.exec(c.prefix)![1]);
    assert.strictEqual((1000 + first) % 16, 0);
  });
});

describe('core/completion/context: edge cases', () => {
  const budget = { prefixTokens: 40, suffixTokens: 20, snapLines: 16 };
  it('a text that starts with empty lines (the loop must reach the start)', () => {
    for (const text of ['\nfoo', '\n\nfoo', '\n\n\nfoo bar\n']) {
      for (let at = 0; at <= text.length; at++) {
        const c = cutContext(windowOf(text, at), budget, count);
        assert.strictEqual(c.prefix + c.suffix, text.slice(0, at) + c.suffix);
        assert.strictEqual(c.prefix, text.slice(0, at), `${JSON.stringify(text)} at ${at}`);
      }
    }
  });

  it('a huge line is cut at the character cap on both sides, never inside a surrogate pair', () => {
    const line = 'x'.repeat(100_000);
    const text = `a\n${line}🙂${line}\nb\n`;
    const c = cutContext(windowOf(text, text.indexOf('🙂') + 2), budget, count);
    assert.ok(c.prefix.length <= 40 * 8 + 1 && c.suffix.length <= 20 * 8 + 1, `${c.prefix.length} + ${c.suffix.length}`);
    // a cut that would start on the emoji's second half moves past it
    const d = cutContext(windowOf(text, text.indexOf('🙂') + 1 + 40 * 8), budget, count);
    assert.ok(!/^[\udc00-\udfff]/.test(d.prefix), JSON.stringify(d.prefix.slice(0, 2)));
    assert.strictEqual(d.prefix.length, 40 * 8 - 1);
  });
});
