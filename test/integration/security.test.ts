/**
 * Security in the real VS Code: a workspace cannot point Tokenscope at a model file or an endpoint
 * (those settings are machine-scoped and restricted in untrusted workspaces), and with default
 * settings Tokenscope talks to nothing but loopback - checked both by recording every socket the
 * extension opens in the host and by reading the kernel's socket tables for the host and the engine
 * process.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';
import { closedPort } from '../support/fakeServers';
import { EXTENSION_ID, activateExtension, closeAllEditors, inlineAnswer, openUntitled, waitFor, workspaceFile, setUserSetting } from './helpers';

/** Remote addresses of the TCP sockets a process holds, from /proc (Linux), as "address:port". */
function tcpPeersOf(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const peers: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && inodes.has(f[9]!)) peers.push(f[2]!);
    }
  }
  return peers;
}

/** A /proc/net/tcp{,6} remote address ("0100007F:1F90", 32 hex digits for IPv6) is loopback or unconnected. */
function isLoopbackOrNone(hexPeer: string): boolean {
  const [addr] = hexPeer.split(':') as [string];
  if (/^0+$/.test(addr)) return true; // listening, not connected
  if (addr.length === 8) return addr.endsWith('7F'); // 127.x.x.x, bytes in host (little-endian) order
  // IPv6: four 32-bit words in host order; ::1, or ::ffff:127.x.x.x (IPv4-mapped)
  return addr === '00000000000000000000000001000000' || (addr.startsWith('0000000000000000FFFF0000') && addr.endsWith('7F'));
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);

