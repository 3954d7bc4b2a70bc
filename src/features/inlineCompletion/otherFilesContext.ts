import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { indexFile, lineCommentOf, queryOf, rankSnippets, snippetHeader, withinBudget, type IndexedFile } from '../../core/completion/otherFiles';

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
  private readonly indexed = new Map<string, { version: number; file: IndexedFile | undefined }>();

  constructor() {
    super();
    this._register(vscode.window.onDidChangeActiveTextEditor((e) => e && this.touch(e.document)));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri.toString())));
    if (vscode.window.activeTextEditor) this.touch(vscode.window.activeTextEditor.document);
  }

  /**
   * For a request in `document` with `prefix` before the cursor: the header (snippets as comments,
   * within `budgetTokens`) and the windows prompt lookup may copy from while speculating (the best
   * LOOKUP_WINDOWS whatever the budget; the model still decides every token). One ranking serves
   * both; nothing is ranked when neither is wanted.
   */
  contextFor(document: vscode.TextDocument, prefix: string, budgetTokens: number, wantLookup: boolean, countTokens: (s: string) => number): { header: string; lookupSources: string[] } {
    if (budgetTokens <= 0 && !wantLookup) return { header: '', lookupSources: [] };
    const ranked = rankSnippets(queryOf(prefix), this.indexedCandidates(document));
    const comment = lineCommentOf(document.languageId);
    const header = budgetTokens > 0 ? snippetHeader(withinBudget(ranked, budgetTokens, countTokens, comment), comment) : '';
    return { header, lookupSources: wantLookup ? ranked.slice(0, LOOKUP_WINDOWS).map((s) => s.text) : [] };
  }

  /** The indexed other documents of the language, most recently active first (too large ones skipped). */
  private indexedCandidates(document: vscode.TextDocument): IndexedFile[] {
    const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
    const out: IndexedFile[] = [];
    for (const uri of this.recent) {
      const d = open.get(uri);
      if (!d || d === document || d.languageId !== document.languageId) continue;
      if (d.uri.scheme !== 'file' && d.uri.scheme !== 'untitled') continue;
      const file = this.indexOf(d);
      if (file) out.push(file);
      if (out.length >= MAX_FILES) break;
    }
    return out;
  }

  /** The document's windows, indexed once per version; undefined for a document over MAX_FILE_CHARS (decided at the same time). */
  private indexOf(d: vscode.TextDocument): IndexedFile | undefined {
    const key = d.uri.toString();
    const hit = this.indexed.get(key);
    if (hit && hit.version === d.version) return hit.file;
    const text = d.getText();
    const file = text.length > MAX_FILE_CHARS ? undefined : indexFile({ name: vscode.workspace.asRelativePath(d.uri), text });
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
