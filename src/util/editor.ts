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

const REPORT_SCHEME = 'tokenscope-report';
/** Report texts by URI path, served read-only by the provider registerReportDocuments installs. */
const reports = new Map<string, string>();
/** Tells VS Code a report changed; exists while the provider is registered. */
let reportChanged: vscode.EventEmitter<vscode.Uri> | undefined;

/**
 * The read-only `tokenscope-report:` documents that reports open as: never dirty, nothing to save
 * or lose on close, and the same URI per report, so a report opened again replaces the last one.
 */
export function registerReportDocuments(): vscode.Disposable {
  const changed = (reportChanged = new vscode.EventEmitter<vscode.Uri>());
  return vscode.Disposable.from(
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, { onDidChange: changed.event, provideTextDocumentContent: (uri) => reports.get(uri.path) ?? '' }),
    changed,
    {
      dispose: () => {
        reports.clear();
        if (reportChanged === changed) reportChanged = undefined;
      },
    },
  );
}

/**
 * Shows a Markdown report (`title` names its tab) rendered by VS Code's Markdown preview, beside
 * nothing and over nothing the user typed; as the read-only Markdown source where the preview is
 * unavailable (the built-in Markdown extension disabled).
 */
export async function openMarkdown(content: string, title: string): Promise<void> {
  const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${title}.md` });
  reports.set(uri.path, content);
  reportChanged?.fire(uri);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
  }
}
