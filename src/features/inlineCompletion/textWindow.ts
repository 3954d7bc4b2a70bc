import * as vscode from 'vscode';
import { charBoundary, type TextWindow } from '../../core/completion/context';

/** Lines read around the cursor: far more than any prompt budget, far less than a large file. */
const LINES_BEFORE = 400;
const LINES_AFTER = 200;
/** And at most this many UTF-16 units on each side (minified files have megabyte lines). */
const MAX_CHARS = 64 * 1024;

/**
 * The window of whole lines around `position` that the context is cut from (a keystroke reads
 * ~600 lines, never the whole document). With an item selected in the suggest widget, the window
 * holds the document as if that item were inserted: the suggestion must extend it.
 */
export function textWindowAt(document: vscode.TextDocument, position: vscode.Position, selected?: vscode.SelectedCompletionInfo): TextWindow {
  const cursorLine = document.lineAt(position.line).text;
  if (cursorLine.length > MAX_CHARS) return hugeLineWindow(document, position, cursorLine);
  let first = position.line;
  for (let chars = 0; first > 0 && position.line - first < LINES_BEFORE; first--) if ((chars += document.lineAt(first - 1).text.length + 1) > MAX_CHARS) break;
  let last = position.line;
  for (let chars = 0; last < document.lineCount - 1 && last - position.line < LINES_AFTER; last++) if ((chars += document.lineAt(last + 1).text.length + 1) > MAX_CHARS) break;
  const start = new vscode.Position(first, 0);
  const text = document.getText(new vscode.Range(start, document.lineAt(last).range.end));
  const base = document.offsetAt(start);
  if (!selected) return { text, offset: document.offsetAt(position) - base, firstLine: first, atDocumentStart: first === 0 };
  const a = document.offsetAt(selected.range.start) - base;
  const b = document.offsetAt(selected.range.end) - base;
  return { text: text.slice(0, a) + selected.text + text.slice(b), offset: a + selected.text.length, firstLine: first, atDocumentStart: first === 0 };
}

/** The cursor's line alone, cut to MAX_CHARS / 2 on each side of the cursor (no item extension: such lines are not code to complete into). */
function hugeLineWindow(document: vscode.TextDocument, position: vscode.Position, line: string): TextWindow {
  const from = charBoundary(line, Math.max(0, position.character - MAX_CHARS / 2));
  const to = Math.min(line.length, position.character + MAX_CHARS / 2);
  return { text: line.slice(from, to), offset: position.character - from, firstLine: position.line, atDocumentStart: false };
}
