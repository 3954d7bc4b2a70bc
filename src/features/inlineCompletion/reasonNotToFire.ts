import * as vscode from 'vscode';
import type { InlineCompletionSettings } from '../../configuration';

/**
 * Cheap reasons not to ask the model at all, checked before anything else on each request. The
 * reason goes to the log (debug) and the status tooltip: a suggestion that does not come is never
 * silent.
 */
export function reasonNotToFire(
  document: vscode.TextDocument,
  editor: vscode.TextEditor | undefined,
  settings: InlineCompletionSettings,
  backend: { readonly kind: string; readonly canServe: boolean },
): string | undefined {
  if (!settings.enabled) return `completions are off for ${document.languageId} (tokenscope.completion.enabled)`;
  if (backend.kind === 'off') return 'the completion backend is off (tokenscope.completion.backend)';
  if (!backend.canServe) return 'the completion backend cannot serve (see its status)';
  if (!vscode.workspace.isTrusted && backend.kind !== 'local') return 'untrusted workspace: its code is not sent to a remote server';
  if (editor && editor.document === document) {
    if (editor.selections.length > 1) return 'several cursors';
    if (!editor.selection.isEmpty) return 'a selection';
  }
  const excluded = settings.exclude.find((g) => vscode.languages.match({ pattern: g }, document) > 0);
  if (excluded) return `excluded by ${excluded} (tokenscope.completion.exclude)`;
  return undefined;
}
