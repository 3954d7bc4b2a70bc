import { runMochaTests } from '../mochaRunner';

/** Called by VS Code's extension host with the test runner API: reject = failure exit code. */
export async function run(): Promise<void> {
  const r = await runMochaTests(__dirname, { timeout: 60000, slow: 5000 });
  if (r.failed > 0) {
    throw new Error(`${r.failed} integration test(s) failed`);
  }
}
