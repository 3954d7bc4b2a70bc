// Runs the integration tier through @vscode/test-electron's runTests. Here its "VS Code executable"
// is test/harness/code-shim (code-server + headless Chromium); on a machine with a desktop VS Code,
// set VSCODE_EXECUTABLE_PATH to it and the same suite runs there.
import { runTests } from '@vscode/test-electron';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchWorkspace } from './scratchWorkspace.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH || path.join(root, 'test/harness/code-shim');
// one folder per run (the process id in its name), so that a benchmark's VS Code and a test run can
// work side by side without recreating each other's workspace; removed when the run ends
const workspace = scratchWorkspace(`integration-${process.pid}`, { fresh: true });
let code = 1;
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    // the compiled tests: out/ (npm test), or the benchmark's own output folder (TOKENSCOPE_OUT_DIR)
    extensionTestsPath: path.join(process.env.TOKENSCOPE_OUT_DIR || path.join(root, 'out'), 'test/integration/index.js'),
    // the run's copy of the sample workspace (the tests write settings and files in it), and the whole
    // tier's deadline (the harness's own default is 300 s): with the hostile-documents and soak
    // suites it takes ~6 min on a quiet 2-core machine and more than twice that under load
    launchArgs: [workspace, '--disable-extensions', '--timeout=2400'],
    extensionTestsEnv: { ...process.env },
  });
  code = 0;
} catch (e) {
  console.error(`[integration] ${e instanceof Error ? e.message : String(e)}`);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
process.exit(code);
