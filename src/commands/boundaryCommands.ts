import * as vscode from 'vscode';
import type { TokenBoundaries } from '../features/tokenBoundaries/tokenBoundaries';
import { COMMAND_TOGGLE_BOUNDARIES, COMMAND_TOGGLE_BOUNDARIES_GLOBALLY } from './commandIds';

/**
 * "Toggle Token Boundaries in This Editor" (this document only, until it is closed) and
 * "… Everywhere" (flips `tokenscope.boundaries.enabled` in the user settings and drops per-document
 * toggles so that every editor follows it).
 */
export function register(boundaries: TokenBoundaries): vscode.Disposable {
  const one = vscode.commands.registerCommand(COMMAND_TOGGLE_BOUNDARIES, (): boolean | undefined => {
    const doc = vscode.window.activeTextEditor?.document;
    return doc ? boundaries.toggle(doc) : undefined;
  });
  const all = vscode.commands.registerCommand(COMMAND_TOGGLE_BOUNDARIES_GLOBALLY, async (): Promise<boolean> => {
    const c = vscode.workspace.getConfiguration('tokenscope');
    const next = !(c.get<boolean>('boundaries.enabled') ?? false);
    boundaries.clearOverrides();
    await c.update('boundaries.enabled', next, vscode.ConfigurationTarget.Global);
    return next;
  });
  return vscode.Disposable.from(one, all);
}
