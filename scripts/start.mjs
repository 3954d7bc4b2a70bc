// `npm start`: set-up (first run only), build, then open a real VS Code with Tokenscope loaded as a
// development extension on the sample workspace.
//   - code-server (VS Code's server + web workbench) on 127.0.0.1; open the printed URL in a browser.
//   - With a desktop `code` on PATH and --desktop, that is used instead.
// Options: --port=N (default 3789, another free port if taken), --folder=/abs/path (default: a copy
// of the sample workspace kept in .vscode-test/workspaces/start), --data=/abs/path (code-server's
// user data; default .vscode-test/harness/start, kept between runs), --desktop.
// Stops on Ctrl+C (SIGINT) or SIGTERM and takes code-server's whole process group with it.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mustRun } from './run.mjs';
import { scratchWorkspace } from './scratchWorkspace.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
// the sample workspace as a copy kept between runs, never the tracked fixture itself
const folder = path.resolve(opt('folder') ?? scratchWorkspace('start', { fresh: false }));

await mustRun('node', [path.join(root, 'esbuild.mjs')], { cwd: root });

if (process.argv.includes('--desktop')) {
  execFileSync('code', [`--extensionDevelopmentPath=${root}`, folder], { stdio: 'inherit' });
  process.exit(0);
}

await mustRun('bash', [path.join(root, 'test/harness/setup.sh')]);
const { startCodeServer, workbenchUrl, HARNESS_DIR } = require('../test/harness/codeServer.js');
// One persistent folder: settings and open editors survive restarts of `npm start` (the tests pass
// their own, so they never see a developer's settings).
const runDir = path.resolve(opt('data') ?? path.join(HARNESS_DIR, 'start'));
mkdirSync(runDir, { recursive: true });
const server = await startCodeServer({ runDir, port: Number(opt('port') ?? 3789) });
const url = workbenchUrl({ authority: server.authority, folder, extensionDevelopmentPaths: [root] });
console.log(`\nTokenscope is running in VS Code (code-server ${server.authority}). Open:\n\n  ${url}\n\nCtrl+C stops it. Log: ${server.logFile}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const watchdog = setInterval(() => {
  if (server.exited && !stopping) {
    console.error(`code-server exited; see ${server.logFile}`);
    clearInterval(watchdog);
    process.exit(1);
  }
}, 500);
