import * as vscode from 'vscode';
import type { TextWindow } from '../../core/completion/context';

/** Lines read around the cursor: far more than any prompt budget, far less than a large file. */
const LINES_BEFORE = 400;
const LINES_AFTER = 200;

/**
 * The window of whole lines around `position` that the context is cut from (a keystroke reads
 * ~600 lines, never the whole document). With an item selected in the suggest widget, the window
 * holds the document as if that item were inserted: the suggestion must extend it.
 */
export function textWindowAt(document: vscode.TextDocument, position: vscode.Position, selected?: vscode.SelectedCompletionInfo): TextWindow {
  const first = Math.max(0, position.line - LINES_BEFORE);
  const last = Math.min(document.lineCount - 1, position.line + LINES_AFTER);
  const start = new vscode.Position(first, 0);
  const text = document.getText(new vscode.Range(start, document.lineAt(last).range.end));
  const base = document.offsetAt(start);
  if (!selected) return { text, offset: document.offsetAt(position) - base, firstLine: first, atDocumentStart: first === 0 };
  const a = document.offsetAt(selected.range.start) - base;
  const b = document.offsetAt(selected.range.end) - base;
  return { text: text.slice(0, a) + selected.text + text.slice(b), offset: a + selected.text.length, firstLine: first, atDocumentStart: first === 0 };
}
