import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export interface TierResult {
  passed: number;
  failed: number;
  skipped: number;
  failures: { title: string; error: string }[];
}

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      out.push(...findTests(p));
    } else if (e.name.endsWith('.test.js')) {
      out.push(p);
    }
  }
  return out.sort();
}

/**
 * Runs every `*.test.js` under `dir` and writes the tally to $TOKENSCOPE_TEST_RESULT (JSON), which
 * scripts/test.mjs sums over the tiers. `MOCHA_GREP` filters tests by title.
 */
export async function runMochaTests(dir: string, options: { timeout: number; slow?: number }): Promise<TierResult> {
  const mocha = new Mocha({ ui: 'bdd', color: process.stdout.isTTY === true, timeout: options.timeout, slow: options.slow ?? 2000, reporter: 'spec' });
  if (process.env.MOCHA_GREP) {
    mocha.grep(process.env.MOCHA_GREP);
  }
  for (const f of findTests(dir)) {
    mocha.addFile(f);
  }
  await mocha.loadFilesAsync();
  const result: TierResult = { passed: 0, failed: 0, skipped: 0, failures: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', () => result.passed++);
    runner.on('pending', () => result.skipped++);
    runner.on('fail', (test, err: unknown) => {
      result.failed++;
      result.failures.push({ title: test.fullTitle(), error: err instanceof Error ? err.message : String(err) });
    });
  });
  if (process.env.TOKENSCOPE_TEST_RESULT) {
    fs.writeFileSync(process.env.TOKENSCOPE_TEST_RESULT, JSON.stringify(result, null, 2));
  }
  return result;
}
