import * as assert from 'assert';
import { parseInspectorMessage } from '../../../../src/core/inspector/inspectorMessages';

describe('core/inspector: webview messages', () => {
  it('accepts the two messages the webview sends', () => {
    assert.deepStrictEqual(parseInspectorMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepStrictEqual(parseInspectorMessage({ type: 'rendered', file: 'a.ts', tokens: 12, bars: 3, rows: 4, extra: 'ignored' }), { type: 'rendered', file: 'a.ts', tokens: 12, bars: 3, rows: 4 });
  });

  it('drops anything else without throwing', () => {
    for (const m of [null, undefined, 42, 'ready', [], {}, { type: 'run', command: 'rm -rf /' }, { type: 'rendered', file: 'a', tokens: -1, bars: 0, rows: 0 }, { type: 'rendered', file: 'a', tokens: 1.5, bars: 0, rows: 0 }, { type: 'rendered', file: 7, tokens: 1, bars: 0, rows: 0 }, { type: 'rendered', file: 'x'.repeat(5000), tokens: 1, bars: 0, rows: 0 }]) {
      assert.strictEqual(parseInspectorMessage(m), undefined, JSON.stringify(m));
    }
  });
});
