import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { get_encoding } from 'tiktoken';
import type { Browser } from 'playwright-core';
import { REPO_ROOT, TEST_OUTPUT, WORKSPACE, harness, openFile, runCommand, tokenCountText, type CodeServer } from './harness';

/** What the .vsix may contain (paths inside extension/); everything else is a packaging bug. */
const ALLOWED = [
  /^package\.json$/,
  /^readme\.md$/i,
  /^changelog\.md$/i,
  /^LICENSE(\.txt)?$/,
  /^dist\/(extension|tokenizeWorker|localWorker|modelAnalysisProcess)\.js$/,
  /^dist\/ranks\/[a-z0-9_]+\.tkr$/,
  /^dist\/tiktoken_bg\.wasm$/,
  // llama.cpp's runtime for the engine process (see scripts/package.mjs): no sources, no types, one platform
  /^dist\/node_modules\/(?!.*\.d\.ts$)(?!.*\.map$)(?!node-llama-cpp\/llama\/gitRelease\.bundle$)(?!@node-llama-cpp\/(?!linux-x64\/)).+/,
  /^media\/[^/]+\.(png|svg|css|js)$/,
  /^media\/models\/tokenscope-fim-tiny\.gguf$/,
  /^syntaxes\//,
];

function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  });
}

describe('packaged .vsix', () => {
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let runDir: string | undefined;
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
  });

  it('contains only what runs, installs into code-server and activates', async () => {
    runDir = harness.makeRunDir('vsix-');
    const vsix = path.join(runDir, 'tokenscope.vsix');
    try {
      execFileSync('node', ['scripts/package.mjs', '--out', vsix], { cwd: REPO_ROOT, stdio: 'pipe' });
    } catch (e) {
      const x = e as { stdout?: Buffer; stderr?: Buffer };
      assert.fail(`npm run package failed:\n${String(x.stdout)}\n${String(x.stderr)}`);
    }
    const size = fs.statSync(vsix).size;
    // the shipped model (≤ 25 MB) and llama.cpp's prebuilt engine for one platform dominate
    assert.ok(size < 48 * 1024 * 1024, `vsix is ${size} bytes`);

    const install = await harness.runCodeServerCli(runDir, ['--install-extension', vsix]);
    assert.strictEqual(install.code, 0, install.output);
    const installed = fs.readdirSync(path.join(runDir, 'extensions')).find((d) => d.startsWith('tokenscope.tokenscope-'));
    assert.ok(installed, `not installed:\n${install.output}`);
    const files = listFiles(path.join(runDir, 'extensions', installed)).filter((f) => f !== '.vsixmanifest');
    const unexpected = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
    assert.deepStrictEqual(unexpected, [], `unexpected files in the .vsix: ${unexpected.join(', ')}`);
    for (const needed of [
      'package.json',
      'dist/extension.js',
      'dist/tokenizeWorker.js',
      'dist/localWorker.js',
      'dist/node_modules/node-llama-cpp/package.json',
      'dist/node_modules/@node-llama-cpp/linux-x64/package.json',
      'media/models/tokenscope-fim-tiny.gguf',
      'dist/ranks/o200k_base.tkr',
      'dist/tiktoken_bg.wasm',
    ]) {
      assert.ok(files.includes(needed), `${needed} missing from the .vsix`);
    }

    // A normal start (no development payload): the installed copy must activate on its own.
    server = await harness.startCodeServer({ runDir, smokeTestDriver: false });
    browser = await harness.launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(harness.workbenchUrl({ authority: server.authority, folder: WORKSPACE }));
    await openFile(page, 'hello.ts');
    const enc = get_encoding('o200k_base');
    const expected = enc.encode_ordinary(fs.readFileSync(path.join(WORKSPACE, 'hello.ts'), 'utf8')).length;
    enc.free();
    assert.strictEqual(await tokenCountText(page), `${expected} tokens`);

    // The installed copy's own llama.cpp runtime (dist/node_modules) runs the shipped model.
    const backend = page.locator('[id="tokenscope.tokenscope.tokenscope.backend"]');
    await backend.locator('text=/tokenscope-fim-tiny/').waitFor({ timeout: 30000 });
    await runCommand(page, 'Tokenscope: Test Completion Backend');
    await page.locator('.notifications-toasts', { hasText: /Completion \(\d+ ms/ }).waitFor({ timeout: 60000 });
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'vsix-installed.png') });
  });
});
