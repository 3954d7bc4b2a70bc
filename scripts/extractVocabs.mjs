// Extracts llama.cpp's vocab-only GGUF files and their tokenization vectors
// (models/ggml-vocab-*) from the git bundle shipped inside node-llama-cpp into
// .vscode-test/vocabs/ (git-ignored). Used by the GGUF tokenizer tests.
//
//   node scripts/extractVocabs.mjs [--force]
//
// Idempotent: a stamp file records the bundle's size and mtime plus the extracted file list, so a
// second run only stats files (a few ms). A fresh extraction takes about a second (one `git fetch`
// of the bundle, one `git cat-file --batch` for all blobs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_BUNDLE = path.join(ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
export const DEFAULT_OUT_DIR = path.join(ROOT, '.vscode-test', 'vocabs');
const STAMP = '.extracted.json';
const VOCAB_PATH = /^models\/ggml-vocab-[^/]+$/;

function git(args, cwd, input) {
  try {
    return execFileSync('git', args, { cwd, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    if (e && e.code === 'ENOENT') throw new Error('extractVocabs: `git` was not found on PATH; it is needed to read the llama.cpp bundle');
    const stderr = e && e.stderr ? String(e.stderr).trim() : '';
    throw new Error(`extractVocabs: git ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

/**
 * Splits `git cat-file --batch` output: per object "<sha> <type> <size>\n<content>\n".
 * @param {Buffer} out
 * @returns {Buffer[]}
 */
function splitBatch(out) {
  const blobs = [];
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf(0x0a, at);
    const header = out.toString('latin1', at, nl).split(' ');
    if (header[1] === 'missing' || header.length < 3) throw new Error(`extractVocabs: git cat-file: ${header.join(' ')}`);
    const size = Number(header[2]);
    blobs.push(out.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return blobs;
}

/**
 * Ensures every models/ggml-vocab-* file of the bundle is present in `outDir`.
 * @param {{ bundle?: string, outDir?: string, force?: boolean }} [options]
 * @returns {{ dir: string, files: string[], extracted: boolean }} files: base names, sorted
 */
export function extractVocabs(options = {}) {
  const bundle = options.bundle ?? DEFAULT_BUNDLE;
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  if (!existsSync(bundle)) {
    throw new Error(`extractVocabs: llama.cpp bundle not found at ${bundle} (is node-llama-cpp installed? run npm ci)`);
  }
  const st = statSync(bundle);
  const key = { bundleSize: st.size, bundleMtimeMs: Math.trunc(st.mtimeMs) };
  const stampFile = path.join(outDir, STAMP);
  if (!options.force && existsSync(stampFile)) {
    try {
      const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
      if (
        stamp.bundleSize === key.bundleSize &&
        stamp.bundleMtimeMs === key.bundleMtimeMs &&
        Array.isArray(stamp.files) &&
        stamp.files.every((f) => existsSync(path.join(outDir, f)))
      ) {
        return { dir: outDir, files: stamp.files, extracted: false };
      }
    } catch {
      // unreadable stamp: extract again
    }
  }

  mkdirSync(outDir, { recursive: true });
  const repo = mkdtempSync(path.join(os.tmpdir(), 'tokenscope-vocabs-'));
  try {
    git(['init', '-q'], repo);
    git(['fetch', '-q', bundle, 'HEAD'], repo);
    const listing = git(['ls-tree', '-r', '--name-only', 'FETCH_HEAD', 'models/'], repo).toString('utf8');
    const paths = listing.split('\n').filter((p) => VOCAB_PATH.test(p)).sort();
    if (paths.length === 0) throw new Error('extractVocabs: the bundle has no models/ggml-vocab-* files');
    const blobs = splitBatch(git(['cat-file', '--batch'], repo, paths.map((p) => `FETCH_HEAD:${p}\n`).join('')));
    const files = [];
    paths.forEach((p, i) => {
      const name = path.basename(p);
      const dest = path.join(outDir, name);
      const tmp = `${dest}.tmp-${process.pid}`;
      writeFileSync(tmp, blobs[i]);
      renameSync(tmp, dest); // atomic: a concurrent reader never sees a half-written file
      files.push(name);
    });
    writeFileSync(stampFile, JSON.stringify({ ...key, files }, null, 1));
    return { dir: outDir, files, extracted: true };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const t0 = performance.now();
    const r = extractVocabs({ force: process.argv.includes('--force') });
    const ms = (performance.now() - t0).toFixed(0);
    console.log(`${r.extracted ? 'extracted' : 'up to date:'} ${r.files.length} files in ${path.relative(process.cwd(), r.dir) || r.dir} (${ms} ms)`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
