/**
 * Backend faults through the real extension: a server that answers HTTP 500, garbage, a web page,
 * cuts the stream, is slow or stalls; a model file cut in half. Each gives one error state with its
 * code, one log line however often it is hit (no log or popup storm: the status bar carries it),
 * and recovery when the cause goes away; afterwards no handle (timer, socket) is left behind. Server
 * faults come from a fake server on 127.0.0.1 (a real llama-server cannot be made to produce them);
 * the real one's faults (killed mid-request, restarted) are in llamaServer.test.ts.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';
import type { BackendErrorCode } from '../../src/common/errors';
import type { BackendState } from '../../src/services/backendService';
import { startFakeServer, type Fault } from '../support/fakeServers';
import { activateExtension, backendStateIs, removeScratchDir, setUserSetting, shippedModelPath, waitFor } from './helpers';

const set = setUserSetting;
const complete = (): Thenable<unknown> => vscode.commands.executeCommand('tokenscope.testCompletion', { maxTokens: 8 });

/** Each fault and the error codes that describe it (garbage in an event stream holds no event: the stream ended early). */
const FAULTS: readonly (readonly [Fault, readonly BackendErrorCode[]])[] = [
  ['http500', ['http']],
  ['garbage', ['malformed', 'truncated']],
  ['html', ['malformed']],
  ['truncate', ['truncated']],
  ['slow', ['timeout']],
  ['stall', ['timeout']],
];

describe('backend faults', function () {
  this.timeout(180000);
  let api: TokenscopeApi;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenscope-faults-'));
  before(async () => {
    api = await activateExtension();
  });
  after(async () => {
    for (const k of ['completion.backend', 'server.url', 'server.timeoutMs', 'model.path']) await set(k, undefined);
    await vscode.commands.executeCommand('tokenscope.retryBackend');
    removeScratchDir(tmp);
  });

  const stateIs = (pred: (s: BackendState) => boolean, what: string): Promise<BackendState> => backendStateIs(api, pred, what);

  it('a server that fails in six ways: one state and one log line each, recovery when it answers again, no handle left', async () => {
    const handlesBefore = process.getActiveResourcesInfo().length;
    const server = await startFakeServer('llama-server', { completion: 'return a + b;\n', delayMs: 4000 });
    try {
      await set('completion.backend', 'llama-server');
      await set('server.url', server.url);
      await set('server.timeoutMs', 1000);
      await complete();
      await stateIs((s) => s.kind === 'ready', 'ready');
      for (const [fault, codes] of FAULTS) {
        const errorsBefore = api.internal.loggedErrors().count;
        server.fault = fault;
        // three requests hit the fault: one state, one log line
        for (let i = 0; i < 3; i++) await assert.rejects(Promise.resolve(complete()), Error, `${fault}: request ${i} must fail`);
        const s = await stateIs((x) => x.kind === 'error', `${fault}: error state`);
        assert.ok(s.kind === 'error' && codes.includes(s.code), `${fault}: ${JSON.stringify(s)}`);
        const bar = api.internal.backendStatusBar();
        assert.ok(bar.visible && !/ready/i.test(bar.text), `${fault}: the status bar shows the problem: ${bar.text}`);
        assert.strictEqual(api.internal.loggedErrors().count, errorsBefore + 1, `${fault}: one log line for three failures (last: ${api.internal.loggedErrors().last ?? ''})`);
        server.fault = 'none';
        await complete();
        await stateIs((x) => x.kind === 'ready', `${fault}: ready again`);
      }
    } finally {
      await server.close();
      for (const k of ['completion.backend', 'server.url', 'server.timeoutMs']) await set(k, undefined);
      await vscode.commands.executeCommand('tokenscope.retryBackend');
    }
    // timers and sockets of the remote backend are gone with it (VS Code's own may come and go)
    const after = await waitFor('handles back', () => {
      const n = process.getActiveResourcesInfo().length;
      return n <= handlesBefore + 2 ? n : undefined;
    }, 30000).catch(() => process.getActiveResourcesInfo().length);
    assert.ok(after <= handlesBefore + 2, `active handles ${handlesBefore} → ${after}: ${JSON.stringify(process.getActiveResourcesInfo())}`);
  });

  it('a model file cut in half is "Model unreadable"; the shipped model recovers', async () => {
    const data = fs.readFileSync(shippedModelPath());
    const half = path.join(tmp, 'half.gguf');
    fs.writeFileSync(half, data.subarray(0, data.length >> 1));
    const errorsBefore = api.internal.loggedErrors().count;
    await set('model.path', half);
    await stateIs((s) => s.kind === 'idle' && s.label === 'half', 'the new model path');
    for (let i = 0; i < 3; i++) await assert.rejects(Promise.resolve(complete()));
    const s = await stateIs((x) => x.kind === 'error', 'error');
    assert.strictEqual(s.kind === 'error' && s.code, 'model-corrupt', JSON.stringify(s));
    assert.match(api.internal.backendStatusBar().text, /Model unreadable/);
    assert.strictEqual(api.internal.loggedErrors().count, errorsBefore + 1, 'one log line for three requests');
    assert.strictEqual(api.internal.enginePid(), undefined, 'no engine process left running for a model that cannot load');
    await set('model.path', undefined);
    await stateIs((x) => x.kind === 'idle', 'idle with the shipped model');
    await complete();
    await stateIs((x) => x.kind === 'ready', 'ready');
  });
});
