import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TokenscopeApi } from '../../src/extension';

export const EXTENSION_ID = 'tokenscope.tokenscope';
/** Repository root (this file runs from out/test/integration). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const TEST_OUTPUT = path.join(REPO_ROOT, 'test-output');

export async function activateExtension(): Promise<TokenscopeApi> {
  const ext = vscode.extensions.getExtension<TokenscopeApi>(EXTENSION_ID);
  if (!ext) {
    throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  }
  return ext.activate();
}

/** Polls `probe` until it returns a value other than undefined; fails with the last value seen. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    throw new Error('the integration tests need the fixture workspace open');
  }
  return vscode.Uri.joinPath(folder.uri, name);
}

/**
 * Asks the code-server harness for a screenshot of the whole workbench page (the line below is
 * read from the extension host's console) and waits for the file. Returns undefined outside the
 * harness (e.g. desktop VS Code through @vscode/test-electron), where nobody takes screenshots.
 */
export async function screenshot(name: string): Promise<string | undefined> {
  if (!process.env.HARNESS_RUN_DIR) {
    console.log(`[screenshot] ${name}: not available outside the code-server harness`);
    return undefined;
  }
  fs.mkdirSync(TEST_OUTPUT, { recursive: true });
  const file = path.join(TEST_OUTPUT, `${name}.png`);
  fs.rmSync(file, { force: true });
  // Let the workbench paint what the test just changed.
  await new Promise((r) => setTimeout(r, 500));
  console.log(`##harness-screenshot ${file}`);
  await waitFor(`screenshot ${file}`, () => (fs.existsSync(file) ? true : undefined), 15000);
  return file;
}

/**
 * Removes a scratch directory a test wrote. VS Code can still be writing beside a file it just
 * closed (the 3 MB test saw ENOTEMPTY in CI: an entry appeared while rmSync recursed), so removal
 * retries, and a directory that still resists is left to the harness, which deletes its run
 * directory: cleaning up is not what the test asserts.
 */
export function removeScratchDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (err) {
    console.warn(`[cleanup] left ${dir}: ${(err as Error).message}`);
  }
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * Opens a new untitled document with `content`. VS Code names untitled documents Untitled-1, -2, …
 * and reuses a name once its editor closes, and the document we get back can be an old one under
 * that name: one the extension host has not dropped yet, or one VS Code restored from a backup of a
 * large dirty document that was still being written when that document was reverted. Either way it
 * is shown, reverted (which also discards its backup) and closed, and we ask again.
 */
export async function openUntitled(options: { language?: string; content: string }): Promise<vscode.TextDocument> {
  for (let attempt = 0; ; attempt++) {
    const doc = await vscode.workspace.openTextDocument(options);
    if (doc.getText() === options.content || attempt === 5) return doc;
    console.log(`[helpers] ${doc.uri.toString()} came back with ${doc.getText().length} characters of an older document: reverting it`);
    await vscode.window.showTextDocument(doc);
    await closeActive(doc);
  }
}

/**
 * Reverts and closes the active editor; for an untitled document, waits until the extension host
 * has dropped it, so that the next untitled document does not get it back (see openUntitled).
 */
export async function closeActive(doc?: vscode.TextDocument): Promise<void> {
  const active = doc ?? vscode.window.activeTextEditor?.document;
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  if (active?.isUntitled) await waitFor(`${active.uri.toString()} closed`, () => (active.isClosed ? true : undefined));
}
