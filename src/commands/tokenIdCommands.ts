import * as vscode from 'vscode';
import { errorMessage } from '../common/errors';
import { formatCount } from '../core/format/formatCount';
import { decodeIds, parseTokenIds } from '../core/tokenizer/tokenOps';
import type { TokenizerRegistry } from '../core/tokenizer/tokenizerRegistry';
import type { Configuration } from '../configuration';
import { COMMAND_COPY_TOKEN_IDS, COMMAND_DECODE_TOKEN_IDS } from './commandIds';

/**
 * "Copy Token IDs of Selection" (each selection encoded on its own, ids joined in document order,
 * copied as a JSON array) and "Decode Token IDs…" (input box → decoded text inserted at the cursor or
 * opened in a new editor).
 */
export function register(registry: TokenizerRegistry, config: Configuration): vscode.Disposable {
  const copy = vscode.commands.registerCommand(COMMAND_COPY_TOKEN_IDS, async (): Promise<number[] | undefined> => {
    const editor = vscode.window.activeTextEditor;
    const sels = editor?.selections.filter((s) => !s.isEmpty) ?? [];
    if (!editor || sels.length === 0) {
      void vscode.window.showInformationMessage('Tokenscope: select some text to copy its token ids.');
      return undefined;
    }
    const { encoding } = config.forDocument(editor.document);
    const tok = registry.get(encoding);
    const ids: number[] = [];
    for (const s of [...sels].sort((a, b) => a.start.compareTo(b.start))) ids.push(...tok.encode(editor.document.getText(s)));
    await vscode.env.clipboard.writeText(JSON.stringify(ids));
    void vscode.window.setStatusBarMessage(`Tokenscope: copied ${formatCount(ids.length)} ${encoding} token ids`, 3000);
    return ids;
  });

  const decode = vscode.commands.registerCommand(
    COMMAND_DECODE_TOKEN_IDS,
    async (args?: { ids?: string; action?: 'insert' | 'open' }): Promise<string | undefined> => {
      const editor = vscode.window.activeTextEditor;
      const { encoding } = config.forDocument(editor?.document);
      const tok = registry.get(encoding);
      const check = (v: string): string | undefined => {
        try {
          decodeIds(tok, parseTokenIds(v));
          return undefined;
        } catch (e) {
          return errorMessage(e);
        }
      };
      const input =
        args?.ids ??
        (await vscode.window.showInputBox({
          title: `Tokenscope: decode ${encoding} token ids`,
          prompt: 'Token ids: [1, 2, 3], 1 2 3 or 1,2,3',
          validateInput: check,
        }));
      if (input === undefined) return undefined;
      let decoded;
      try {
        decoded = decodeIds(tok, parseTokenIds(input));
      } catch (e) {
        void vscode.window.showErrorMessage(`Tokenscope: ${errorMessage(e)}`);
        return undefined;
      }
      if (decoded.lossy) void vscode.window.showWarningMessage('Tokenscope: these ids end or start inside a character; U+FFFD stands in for the partial bytes.');
      const action =
        args?.action ??
        (editor && !editor.document.isClosed
          ? (
              await vscode.window.showQuickPick(
                [
                  { label: 'Insert at cursor', action: 'insert' as const },
                  { label: 'Open in a new editor', action: 'open' as const },
                ],
                { title: `Decoded ${formatCount(decoded.text.length)} characters` },
              )
            )?.action
          : 'open');
      if (action === 'insert' && editor) {
        await editor.edit((b) => editor.selections.forEach((s) => b.replace(s, decoded.text)));
      } else if (action === 'open') {
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: decoded.text }));
      } else {
        return undefined;
      }
      return decoded.text;
    },
  );
  return vscode.Disposable.from(copy, decode);
}
