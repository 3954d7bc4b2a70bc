/**
 * The completion backend inside a real VS Code: the shipped model loaded by llama.cpp in its own
 * process, the status-bar states and their actions, model download from a 127.0.0.1 server, a
 * remote backend that is down and then up (a fake llama-server), and an extension host that stays
 * responsive while the model works.
 */
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelInfoResult } from '../../src/features/completionBackend/showModelInfoCommand';
import type { EncodingComparison } from '../../src/features/encodings/compareEncodingsCommand';
import type { InfillResult } from '../../src/core/backend/backend';
import type { DownloadResult } from '../../src/core/download/downloader';
import type { TokenscopeApi } from '../../src/extension';
import { closedPort, startFakeServer } from '../support/fakeServers';
import { ensureVocabs, vocabPath } from '../unit/core/gguf/vocabFixtures';
import { formatCount } from '../../src/core/format/formatCount';
import { activateExtension, backendStateIs, openUntitled, removeScratchDir, setUserSetting, shippedModelPath, waitFor } from './helpers';

/**
 * The error's stable code. The extension runs from its esbuild bundle and this test from tsc's
 * output: two copies of the error classes, so `instanceof` cannot work across them; codes do.
 */
function hasCode(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    const actual = (e as { code?: unknown } | undefined)?.code;
    assert.strictEqual(actual, code, `expected ${code}, got ${String(e)}`);
    return true;
  };
}

const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('tokenscope');
const set = setUserSetting;
const stateIs = backendStateIs;
const shippedModel = shippedModelPath;

