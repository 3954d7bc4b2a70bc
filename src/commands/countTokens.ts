import * as vscode from 'vscode';
import { formatCharsPerToken, formatCount } from '../core/format/formatCount';
import type { EncodingName } from '../core/tokenizer/tokenizer';
import type { TokenizerRegistry } from '../core/tokenizer/tokenizerRegistry';
import type { Configuration } from '../configuration';
import { COMMAND_COUNT_TOKENS } from './commandIds';

export interface CountTokensResult {
  readonly scope: 'selection' | 'document';
  readonly encoding: EncodingName;
  readonly tokens: number;
  /** UTF-16 code units. */
  readonly chars: number;
}

/**
 * "Tokenscope: Count Tokens": the selection (all non-empty selections) or else the whole document
 * of the active editor. Shows the figure and returns it (for keybindings and other extensions).
 */
export function register(registry: TokenizerRegistry, config: Configuration): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_COUNT_TOKENS, (): CountTokensResult | undefined => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Tokenscope: open an editor to count its tokens.');
      return undefined;
    }
    const { encoding } = config.forDocument(editor.document);
    const tokenizer = registry.get(encoding);
    const selections = editor.selections.filter((s) => !s.isEmpty);
    const texts = selections.length > 0 ? selections.map((s) => editor.document.getText(s)) : [editor.document.getText()];
    let tokens = 0;
    let chars = 0;
    for (const t of texts) {
      tokens += tokenizer.count(t);
      chars += t.length;
    }
    const result: CountTokensResult = { scope: selections.length > 0 ? 'selection' : 'document', encoding, tokens, chars };
    // Not awaited: the message stays up until dismissed, the caller gets the result now.
    void vscode.window.showInformationMessage(
      `${formatCount(tokens)} tokens in the ${result.scope} (${encoding}, ${formatCount(chars)} characters, ${formatCharsPerToken(chars, tokens)} chars/token)`,
    );
    return result;
  });
}
