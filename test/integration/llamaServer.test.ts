/**
 * The real VS Code against a real llama-server (built from node-llama-cpp's llama.cpp bundle,
 * serving the shipped model on 127.0.0.1): a cursor inside a word gets a token-healed suggestion
 * through the server, and the status follows the server down and back up.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { InfillResult } from '../../src/core/backend/backend';
import type { TokenscopeApi } from '../../src/extension';
import type { BackendState } from '../../src/services/backendService';
import { LlamaServerProcess } from '../support/llamaServer';
import { activateExtension, closeAllEditors, openUntitled, waitFor, setUserSetting } from './helpers';

const set = setUserSetting;

describe('llama-server in VS Code', function () {
  this.timeout(120000);
  let api: TokenscopeApi;
  let server: LlamaServerProcess;

  const stateIs = (pred: (s: BackendState) => boolean, what: string): Promise<BackendState> => waitFor(what, () => (pred(api.internal.backendState()) ? api.internal.backendState() : undefined), 60000);

  before(async () => {
    api = await activateExtension();
    server = await LlamaServerProcess.start({ slots: 1 });
    await set('completion.backend', 'llama-server');
    await set('server.url', server.url);
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', { other: 'off', comments: 'off', strings: 'off' }, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    for (const k of ['completion.backend', 'server.url', 'server.timeoutMs']) await set(k, undefined);
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('tokenscope.retryBackend');
    await closeAllEditors();
    await server?.kill();
  });

  it('a cursor inside a word: the suggestion is token-healed through the server', async () => {
    // connecting detects what the server can do (token healing: /tokenize pieces, a rendered /infill prompt)
    const probe = await vscode.commands.executeCommand<InfillResult>('tokenscope.testCompletion', {});
    assert.ok(probe.text.length > 0 || probe.stopReason === 'eos');
    await stateIs((s) => s.kind === 'ready', 'ready');
    assert.match(api.internal.backendStatusBar().tooltip, /healing token-level/);
    const doc = await openUntitled({ language: 'python', content: 'import os\n\n\ndef main():\n    \n\n\nmain()\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(4, 4, 4, 4);
    for (const ch of 'pri') await vscode.commands.executeCommand('type', { text: ch });
    let last = 0;
    const s = await waitFor('a suggestion from llama-server', () => {
      const o = api.internal.inlineCompletion().provider.last;
      if (o?.document === doc && o.version === doc.version && o.suggestion) return o.suggestion;
      if (Date.now() - last > 3000) {
        last = Date.now();
        void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      }
      return undefined;
    }, 60000);
    assert.strictEqual(s.healing, 'token', `healing ${s.healing}: the server heals at token level`);
    assert.ok(s.healedBytes >= 3, `${s.healedBytes} bytes healed`);
    assert.ok(s.detail?.promptTokens !== undefined && s.detail.promptTokens > 0, 'the server reported its prompt');
  });

  it('the server killed and restarted: "Server down", then ready again', async () => {
    const port = server.port;
    await set('server.timeoutMs', 3000);
    await server.kill();
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('tokenscope.testCompletion', {})));
    await stateIs((s) => s.kind === 'error' && s.code === 'server-down', 'server-down');
    assert.match(api.internal.backendStatusBar().text, /Server down/);
    server = await LlamaServerProcess.start({ slots: 1, port });
    const r = await vscode.commands.executeCommand<InfillResult>('tokenscope.testCompletion', {});
    assert.ok(r.generatedTokens !== undefined && r.generatedTokens > 0);
    await stateIs((s) => s.kind === 'ready', 'ready again');
  });
});
