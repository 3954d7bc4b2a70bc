// Small process helpers shared by the project's scripts.
import { spawn } from 'node:child_process';

/** Runs a command with inherited stdio; resolves to its exit code (never rejects on failure codes). */
export function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'inherit', ...options });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs a command and throws when it fails. */
export async function mustRun(cmd, args, options = {}) {
  const code = await run(cmd, args, options);
  if (code !== 0) {
    throw new Error(`${[cmd, ...args].join(' ')} exited with ${code}`);
  }
}

export const npx = (bin) => `node_modules/.bin/${bin}`;
