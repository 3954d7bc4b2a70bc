import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { get_encoding } from 'tiktoken';
import type { Browser } from 'playwright-core';
import { REPO_ROOT, TEST_OUTPUT, WORKSPACE, harness, openFile, tokenCountText } from './harness';

function expectedHelloCount(): number {
  const enc = get_encoding('o200k_base');
  try {
    return enc.encode_ordinary(fs.readFileSync(path.join(WORKSPACE, 'hello.ts'), 'utf8')).length;
  } finally {
    enc.free();
  }
}

describe('npm start', () => {
  let proc: ChildProcess | undefined;
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    // a failed test leaves `npm start` running: SIGINT lets it stop code-server's whole process
    // group (SIGKILL would take only the launcher); SIGKILL only if it does not exit
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc?.once('exit', () => r()));
      proc.kill('SIGINT');
      const late = setTimeout(() => proc?.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(late);
    }
  });

  it('serves a VS Code whose status bar shows the token count, and stops cleanly on SIGINT', async () => {
    // Port 0: any free port, so that a developer's running `npm start` does not collide.
    // its own copy of the workspace and its own user data: never a developer's `npm start` state
    const args = [path.join(REPO_ROOT, 'scripts/start.mjs'), '--port=0', `--folder=${WORKSPACE}`, `--data=${harness.makeRunDir('e2e-start')}`];
    proc = spawn('node', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?\S+)/.exec(out);
        if (m?.[1]) {
          clearInterval(t);
          resolve(m[1]);
        } else if (proc?.exitCode !== null) {
          clearInterval(t);
          reject(new Error(`npm start exited early:\n${out}`));
        }
      }, 100);
    });
    browser = await harness.launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url);
    await openFile(page, 'hello.ts');
    const text = await tokenCountText(page);
    assert.strictEqual(text, `${expectedHelloCount()} tokens`);
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'npm-start.png') });

    const exited = new Promise<number | null>((r) => proc?.on('exit', (code) => r(code)));
    proc.kill('SIGINT');
    assert.strictEqual(await exited, 0, out);
    // code-server's process group went with it: the port no longer answers.
    const port = /127\.0\.0\.1:(\d+)/.exec(url)?.[1];
    const alive = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    assert.strictEqual(alive, false, 'code-server still answers after npm start stopped');
  });
});
