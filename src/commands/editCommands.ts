import * as vscode from 'vscode';
import { formatCount } from '../core/format/formatCount';
import { chunkEndsForTokens, prefixEndForTokens } from '../core/tokenizer/tokenOps';
import type { TokenizerRegistry } from '../core/tokenizer/tokenizerRegistry';
import type { Configuration } from '../configuration';
import { COMMAND_SPLIT_CHUNKS, COMMAND_TRUNCATE } from './commandIds';

async function askCount(title: string, given: number | undefined): Promise<number | undefined> {
  if (given !== undefined) return given;
  const v = await vscode.window.showInputBox({
    title,
    prompt: 'Number of tokens',
    validateInput: (s) => (/^\s*\d+\s*$/.test(s) && Number(s) > 0 ? undefined : 'a positive whole number'),
  });
  return v === undefined ? undefined : Number(v);
}

/**
 * "Truncate to N Tokens…": cuts the selection (or the document) after its first N tokens — one edit,
 * undoable, never inside a character. "Split into Chunks of N Tokens…": opens a new editor with the
 * document (or selection) cut into consecutive pieces of at most N tokens each, between marker lines.
 */
export function register(registry: TokenizerRegistry, config: Configuration): vscode.Disposable {
  const truncate = vscode.commands.registerCommand(COMMAND_TRUNCATE, async (n?: number): Promise<{ before: number; after: number } | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const max = await askCount('Tokenscope: keep the first N tokens', n);
    if (max === undefined) return undefined;
    const doc = editor.document;
    const tok = registry.get(config.forDocument(doc).encoding);
    const range = editor.selection.isEmpty ? new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)) : editor.selection;
    const text = doc.getText(range);
    const before = tok.count(text);
    const end = prefixEndForTokens(tok, text, max);
    if (end >= text.length) {
      void vscode.window.showInformationMessage(`Tokenscope: already ${formatCount(before)} tokens (≤ ${formatCount(max)}); nothing removed.`);
      return { before, after: before };
    }
    const cutFrom = doc.positionAt(doc.offsetAt(range.start) + end);
    const ok = await editor.edit((b) => b.delete(new vscode.Range(cutFrom, range.end)));
    if (!ok) return undefined;
    const after = tok.count(text.slice(0, end));
    void vscode.window.setStatusBarMessage(`Tokenscope: truncated ${formatCount(before)} → ${formatCount(after)} tokens (undo with Ctrl+Z)`, 5000);
    return { before, after };
  });

  const split = vscode.commands.registerCommand(COMMAND_SPLIT_CHUNKS, async (n?: number): Promise<number[] | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const max = await askCount('Tokenscope: split into chunks of at most N tokens', n);
    if (max === undefined) return undefined;
    const doc = editor.document;
    const tok = registry.get(config.forDocument(doc).encoding);
    const text = editor.selection.isEmpty ? doc.getText() : doc.getText(editor.selection);
    const ends = chunkEndsForTokens(tok, text, max);
    const counts: number[] = [];
    const parts: string[] = [];
    let start = 0;
    ends.forEach((end, i) => {
      const piece = text.slice(start, end);
      counts.push(tok.count(piece));
      parts.push(`<<<<< chunk ${i + 1} of ${ends.length} · ${counts[i]} tokens >>>>>\n${piece}${piece.endsWith('\n') ? '' : '\n'}`);
      start = end;
    });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: parts.join(''), language: doc.languageId }));
    return counts;
  });
  return vscode.Disposable.from(truncate, split);
}
