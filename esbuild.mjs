// Bundles the extension into dist/extension.js (CommonJS, `vscode` external), writes the rank
// tables (dist/ranks) and puts tiktoken's WASM beside it (tiktoken.cjs reads `${__dirname}/tiktoken_bg.wasm`, and inside the bundle
// __dirname is dist/).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildRankFiles } from './scripts/buildRanks.mjs';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

mkdirSync('dist', { recursive: true });
copyFileSync(require.resolve('tiktoken/tiktoken_bg.wasm'), 'dist/tiktoken_bg.wasm');
// Rank tables of the fast tokenizer, derived from tiktoken's own data (dist/ranks/*.tkr).
buildRankFiles('dist/ranks');

const ctx = await esbuild.context({
  // Workers and child processes: whole-document tokenization, llama.cpp inference, the under-trained
  // token analysis — all off the extension host thread.
  entryPoints: {
    extension: 'src/extension.ts',
    tokenizeWorker: 'src/core/tokenizer/tokenizeWorker.ts',
    localWorker: 'src/core/backend/local/localWorker.ts',
    modelAnalysisProcess: 'src/core/glitch/modelAnalysisProcess.ts',
  },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  // node-llama-cpp is ESM-only and ships native binaries: load it with import() at run time.
  external: ['vscode', 'node-llama-cpp'],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
});
if (watch) {
  await ctx.watch();
  console.log('[esbuild] watching');
} else {
  await ctx.rebuild();
  await ctx.dispose();
}
