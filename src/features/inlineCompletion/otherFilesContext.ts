import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { indexFile, lineCommentOf, queryOf, similarSnippets, snippetHeader, type IndexedFile } from '../../core/completion/otherFiles';

/** Files looked at, most recently active first (the user's working set). */
const MAX_FILES = 8;
/** Windows of other files handed to prompt lookup per request (16 lines each: a few KB to tokenize). */
const LOOKUP_WINDOWS = 4;
/** Larger documents are skipped: indexing them would cost more than a keystroke should (~1 ms per 20K chars). */
const MAX_FILE_CHARS = 512 * 1024;

/**
 * Snippets of other open files for the prompt (core/completion/otherFiles.ts): documents of the
 * same language, most recently active first, each indexed once per version.
 */
export class OtherFilesContext extends Disposable {
  /** Document URIs, most recently active first. */
  private recent: string[] = [];
  private readonly indexed = new Map<string, { version: number; file: IndexedFile }>();

  constructor() {
    super();
    this._register(vscode.window.onDidChangeActiveTextEditor((e) => e && this.touch(e.document)));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri.toString())));
    if (vscode.window.activeTextEditor) this.touch(vscode.window.activeTextEditor.document);
  }

  /** The header for a request in `document` with `prefix` before the cursor, within `budgetTokens`. */
  headerFor(document: vscode.TextDocument, prefix: string, budgetTokens: number, countTokens: (s: string) => number): string {
    if (budgetTokens <= 0) return '';
    const files = this.candidates(document).map((d) => this.indexOf(d));
    const comment = lineCommentOf(document.languageId);
    return snippetHeader(similarSnippets(queryOf(prefix), files, budgetTokens, countTokens, comment), comment);
  }

  /**
   * The windows of other open files most similar to the code above the cursor, whatever the prompt
   * budget: text prompt lookup may copy from while speculating (the drafts come from it, the model
   * still decides every token).
   */
  lookupSourcesFor(document: vscode.TextDocument, prefix: string, count = LOOKUP_WINDOWS): string[] {
    const files = this.candidates(document).map((d) => this.indexOf(d));
    return similarSnippets(queryOf(prefix), files, Number.MAX_SAFE_INTEGER, () => 0, '')
      .slice(0, count)
      .map((s) => s.text);
  }

  private candidates(document: vscode.TextDocument): vscode.TextDocument[] {
    const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
    const out: vscode.TextDocument[] = [];
    for (const uri of this.recent) {
      const d = open.get(uri);
      if (!d || d === document || d.languageId !== document.languageId || d.getText().length > MAX_FILE_CHARS) continue;
      if (d.uri.scheme !== 'file' && d.uri.scheme !== 'untitled') continue;
      out.push(d);
      if (out.length >= MAX_FILES) break;
    }
    return out;
  }

  private indexOf(d: vscode.TextDocument): IndexedFile {
    const key = d.uri.toString();
    const hit = this.indexed.get(key);
    if (hit && hit.version === d.version) return hit.file;
    const file = indexFile({ name: vscode.workspace.asRelativePath(d.uri), text: d.getText() });
    this.indexed.set(key, { version: d.version, file });
    return file;
  }

  private touch(d: vscode.TextDocument): void {
    const key = d.uri.toString();
    this.recent = [key, ...this.recent.filter((u) => u !== key)].slice(0, 4 * MAX_FILES);
  }

  private forget(uri: string): void {
    this.recent = this.recent.filter((u) => u !== uri);
    this.indexed.delete(uri);
  }
}
