// `npm run package [-- --out file.vsix]`: production bundle, then vsce. Runtime packages are bundled
// by esbuild, so the .vsix carries no node_modules (--no-dependencies). The README's relative image
// links are left as they are (--no-rewrite-relative-links): the project has no public repository
// URL for vsce to rewrite them against.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mustRun, npx } from './run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const i = process.argv.indexOf('--out');
const out = path.resolve(i >= 0 ? process.argv[i + 1] : 'tokenscope.vsix');
await mustRun('node', ['esbuild.mjs', '--production']);
// vsce runs `vscode:prepublish` (the same production build) itself; it is idempotent.
await mustRun(npx('vsce'), ['package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out]);