describe('completion backend', function () {
  this.timeout(120000);
  let api: TokenscopeApi;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-backend-'));
  before(async () => {
    api = await activateExtension();
  });
  afterEach(async () => {
    for (const k of ['completion.backend', 'model.path', 'server.url', 'server.model', 'server.timeoutMs', 'model.keepLoadedMinutes']) await set(k, undefined);
    await vscode.commands.executeCommand('tokenscope.retryBackend');
  });
  after(() => removeScratchDir(tmp));

  it('starts idle with the shipped model, loads it on first use, and shows its metadata', async () => {
    await stateIs(api, (s) => s.kind === 'idle' || s.kind === 'ready', 'idle or ready');
    const bar = api.internal.backendStatusBar();
    assert.ok(bar.visible && bar.text.includes('tokenscope-fim-tiny'), bar.text);
    const r = await vscode.commands.executeCommand<ModelInfoResult>('tokenscope.showModelInfo', { open: false });
    assert.strictEqual(api.internal.backendState().kind, 'ready');
    assert.strictEqual(r.info?.architecture, 'llama');
    assert.strictEqual(r.info?.vocabSize, 49152);
    assert.match(r.markdown, /FIM prefix \/ suffix \/ middle \| 1 `<fim_prefix>` \/ 3 `<fim_suffix>` \/ 2 `<fim_middle>`/);
    assert.match(r.markdown, /draft verification.*\| yes/);
    assert.match(api.internal.backendStatusBar().tooltip, /ready/);

    // "Compare Encodings" now includes the loaded model's own tokenizer
    const doc = await openUntitled({ language: 'python', content: 'def add(a, b):\n    return a + b\n' });
    await vscode.window.showTextDocument(doc);
    const cmp = await vscode.commands.executeCommand<EncodingComparison>('tokenscope.compareEncodings', { pick: false });
    assert.strictEqual(cmp.model?.name, 'tokenscope-fim-tiny');
    assert.ok(cmp.model.tokens > 5 && cmp.model.tokens < 30, `${cmp.model.tokens} tokens`);
    // and the status bar's tooltip counts the document with it too, labelled
    const snap = await waitFor('a tooltip with the local model', () => {
      const t = api.internal.tokenCount();
      return t.kind === 'counted' && t.tooltip.includes('local model `tokenscope-fim-tiny`') ? t : undefined;
    });
    assert.match(snap.kind === 'counted' ? snap.tooltip : '', new RegExp(`local model \`tokenscope-fim-tiny\` \\| ${cmp.model.tokens} \\|`));
    // a larger document (128 KB) is counted in the tokenizer worker, off the host thread: the same figure
    const big = await openUntitled({ language: 'python', content: `# ${'é'.repeat(8)}\n` + 'def add(a, b):\n    return a + b\n'.repeat(4000) });
    await vscode.window.showTextDocument(big);
    const bigCmp = await vscode.commands.executeCommand<EncodingComparison>('tokenscope.compareEncodings', { pick: false });
    assert.ok(bigCmp.model && bigCmp.model.tokens > 4000, `${bigCmp.model?.tokens} tokens`);
    const bigSnap = await waitFor('the local model count of the larger document', () => {
      const t = api.internal.tokenCount();
      return t.kind === 'counted' && t.uri === big.uri.toString() && t.tooltip.includes('local model `tokenscope-fim-tiny`') ? t : undefined;
    });
    assert.ok(bigSnap.kind === 'counted' && bigSnap.tooltip.includes(`local model \`tokenscope-fim-tiny\` | ${formatCount(bigCmp.model.tokens)} |`), bigSnap.kind === 'counted' ? bigSnap.tooltip : '');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('generates a completion while the extension host stays responsive (a 10 ms timer keeps firing)', async () => {
    await vscode.commands.executeCommand('tokenscope.showModelInfo', { open: false }); // loaded: measure generation only
    // a long prompt (prefill) and a long completion keep the engine busy for a while
    const code = fs.readFileSync(path.join(vscode.extensions.getExtension('tokenscope.tokenscope')!.extensionPath, 'src', 'core', 'tokenizer', 'documentTokens.ts'), 'utf8');
    const prefix = code.slice(0, 6000);
    const suffix = code.slice(6000, 9000);
    let last = performance.now();
    let maxGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const t0 = performance.now();
    let r: InfillResult;
    try {
      r = await vscode.commands.executeCommand<InfillResult>('tokenscope.testCompletion', { prefix, suffix, maxTokens: 200 });
    } finally {
      clearInterval(timer);
    }
    const ms = performance.now() - t0;
    console.log(`      ${r.promptTokens} prompt + ${r.generatedTokens} generated tokens in ${ms.toFixed(0)} ms; timer: ${ticks} ticks, longest gap ${maxGap.toFixed(1)} ms`);
    assert.ok(r.promptTokens! > 1500, `prompt ${r.promptTokens} tokens`);
    assert.ok(ms > 300, `the engine worked for ${ms.toFixed(0)} ms (too short to say anything)`);
    // inference in-process would stall the timer for the whole prefill (hundreds of ms)
    assert.ok(maxGap < 150, `the extension host stalled for ${maxGap.toFixed(0)} ms`);
    assert.ok(ticks > ms / 10 / 3, `${ticks} ticks in ${ms.toFixed(0)} ms`);
  });

  it('a missing model: a status-bar state with Pick Model, no crash; picking the shipped model recovers', async () => {
    await set('model.path', path.join(tmp, 'missing.gguf'));
    await stateIs(api, (s) => s.kind === 'idle' && s.label === 'missing', 'the new model path');
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('tokenscope.testCompletion', {})), hasCode('backend-model-missing'));
    const s = await stateIs(api, (x) => x.kind === 'error', 'error state');
    assert.strictEqual(s.kind === 'error' && s.code, 'model-missing');
    const bar = api.internal.backendStatusBar();
    assert.match(bar.text, /Model missing/);
    assert.match(bar.tooltip, /command:tokenscope\.pickModel/);
    assert.match(bar.tooltip, /command:tokenscope\.showLog/);
    // a second request does not hammer the file system or log again: same state, same error
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('tokenscope.testCompletion', {})));
    const chosen = await vscode.commands.executeCommand<string>('tokenscope.pickModel', { path: '' });
    assert.strictEqual(chosen, shippedModel());
    await stateIs(api, (x) => x.kind === 'idle', 'idle again');
    const r = await vscode.commands.executeCommand<InfillResult>('tokenscope.testCompletion', { maxTokens: 4 });
    assert.ok(r.totalMs > 0);
  });

  it('a corrupt model file and one without FIM tokens get their own states', async () => {
    const garbage = path.join(tmp, 'garbage.gguf');
    fs.writeFileSync(garbage, Buffer.alloc(4096, 7));
    await set('model.path', garbage);
    await stateIs(api, (s) => s.kind === 'idle' && s.label === 'garbage', 'new path');
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('tokenscope.showModelInfo', { open: false })));
    let s = await stateIs(api, (x) => x.kind === 'error', 'error');
    assert.strictEqual(s.kind === 'error' && s.code, 'model-corrupt');
    assert.match(api.internal.backendStatusBar().text, /Model unreadable/);
    // pickModel refuses a file without FIM tokens and leaves the setting alone
    const vocab = path.join(tmp, 'nofim.gguf');
    await ensureVocabs();
    fs.copyFileSync(vocabPath('llama-bpe'), vocab);
    assert.strictEqual(await vscode.commands.executeCommand('tokenscope.pickModel', { path: vocab }), undefined);
    assert.strictEqual(cfg().get('model.path'), garbage);
    await set('model.path', vocab);
    await stateIs(api, (x) => x.kind === 'idle' && x.label === 'nofim', 'new path');
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('tokenscope.showModelInfo', { open: false })));
    s = await stateIs(api, (x) => x.kind === 'error', 'error');
    assert.strictEqual(s.kind === 'error' && s.code, 'model-no-fim');
  });

  it('a remote server that is down, then up: server-down state with Retry, then completions from it', async () => {
    const port = await closedPort();
    await set('completion.backend', 'llama-server');
    await set('server.url', `http://127.0.0.1:${port}`);
    await set('server.timeoutMs', 2000);
    await stateIs(api, (s) => s.kind === 'idle' && s.label === `127.0.0.1:${port}`, 'remote idle');
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('tokenscope.testCompletion', {})), hasCode('backend-server-down'));
    await stateIs(api, (s) => s.kind === 'error' && s.code === 'server-down', 'server-down');
    assert.match(api.internal.backendStatusBar().text, /Server down/);
    assert.match(api.internal.backendStatusBar().tooltip, /command:tokenscope\.retryBackend/);
    const server = await startFakeServer('llama-server', { completion: 'return fib(n - 1) + fib(n - 2)\n' });
    try {
      await set('server.url', server.url);
      const r = await vscode.commands.executeCommand<InfillResult>('tokenscope.testCompletion', {});
      assert.strictEqual(r.text, 'return fib(n - 1) + fib(n - 2)\n');
      await stateIs(api, (s) => s.kind === 'ready', 'ready');
    } finally {
      await server.close();
    }
  });

  it('downloads a model from 127.0.0.1 with progress, verifies it, and switches to it; a bad checksum leaves nothing behind', async () => {
    const data = fs.readFileSync(shippedModel());
    const sha = createHash('sha256').update(data).digest('hex');
    const server = http.createServer((req, res) => {
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      res.writeHead(m ? 206 : 200, { 'content-length': String(data.length - start), ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}) });
      res.end(data.subarray(start));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.gguf`;
    const name = `test-${Date.now()}.gguf`;
    try {
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('tokenscope.downloadModel', { url, fileName: `bad-${name}`, sha256: '0'.repeat(64) })), hasCode('download-checksum-mismatch'));
      const r = await vscode.commands.executeCommand<DownloadResult>('tokenscope.downloadModel', { url, fileName: name, sha256: sha, use: true });
      assert.strictEqual(r.bytes, data.length);
      assert.strictEqual(r.sha256, sha);
      assert.ok(!fs.existsSync(path.join(path.dirname(r.path), `bad-${name}`)) && !fs.existsSync(path.join(path.dirname(r.path), `bad-${name}.part`)));
      assert.strictEqual(cfg().get('model.path'), r.path);
      await stateIs(api, (s) => s.kind === 'idle' && s.label === name.replace('.gguf', ''), 'switched to the download');
      const info = await vscode.commands.executeCommand<ModelInfoResult>('tokenscope.showModelInfo', { open: false });
      assert.strictEqual(info.info?.path, r.path);
      fs.rmSync(r.path);
    } finally {
      server.close();
    }
  });

  it('unloads an idle local model (its process ends, its memory is returned) and loads it again on demand', async () => {
    await set('model.keepLoadedMinutes', 0.02); // 1.2 s
    await stateIs(api, (s) => s.kind === 'idle', 'idle after the settings change');
    await vscode.commands.executeCommand('tokenscope.showModelInfo', { open: false });
    const pid = await waitFor('engine pid', () => api.internal.enginePid());
    await stateIs(api, (s) => s.kind === 'idle', 'unloaded');
    assert.strictEqual(api.internal.enginePid(), undefined);
    await waitFor('the engine process to end', () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    const r = await vscode.commands.executeCommand<InfillResult>('tokenscope.testCompletion', { maxTokens: 4 });
    assert.ok(r.totalMs > 0);
  });

  it('an engine crash shows "Engine crashed" (no popup, the host lives on), and the next request restarts the engine', async () => {
    await vscode.commands.executeCommand('tokenscope.showModelInfo', { open: false });
    const pid = await waitFor('engine pid', () => (api.internal.backendState().kind === 'ready' ? api.internal.enginePid() : undefined));
    process.kill(pid, 'SIGKILL'); // what a native abort() in llama.cpp looks like from here
    await stateIs(api, (s) => s.kind === 'error' && s.code === 'engine-crashed', 'engine-crashed');
    assert.match(api.internal.backendStatusBar().text, /Engine crashed/);
    const r = await vscode.commands.executeCommand<InfillResult>('tokenscope.testCompletion', { maxTokens: 4 });
    assert.notStrictEqual(api.internal.enginePid(), pid);
    assert.ok(r.generatedTokens !== undefined);
    await stateIs(api, (s) => s.kind === 'ready', 'ready again');
  });
});
