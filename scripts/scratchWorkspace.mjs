// A scratch copy of the sample workspace (test/fixtures/workspace), so that nothing a run does —
// "Select Encoding… for this workspace" writes .vscode/settings.json, tests edit and save files —
// ever touches the tracked fixture, and `npm start` and the test tiers never share one folder.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURE_WORKSPACE = path.join(ROOT, 'test', 'fixtures', 'workspace');
const SCRATCH = path.join(ROOT, '.vscode-test', 'workspaces');

/**
 * The folder for `name`: a fresh copy (`fresh`: a test run) or one kept between runs (`npm start`:
 * the user's settings and edits survive restarts; delete the folder to start over).
 * @param {string} name
 * @param {{ fresh: boolean }} options
 */
export function scratchWorkspace(name, { fresh }) {
  const dir = path.join(SCRATCH, name);
  if (fresh) rmSync(dir, { recursive: true, force: true });
  if (!existsSync(dir)) {
    mkdirSync(SCRATCH, { recursive: true });
    cpSync(FIXTURE_WORKSPACE, dir, { recursive: true });
  }
  return dir;
}

// CLI: `node scripts/scratchWorkspace.mjs <name>` prints a fresh copy's path (for the TypeScript harnesses).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(scratchWorkspace(process.argv[2] ?? 'test', { fresh: true }));
}
