import { execFileSync } from 'child_process';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';

/** Types of test/harness/codeServer.js (plain JS so that it runs before the build). */
export interface CodeServer {
  readonly authority: string;
  readonly logFile: string;
  readonly exited: boolean;
  stop(): Promise<void>;
}
interface HarnessModule {
  HARNESS_DIR: string;
  makeRunDir(prefix?: string): string;
  startCodeServer(o: { runDir: string; port?: number; smokeTestDriver?: boolean }): Promise<CodeServer>;
  runCodeServerCli(runDir: string, args: string[]): Promise<{ code: number | null; output: string }>;
  workbenchUrl(o: { authority: string; folder?: string; extensionDevelopmentPaths?: string[] }): string;
  launchBrowser(): Promise<Browser>;
}

export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** A fresh copy of the sample workspace for this run (scripts/scratchWorkspace.mjs): the tracked fixture is never opened. */
export const WORKSPACE = execFileSync('node', [path.join(REPO_ROOT, 'scripts', 'scratchWorkspace.mjs'), 'e2e'], { encoding: 'utf8' }).trim();
export const TEST_OUTPUT = path.join(REPO_ROOT, 'test-output');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const harness = require(path.join(REPO_ROOT, 'test/harness/codeServer.js')) as HarnessModule;

/** Opens a workspace file through Quick Open, as a user would. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  // The explorer shows the folder once the workbench has connected to the server.
  await page.locator('.explorer-folders-view').waitFor({ timeout: 60000 });
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').waitFor({ timeout: 10000 });
  await page.keyboard.type(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

/** Runs a command through the command palette, as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

/** The text of Tokenscope's status-bar item (its DOM id is `<extension id>.<item id>`). */
export async function tokenCountText(page: Page): Promise<string> {
  const item = page.locator('[id="tokenscope.tokenscope.tokenscope.tokenCount"]');
  await item.locator('text=/\\d+ tokens/').waitFor({ timeout: 60000 });
  // "98 tokens · o200k · 3.1 ch/t": the count is what the tests compare
  return (await item.innerText()).trim().replace(/ ·.*$/, '');
}
