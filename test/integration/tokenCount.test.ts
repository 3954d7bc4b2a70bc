import * as assert from 'assert';
import * as fs from 'fs';
import { get_encoding } from 'tiktoken';
import * as vscode from 'vscode';
import type { CountTokensResult } from '../../src/features/tokenCount/countTokensCommand';
import type { TokenscopeApi } from '../../src/extension';
import type { TokenCountSnapshot } from '../../src/features/tokenCount/tokenCountStatus';
import { activateExtension, closeAllEditors, screenshot, waitFor, workspaceFile, openUntitled } from './helpers';

// The oracle is tiktoken itself, loaded here in the test, independent of the extension's bundle.
const oracle = get_encoding('o200k_base');
const countO200k = (s: string): number => oracle.encode_ordinary(s).length;

function counted(api: TokenscopeApi, uri: vscode.Uri): Extract<TokenCountSnapshot, { kind: 'counted' }> | undefined {
  const s = api.internal.tokenCount();
  return s.kind === 'counted' && s.uri === uri.toString() ? s : undefined;
}

describe('token count (status bar + command)', () => {
  let api: TokenscopeApi;

  before(async () => {
    api = await activateExtension();
  });
  afterEach(closeAllEditors);
  after(() => oracle.free());

  it('activates and hides the count when no editor is open', async () => {
    const ext = vscode.extensions.getExtension('tokenscope.tokenscope');
    assert.ok(ext?.isActive);
    await closeAllEditors();
    await waitFor('hidden state', () => (api.internal.tokenCount().kind === 'hidden' ? true : undefined));
  });

  it('registers every command of package.json, and the internal ones', async () => {
    const pkg = vscode.extensions.getExtension('tokenscope.tokenscope')!.packageJSON as { contributes: { commands: { command: string }[] } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = [...pkg.contributes.commands.map((c) => c.command), 'tokenscope.setEncoding', 'tokenscope.retryBackend'].filter((id) => !registered.has(id));
    assert.deepStrictEqual(missing, []);
  });

  it('shows the o200k count of the active document', async () => {
    const uri = workspaceFile('hello.ts');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const expected = countO200k(fs.readFileSync(uri.fsPath, 'utf8'));
    const s = await waitFor('the document count', () => counted(api, uri));
    assert.strictEqual(s.encoding, 'o200k_base');
    assert.strictEqual(s.documentTokens, expected);
    assert.strictEqual(s.selectionTokens, undefined);
    assert.match(s.text, new RegExp(`\\b${expected} tokens · o200k · [0-9.]+ ch/t$`));
    assert.match(s.tooltip, /gpt-4o\*\*: [0-9.<]+% of its 128,000-token context · \$[0-9.]+ as input/);
    assert.match(s.tooltip, /command:tokenscope\.setEncoding/);
    await screenshot('token-count-document');
  });

  it('shows the count of the selection, summed over several selections', async () => {
    const uri = workspaceFile('multilingual.txt');
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const doc = editor.document;
    const r1 = new vscode.Range(1, 0, 2, 10);
    const r2 = doc.lineAt(4).range;
    editor.selections = [new vscode.Selection(r1.start, r1.end), new vscode.Selection(r2.start, r2.end)];
    const expected = countO200k(doc.getText(r1)) + countO200k(doc.getText(r2));
    const s = await waitFor('the selection count', () => {
      const c = counted(api, uri);
      return c?.selectionTokens !== undefined ? c : undefined;
    });
    assert.strictEqual(s.selectionTokens, expected);
    assert.strictEqual(s.documentTokens, countO200k(doc.getText()));
    assert.ok(s.text.includes(`${expected} of ${s.documentTokens} tokens`), s.text);
    await screenshot('token-count-selection');
  });

  it('counts special-token strings as text and follows edits', async () => {
    const doc = await openUntitled({ language: 'plaintext', content: 'start <|endoftext|> <|fim_prefix|>' });
    const editor = await vscode.window.showTextDocument(doc);
    const first = await waitFor('first count', () => counted(api, doc.uri));
    assert.strictEqual(first.documentTokens, countO200k(doc.getText()));
    await editor.edit((b) => b.insert(doc.positionAt(doc.getText().length), ' and some more words'));
    const after = await waitFor('count after the edit', () => {
      const c = counted(api, doc.uri);
      return c && c.version === doc.version ? c : undefined;
    });
    assert.strictEqual(after.documentTokens, countO200k(doc.getText()));
    assert.ok(after.documentTokens > first.documentTokens);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('"Tokenscope: Count Tokens" reports the document, then the selection', async () => {
    const uri = workspaceFile('prompt.md');
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const text = editor.document.getText();
    const whole = await vscode.commands.executeCommand<CountTokensResult>('tokenscope.countTokens');
    assert.deepStrictEqual(whole, { scope: 'document', encoding: 'o200k_base', tokens: countO200k(text), chars: text.length });
    editor.selection = new vscode.Selection(0, 0, 0, 12);
    const sel = await vscode.commands.executeCommand<CountTokensResult>('tokenscope.countTokens');
    assert.deepStrictEqual(sel, { scope: 'selection', encoding: 'o200k_base', tokens: countO200k('<|im_start|>'), chars: 12 });
  });

  it('follows the tokenscope.encoding setting', async () => {
    const uri = workspaceFile('hello.ts');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const cfg = vscode.workspace.getConfiguration('tokenscope');
    await cfg.update('encoding', 'r50k_base', vscode.ConfigurationTarget.Global);
    try {
      const r50k = get_encoding('r50k_base');
      const expected = r50k.encode_ordinary(fs.readFileSync(uri.fsPath, 'utf8')).length;
      r50k.free();
      const s = await waitFor('the r50k count', () => {
        const c = counted(api, uri);
        return c?.encoding === 'r50k_base' ? c : undefined;
      });
      assert.strictEqual(s.documentTokens, expected);
    } finally {
      await cfg.update('encoding', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
