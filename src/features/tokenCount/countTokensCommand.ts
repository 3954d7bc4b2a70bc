import * as vscode from 'vscode';
import { COMMAND_COUNT_TOKENS } from '../../commandIds';
import { formatCharsPerToken, formatCount } from '../../core/format/formatCount';
import type { EncodingName } from '../../core/tokenizer/encodings';
import type { TokenModels } from '../../services/tokenModels';
import type { Command } from '../../util/command';
import { activeEditorFor, nonEmptySelections } from '../../util/editor';

export interface CountTokensResult {
  readonly scope: 'selection' | 'document';
  readonly encoding: EncodingName;
  readonly tokens: number;
  /** UTF-16 code units. */
  readonly chars: number;
}

/**
 * "Tokenscope: Count Tokens": the selection (all non-empty selections, each counted as if sent
 * alone) or else the whole document of the active editor. Shows the figure and returns it (for
 * keybindings and other extensions). Waits, with progress, for a large document's first tokenization.
 */
export class CountTokensCommand implements Command {
  readonly id = COMMAND_COUNT_TOKENS;

  constructor(private readonly models: TokenModels) {}

  async execute(): Promise<CountTokensResult | undefined> {
    const editor = activeEditorFor('count its tokens');
    if (!editor) return undefined;
    const doc = editor.document;
    const first = this.models.get(doc);
    const { model, encoding } =
      first.kind === 'ready'
        ? first
        : await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Tokenscope: tokenizing…', cancellable: false }, () => this.models.whenReady(doc));
    const selections = nonEmptySelections(editor);
    let tokens = 0;
    let chars = 0;
    for (const s of selections) {
      const a = doc.offsetAt(s.start);
      const b = doc.offsetAt(s.end);
      tokens += model.countRange(a, b);
      chars += b - a;
    }
    if (selections.length === 0) {
      tokens = model.tokenCount;
      chars = model.length;
    }
    const result: CountTokensResult = { scope: selections.length > 0 ? 'selection' : 'document', encoding, tokens, chars };
    // Not awaited: the message stays up until dismissed, the caller gets the result now.
    void vscode.window.showInformationMessage(
      `${formatCount(tokens)} tokens in the ${result.scope} (${encoding}, ${formatCount(chars)} characters, ${formatCharsPerToken(chars, tokens)} chars/token)`,
    );
    return result;
  }
}
