// `npm run package [-- --out file.vsix] [-- --target linux-x64]`: production bundle, the llama.cpp
// runtime staged into dist/node_modules, then vsce.
//
// The extension's own code and tiktoken are bundled by esbuild. node-llama-cpp cannot be: it is
// ESM, finds its native addon through package resolution (@node-llama-cpp/<platform>), and loads
// it at run time. So the engine process (dist/localWorker.js) resolves it from dist/node_modules,
// which holds node-llama-cpp, its production dependencies and the one prebuilt binary package of
// the target platform; the .vsix is platform-specific (vsce --target). llama.cpp's source bundle
// (llama/gitRelease.bundle, 34 MB, only for building from source) stays out.
//
// The README's relative image links are left as they are (--no-rewrite-relative-links): the
// project has no public repository URL for vsce to rewrite them against.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mustRun, npx } from './run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const out = path.resolve(arg('--out', 'tokenscope.vsix'));
// VS Code target names; node-llama-cpp's binary packages use its own platform names.
const target = arg('--target', `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`);
const BINARY_PACKAGE = {
  'linux-x64': '@node-llama-cpp/linux-x64',
  'linux-arm64': '@node-llama-cpp/linux-arm64',
  'linux-armhf': '@node-llama-cpp/linux-armv7l',
  'darwin-arm64': '@node-llama-cpp/mac-arm64-metal',
  'darwin-x64': '@node-llama-cpp/mac-x64',
  'win32-x64': '@node-llama-cpp/win-x64',
  'win32-arm64': '@node-llama-cpp/win-arm64',
};
const binaryPackage = BINARY_PACKAGE[target];
if (!binaryPackage) throw new Error(`no llama.cpp binary package for target ${target}`);

const nodeModules = path.join(root, 'node_modules');
const staged = path.join(root, 'dist', 'node_modules');

/** Node's resolution: the nearest node_modules/<name> from `fromDir` upwards, inside the project. */
function resolvePackage(fromDir, name) {
  for (let dir = fromDir; dir.startsWith(root); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root) break;
  }
  return undefined;
}

/** Package directories of `start` and its production dependencies (their node_modules layout kept). */
function closure(start) {
  const seen = new Set();
  const visit = (dir) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pj.dependencies ?? {})) {
      const d = resolvePackage(dir, dep);
      if (!d) throw new Error(`${pj.name}: dependency ${dep} is not installed`);
      visit(d);
    }
  };
  visit(start);
  return seen;
}

await mustRun('node', ['esbuild.mjs', '--production']);

fs.rmSync(staged, { recursive: true, force: true });
const binaryDir = path.join(nodeModules, binaryPackage);
if (!fs.existsSync(path.join(binaryDir, 'package.json'))) throw new Error(`${binaryPackage} is not installed (npm install on a ${target} machine, or npm install --force ${binaryPackage})`);
const packages = new Set([...closure(path.join(nodeModules, 'node-llama-cpp')), binaryDir]);
let bytes = 0;
for (const dir of packages) {
  const rel = path.relative(nodeModules, dir);
  fs.cpSync(dir, path.join(staged, rel), {
    recursive: true,
    dereference: true,
    filter: (src) => {
      const r = path.relative(dir, src);
      // nested node_modules are packages of their own (copied when in the closure); sources for
      // building llama.cpp are not needed with prebuilt binaries
      if (r.split(path.sep)[0] === 'node_modules') return false;
      if (dir.endsWith(`${path.sep}node-llama-cpp`) && (r === path.join('llama', 'gitRelease.bundle') || r.startsWith(path.join('llama', 'llama.cpp')))) return false;
      const st = fs.statSync(src);
      if (st.isFile()) {
        // type declarations and source maps are for developers, not for the running engine
        if (/\.(d\.[mc]?ts|map)$/.test(src)) return false;
        bytes += st.size;
      }
      return true;
    },
  });
}
console.log(`[package] staged ${packages.size} packages for llama.cpp (${(bytes / 1e6).toFixed(1)} MB, ${binaryPackage}) in dist/node_modules`);

try {
  // vsce runs `vscode:prepublish` (the same production build) itself; it is idempotent and keeps dist/node_modules.
  await mustRun(npx('vsce'), ['package', '--no-dependencies', '--no-rewrite-relative-links', '--target', target, '--out', out]);
} finally {
  // Development runs resolve node-llama-cpp from the project's node_modules; keep dist lean.
  fs.rmSync(staged, { recursive: true, force: true });
}
