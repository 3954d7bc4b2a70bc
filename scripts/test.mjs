// `npm test`: set-up, build, typecheck, lint, then every test tier; prints one summary line
// "N passed, N failed[, N skipped]" summed over the tiers and exits non-zero on any failure or
// harness error.
//   --unit           only the plain-Node tier (no VS Code)
//   --server         only the llama-server tier (a real llama-server, built once from node-llama-cpp's
//                    llama.cpp bundle into .vscode-test/llama-server: ~10 CPU-minutes the first time)
//   --integration    only the VS Code tier
//   --e2e            only the end-to-end tier (npm start and the packaged .vsix, driven in Chromium)
//   MOCHA_GREP=...   filter tests by title in every tier
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mustRun, npx, run } from './run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const argv = process.argv.slice(2);
const only = ['unit', 'server', 'integration', 'e2e'].find((t) => argv.includes(`--${t}`));
const resultsDir = path.join(root, 'test-output', 'results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const step = (s) => console.log(`\n=== ${s} (${secs()})`);
const tiers = [];
const errors = [];

async function tier(name, cmd, args, env = {}) {
  step(`${name} tests`);
  const resultFile = path.join(resultsDir, `${name}.json`);
  const code = await run(cmd, args, { env: { ...process.env, ...env, TOKENSCOPE_TEST_RESULT: resultFile } });
  let r;
  if (existsSync(resultFile)) {
    r = JSON.parse(readFileSync(resultFile, 'utf8'));
  }
  if (!r) {
    errors.push(`${name} tier: no results (exit code ${code}); the runner or its harness failed`);
    r = { passed: 0, failed: 0, skipped: 0, failures: [] };
  } else if (code !== 0 && r.failed === 0) {
    errors.push(`${name} tier: exit code ${code} with no failed test`);
  }
  tiers.push({ name, ...r });
}

try {
  if (only !== 'unit' && only !== 'server') {
    step('harness set-up');
    await mustRun('bash', ['test/harness/setup.sh']);
  }
  if (only !== 'unit' && only !== 'e2e') {
    // the llama-server tier and the VS Code tier's llama-server tests; built once (~10 CPU-minutes)
    step('llama-server (built once from node-llama-cpp\'s llama.cpp source)');
    await mustRun('bash', ['test/harness/llamaServer.sh']);
  }
  step('build');
  await mustRun('node', ['esbuild.mjs']);
  step('typecheck + compile tests');
  rmSync('out', { recursive: true, force: true });
  await mustRun(npx('tsc'), ['-p', '.']);
  step('lint');
  await mustRun(npx('eslint'), ['--max-warnings=0', '.']);
  if (!only || only === 'unit') {
    await tier('unit', 'node', ['out/test/unit/index.js']);
  }
  if (!only || only === 'server') {
    await tier('server', 'node', ['out/test/server/index.js']);
  }
  if (!only || only === 'integration') {
    await tier('integration', 'node', ['scripts/runIntegration.mjs']);
  }
  if (!only || only === 'e2e') {
    await tier('e2e', 'node', ['out/test/e2e/index.js']);
  }
} catch (e) {
  errors.push(e instanceof Error ? e.message : String(e));
}

const sum = (k) => tiers.reduce((n, t) => n + t[k], 0);
console.log(`\n=== summary (${secs()})`);
for (const t of tiers) {
  console.log(`  ${t.name}: ${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ''}`);
  for (const f of t.failures) console.log(`    ✗ ${f.title}: ${f.error.split('\n')[0]}`);
}
for (const e of errors) console.log(`  ERROR: ${e}`);
const skipped = sum('skipped');
console.log(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(sum('failed') > 0 || errors.length > 0 ? 1 : 0);
