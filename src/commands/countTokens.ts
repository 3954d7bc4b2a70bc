import * as vscode from 'vscode';
import { formatCharsPerToken, formatCount } from '../core/format/formatCount';
import type { EncodingName } from '../core/tokenizer/encodings';
import type { TokenModels } from '../features/tokenModel/tokenModels';
import { COMMAND_COUNT_TOKENS } from './commandIds';

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
export function register(models: TokenModels): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_COUNT_TOKENS, async (): Promise<CountTokensResult | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Tokenscope: open an editor to count its tokens.');
      return undefined;
    }
    const doc = editor.document;
    const first = models.get(doc);
    const { model, encoding } =
      first.kind === 'ready'
        ? first
        : await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: 'Tokenscope: tokenizing…', cancellable: false },
            () => models.whenReady(doc),
          );
    const selections = editor.selections.filter((s) => !s.isEmpty);
    let tokens = 0;
    let chars = 0;
    if (selections.length > 0) {
      for (const s of selections) {
        const a = doc.offsetAt(s.start);
        const b = doc.offsetAt(s.end);
        tokens += model.countRange(a, b);
        chars += b - a;
      }
    } else {
      tokens = model.tokenCount;
      chars = model.length;
    }
    const result: CountTokensResult = { scope: selections.length > 0 ? 'selection' : 'document', encoding, tokens, chars };
    // Not awaited: the message stays up until dismissed, the caller gets the result now.
    void vscode.window.showInformationMessage(
      `${formatCount(tokens)} tokens in the ${result.scope} (${encoding}, ${formatCount(chars)} characters, ${formatCharsPerToken(chars, tokens)} chars/token)`,
    );
    return result;
  });
}
