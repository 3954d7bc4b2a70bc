import * as vscode from 'vscode';
import { COMMAND_SPLIT_CHUNKS, COMMAND_TRUNCATE } from '../../commandIds';
import { formatCount } from '../../core/format/formatCount';
import type { BpeTokenizer } from '../../core/tokenizer/bpeTokenizer';
import { chunkEndsForTokens, prefixEndForTokens } from '../../core/tokenizer/tokenOps';
import type { TokenModels } from '../../services/tokenModels';
import type { Command } from '../../util/command';
import { activeEditorFor } from '../../util/editor';

type Tokenizers = Pick<TokenModels, 'tokenizerOf'>;

/** The editor, the budget (given, or asked for) and the document's tokenizer; undefined when the user gave up. */
async function budgetTarget(purpose: string, title: string, given: number | undefined, models: Tokenizers): Promise<{ editor: vscode.TextEditor; max: number; tok: BpeTokenizer } | undefined> {
  const editor = activeEditorFor(purpose);
  if (!editor) return undefined;
  const max =
    given ??
    (await vscode.window
      .showInputBox({ title, prompt: 'Number of tokens', validateInput: (s) => (/^\s*\d+\s*$/.test(s) && Number(s) > 0 ? undefined : 'a positive whole number') })
      .then((v) => (v === undefined ? undefined : Number(v))));
  if (max === undefined) return undefined;
  return { editor, max, tok: models.tokenizerOf(editor.document) };
}

/** "Truncate to N Tokens…": cuts the selection (or the document) after its first N tokens — one undoable edit, never inside a character. */
export class TruncateCommand implements Command {
  readonly id = COMMAND_TRUNCATE;

  constructor(private readonly models: Tokenizers) {}

  async execute(n?: number): Promise<{ before: number; after: number } | undefined> {
    const t = await budgetTarget('truncate it', 'Tokenscope: keep the first N tokens', n, this.models);
    if (!t) return undefined;
    const { editor, max, tok } = t;
    const doc = editor.document;
    const range = editor.selection.isEmpty ? new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)) : editor.selection;
    const text = doc.getText(range);
    const before = tok.count(text);
    const end = prefixEndForTokens(tok, text, max);
    if (end >= text.length) {
      void vscode.window.showInformationMessage(`Tokenscope: already ${formatCount(before)} tokens (≤ ${formatCount(max)}); nothing removed.`);
      return { before, after: before };
    }
    const cutFrom = doc.positionAt(doc.offsetAt(range.start) + end);
    if (!(await editor.edit((b) => b.delete(new vscode.Range(cutFrom, range.end))))) return undefined;
    const after = tok.count(text.slice(0, end));
    void vscode.window.setStatusBarMessage(`Tokenscope: truncated ${formatCount(before)} → ${formatCount(after)} tokens (undo with Ctrl+Z)`, 5000);
    return { before, after };
  }
}

/** "Split into Chunks of N Tokens…": a new editor with the document (or selection) in pieces of at most N tokens, between marker lines. */
export class SplitIntoChunksCommand implements Command {
  readonly id = COMMAND_SPLIT_CHUNKS;

  constructor(private readonly models: Tokenizers) {}

  async execute(n?: number): Promise<number[] | undefined> {
    const t = await budgetTarget('split it', 'Tokenscope: split into chunks of at most N tokens', n, this.models);
    if (!t) return undefined;
    const { editor, max, tok } = t;
    const doc = editor.document;
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
  }
}
