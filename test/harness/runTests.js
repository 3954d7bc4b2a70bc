#!/usr/bin/env node
// @ts-check
// Runs extension integration tests inside a real VS Code (code-server + headless Chromium).
//
//   node test/harness/runTests.js --extensionDevelopmentPath=/abs/ext --extensionTestsPath=/abs/out/test/integration/index.js
//        [/abs/workspace | --folder=/abs/workspace] [--timeout=300] [--verbose] [--keep]
//
// It also accepts what @vscode/test-electron passes to a VS Code executable, so `code-shim` (which
// execs this file) works as runTests({ vscodeExecutablePath }). Unknown flags are ignored.
// Exit code: the test runner's (0 = all passed); 1 on harness errors and timeouts.
// The extension host inherits this process's environment (MOCHA_GREP, TOKENSCOPE_TEST_RESULT, ...).
// A line "##harness-screenshot /abs/file.png" printed by a test asks for a screenshot of the page;
// it is written to a temporary name and renamed, so a test can wait for the file to appear.
'use strict';
const fs = require('fs');
const path = require('path');
const util = require('util');
const { makeRunDir, startCodeServer, workbenchUrl, launchBrowser, ExtHostLog, sleep } = require('./codeServer');

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ dev: string[], tests?: string, folder?: string, timeout: number, verbose: boolean, keep: boolean, ignored: string[] }} */
  const o = { dev: [], timeout: 300, verbose: false, keep: false, ignored: [] };
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      o.folder ??= a; // positional workspace, as in `code <folder>`
      continue;
    }
    const [, k, v] = m;
    if (k === 'extensionDevelopmentPath' && v) o.dev.push(v);
    else if (k === 'extensionTestsPath') o.tests = v;
    else if (k === 'folder') o.folder = v;
    else if (k === 'timeout') o.timeout = Number(v);
    else if (k === 'verbose') o.verbose = true;
    else if (k === 'keep') o.keep = true;
    else o.ignored.push(a);
  }
  return o;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const log = (/** @type {unknown[]} */ ...a) => console.log('[harness]', ...a);
  if (!args.dev.length || !args.tests) throw new Error('need --extensionDevelopmentPath and --extensionTestsPath');
  if (args.verbose && args.ignored.length) log('ignoring', args.ignored.join(' '));
  const t0 = Date.now();
  const runDir = makeRunDir();
  const server = await startCodeServer({ runDir, env: { HARNESS_RUN_DIR: runDir } });
  log(`code-server ready on ${server.authority} after ${Date.now() - t0} ms`);
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {import('playwright-core').Page | undefined} */
  let page;
  const extLog = new ExtHostLog(server.logFile, (text) => {
    process.stdout.write(text.replace(/\n+$/, '') + '\n');
    for (const s of text.matchAll(/^##harness-screenshot (.+)$/gm)) {
      const target = (s[1] ?? '').trim();
      const tmp = `${target}.partial.png`;
      if (page)
        page.screenshot({ path: tmp }).then(
          () => fs.renameSync(tmp, target),
          (/** @type {Error} */ e) => log('screenshot failed:', e.message),
        );
    }
  });
  let exitCode = 1;
  try {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    /** @type {(code: unknown) => void} */
    let onExit = () => {};
    const exited = new Promise((r) => (onExit = r));
    // The workbench calls this with the test runner's exit code when the test extension host exits.
    await page.exposeFunction('codeAutomationExit', (/** @type {unknown} */ code) => onExit(code));
    /** @type {string[]} */
    const errors = [];
    await page.exposeFunction('codeAutomationLog', (/** @type {string} */ type, /** @type {unknown} */ a) => {
      const msg = util.format(...(Array.isArray(a) ? a : [a]));
      if (type === 'error') errors.push(msg);
      if (args.verbose) console.log(`[workbench:${type}]`, msg);
    });
    const url = workbenchUrl({ authority: server.authority, folder: args.folder, extensionDevelopmentPaths: args.dev, extensionTestsPath: args.tests, debugId: 'harness' });
    if (args.verbose) log('url', url);
    const resp = await page.goto(url);
    if (!resp || resp.status() >= 400) throw new Error(`workbench page answered HTTP ${resp?.status()} (see ${server.logFile})`);
    log(`workbench loaded after ${Date.now() - t0} ms`);
    const code = await Promise.race([exited, sleep(args.timeout * 1000).then(() => 'timeout')]);
    await sleep(300);
    if (code === 'timeout') {
      await page.screenshot({ path: path.join(runDir, 'timeout.png') }).catch(() => {});
      throw new Error(`tests did not finish within ${args.timeout} s (screenshot: ${path.join(runDir, 'timeout.png')})`);
    }
    exitCode = typeof code === 'number' ? code : 1;
    log(`extension host exited with code ${String(code)} after ${Date.now() - t0} ms`);
    if (exitCode !== 0) {
      // e.g. a runner that failed to load or an extension that failed to activate. Lines prefixed
      // "[Extension Host]" were printed already; ENOTFOUND etc. is the closed network.
      const relevant = errors.filter((m) => !/^\[Extension Host\]|ENOTFOUND|ERR_NAME_NOT_RESOLVED|authentication provider/.test(m));
      if (relevant.length) log('errors logged by the workbench:\n  ' + relevant.join('\n  '));
    }
  } finally {
    extLog.stop();
    if (browser) await browser.close().catch(() => {});
    await server.stop();
    if (!args.keep && exitCode === 0) fs.rmSync(runDir, { recursive: true, force: true });
    else log(`run files kept in ${runDir}`);
  }
  return exitCode;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error('[harness] ERROR:', e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
