/**
 * Invalid settings in the real VS Code (wrong types, negative budgets, unknown names): each falls
 * back to its default with one warning in the log (never a popup, never an error), and the
 * extension goes on counting, drawing and completing.
 */
import * as assert from 'assert';
import { get_encoding } from 'tiktoken';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';
import { activateExtension, closeAllEditors, inlineAnswer, openUntitled, waitFor, setUserSetting } from './helpers';

const BAD: Readonly<Record<string, unknown>> = {
  encoding: 'o999k_base',
  'boundaries.maxTokens': -5,
  'boundaries.enabled': 'yes',
  'hover.enabled': 42,
  'completion.maxTokens': 'lots',
  'completion.backend': 'quantum',
  'completion.healing': 'sometimes',
  'server.timeoutMs': -1,
  'glitch.reported': 'loud',
  'pricing.customModels': { name: 'not a list' },
};

describe('settings validation', function () {
  this.timeout(120000);
  let api: TokenscopeApi;
  before(async () => {
    api = await activateExtension();
  });
  after(async () => {
    for (const k of Object.keys(BAD)) await setUserSetting(k, undefined);
    await closeAllEditors();
  });

  it('wrong types, negative budgets and unknown names: defaults, one warning each, everything keeps working', async () => {
    const doc = await openUntitled({ language: 'plaintext', content: 'Tokenscope keeps counting 12345 tokens.\n' });
    await vscode.window.showTextDocument(doc);
    const errorsBefore = api.internal.loggedErrors().count;
    for (const [k, v] of Object.entries(BAD)) await setUserSetting(k, v);
    // per-document settings are read when used: a hover, an inline completion at the end of the text
    const r = await vscode.commands.executeCommand<{ text: string }>('tokenscope.testCompletion', { maxTokens: 4 });
    assert.strictEqual(typeof r.text, 'string', 'the backend fell back to the local model and answers');
    api.internal.provideHover(doc, new vscode.Position(0, 3));
    const editor0 = vscode.window.activeTextEditor!;
    editor0.selection = new vscode.Selection(0, 11, 0, 11);
    await inlineAnswer(api, 'an inline answer', doc, (o) => (o.suggestion || o.skipped ? o : undefined));
    // one warning per bad value, naming it
    const unwarned = (): string[] => Object.keys(BAD).filter((k) => !api.internal.loggedWarnings().recent.some((m) => m.includes(`invalid setting tokenscope.${k}:`)));
    await waitFor('a warning per bad value', () => (unwarned().length === 0 ? true : undefined), 30000).catch(() => {
      throw new Error(`no warning for ${unwarned().join(', ')}; warnings: ${JSON.stringify(api.internal.loggedWarnings().recent.slice(-12))}`);
    });
    const editor = vscode.window.activeTextEditor!;
    await editor.edit((e) => e.insert(new vscode.Position(1, 0), 'more text\n'));
    const snap = await waitFor('the count on the default encoding', () => {
      const s = api.internal.tokenCount();
      return s.kind === 'counted' && s.version === doc.version ? s : undefined;
    }, 30000);
    const enc = get_encoding('o200k_base');
    try {
      assert.strictEqual(snap.encoding, 'o200k_base');
      assert.strictEqual(snap.documentTokens, enc.encode_ordinary(doc.getText()).length);
    } finally {
      enc.free();
    }
    // re-reading the same bad values (another change event) does not warn again
    const settled = api.internal.loggedWarnings().count;
    await setUserSetting('statusBar.enabled', true);
    await setUserSetting('statusBar.enabled', undefined);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'x'));
    await waitFor('counted again', () => (api.internal.tokenCount().kind === 'counted' ? true : undefined));
    assert.strictEqual(api.internal.loggedWarnings().count, settled, `warned again: ${api.internal.loggedWarnings().last ?? ''}`);
    assert.strictEqual(api.internal.loggedErrors().count, errorsBefore, `an error was logged: ${api.internal.loggedErrors().last ?? ''}`);
  });
});