describe('security', function () {
  this.timeout(180000);
  let api: TokenscopeApi;
  before(async () => {
    api = await activateExtension();
  });
  afterEach(closeAllEditors);

  it('a workspace cannot set model paths or endpoints: VS Code reads them, Tokenscope never sees them', async () => {
    const settingsFile = workspaceFile('.vscode/settings.json').fsPath;
    const original = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : undefined;
    const hostile = {
      'tokenscope.model.path': '/tmp/not-yours.gguf',
      'tokenscope.model.draftPath': '/tmp/not-yours-either.gguf',
      'tokenscope.server.url': 'http://198.51.100.7:8080',
      'tokenscope.server.model': 'exfiltrate',
    };
    const before = JSON.stringify(api.internal.backendState());
    const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('tokenscope');
    try {
      fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
      fs.writeFileSync(settingsFile, JSON.stringify({ ...(original ? (JSON.parse(original) as object) : {}), ...hostile, 'tokenscope.encoding': 'cl100k_base' }, null, 2));
      // VS Code has read the file when the workspace's (window-scoped) encoding shows; the
      // machine-scoped values in the same file are dropped before any extension can read them
      await waitFor('the workspace settings read', () => (cfg().inspect('encoding')?.workspaceValue === 'cl100k_base' ? true : undefined), 30000);
      for (const key of Object.keys(hostile)) {
        const k = key.slice('tokenscope.'.length);
        assert.strictEqual(cfg().inspect(k)?.workspaceValue, undefined, `${key}: no workspace value reaches an extension`);
        assert.strictEqual(cfg().get(k), '', `${key} from a workspace is ignored (machine scope)`);
      }
      await vscode.commands.executeCommand('tokenscope.retryBackend');
      const state = JSON.stringify(api.internal.backendState());
      assert.ok(!/not-yours|198\.51\.100\.7|exfiltrate/.test(state), `the backend state mentions a workspace value: ${state}`);
      assert.strictEqual(state.includes('error'), before.includes('error'), `backend state changed: ${before} → ${state}`);
    } finally {
      if (original === undefined) fs.rmSync(settingsFile, { force: true });
      else fs.writeFileSync(settingsFile, original);
      await waitFor('the workspace settings restored', () => (cfg().inspect('encoding')?.workspaceValue !== 'cl100k_base' ? true : undefined), 30000);
    }
  });

  it('declares restricted mode for untrusted workspaces over exactly the machine-scoped settings', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      capabilities: { untrustedWorkspaces: { supported: unknown; restrictedConfigurations: string[] } };
      contributes: { configuration: { properties: Record<string, { scope?: string }> } | { properties: Record<string, { scope?: string }> }[] };
    };
    const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
    const machine = sections.flatMap((s) => Object.entries(s.properties)).filter(([, v]) => v.scope?.startsWith('machine')).map(([k]) => k).sort();
    assert.strictEqual(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepStrictEqual([...pkg.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), machine);
    assert.ok(machine.length >= 4, `machine-scoped settings: ${machine.join(', ')}`);
  });

  it('with default settings, opens no connection beyond loopback (host and engine process)', async () => {
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const attempts: { host: string; ours: boolean }[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const connect = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
      // Node's own callers pass their normalized arguments as one array: [options, callback]
      const a = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      const o = typeof a === 'object' && a !== null ? (a as { host?: unknown; path?: unknown }) : undefined;
      const named = o ? (o.host ?? o.path) : args[1];
      const host = typeof named === 'string' ? named : 'localhost';
      // Node's http and net internals take ~10 frames before the caller's: look deeper than the default limit
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 100;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      attempts.push({ host, ours: stack.includes(extensionPath) });
      return (connect as (...x: unknown[]) => net.Socket).apply(this, args);
    };
    try {
      // what a user does with Tokenscope on defaults: counts, boundaries, hovers, glitch scan, completions
      const doc = await vscode.workspace.openTextDocument(workspaceFile('hello.ts'));
      await vscode.window.showTextDocument(doc);
      await waitFor('count', () => (api.internal.tokenCount().kind === 'counted' ? true : undefined), 60000);
      await vscode.commands.executeCommand('tokenscope.compareEncodings', { pick: false });
      const py = await openUntitled({ language: 'python', content: 'def main():\n    pri\n' });
      const editor = await vscode.window.showTextDocument(py);
      editor.selection = new vscode.Selection(1, 7, 1, 7);
      await inlineAnswer(api, 'a completion answer', py, (o) => (o.suggestion || o.skipped ? o : undefined));
      await vscode.commands.executeCommand('tokenscope.glitchReport', { scope: 'workspace', open: false });
      const pid = api.internal.enginePid();
      assert.ok(pid !== undefined, 'the local engine ran');
      for (const [who, p] of [['extension host', process.pid], ['engine', pid]] as const) {
        const remote = tcpPeersOf(p).filter((x) => !isLoopbackOrNone(x));
        assert.deepStrictEqual(remote, [], `${who} (pid ${p}) holds non-loopback TCP connections`);
      }
      assert.deepStrictEqual(attempts.filter((a) => a.ours), [], 'on defaults Tokenscope opens no socket at all');
      // the recorder sees Tokenscope's sockets: a configured server (a closed loopback port) is tried
      const port = await closedPort();
      await setUserSetting('completion.backend', 'llama-server');
      await setUserSetting('server.url', `http://127.0.0.1:${port}`);
      try {
        await vscode.commands.executeCommand('tokenscope.retryBackend');
        await waitFor('a recorded connect by Tokenscope', () => (attempts.some((a) => a.ours && a.host === '127.0.0.1') ? true : undefined), 30000).catch((e: Error) => {
          throw new Error(`${e.message}; recorded ${JSON.stringify(attempts)}; backend ${JSON.stringify(api.internal.backendState())}`);
        });
      } finally {
        await setUserSetting('completion.backend', undefined);
        await setUserSetting('server.url', undefined);
        await vscode.commands.executeCommand('tokenscope.retryBackend');
      }
    } finally {
      net.Socket.prototype.connect = connect;
    }
    const outside = attempts.filter((a) => a.ours && !LOOPBACK_HOSTS.has(a.host) && !a.host.startsWith('/'));
    assert.deepStrictEqual(outside, [], 'Tokenscope connected beyond loopback');
    console.log(`      socket connects in the host during the run: ${attempts.length} (${attempts.filter((a) => a.ours).length} by Tokenscope, all loopback)`);
  });
});
