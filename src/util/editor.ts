import * as vscode from 'vscode';

/**
 * The active text editor, or undefined after telling the user what the command needs
 * (`Tokenscope: open an editor to ${purpose}.`). The one preamble of editor commands.
 */
export function activeEditorFor(purpose: string): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) void vscode.window.showInformationMessage(`Tokenscope: open an editor to ${purpose}.`);
  return editor;
}

/** Non-empty selections of an editor, in the editor's order (the primary selection first). */
export function nonEmptySelections(editor: vscode.TextEditor): vscode.Selection[] {
  return editor.selections.filter((s) => !s.isEmpty);
}

/** Opens a markdown document (reports, model info); `preview` undefined follows the user's setting. */
export async function openMarkdown(content: string, preview?: boolean): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
  await vscode.window.showTextDocument(doc, preview === undefined ? undefined : { preview });
}
