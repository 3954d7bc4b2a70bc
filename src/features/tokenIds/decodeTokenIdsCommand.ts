import * as vscode from 'vscode';
import { COMMAND_DECODE_TOKEN_IDS } from '../../commandIds';
import { errorMessage } from '../../common/errors';
import { formatCount } from '../../core/format/formatCount';
import type { BpeTokenizer } from '../../core/tokenizer/bpeTokenizer';
import { decodeIds, parseTokenIds } from '../../core/tokenizer/tokenOps';
import type { TokenModels } from '../../services/tokenModels';
import type { Command } from '../../util/command';

type Placement = 'insert' | 'open';

/** "Decode Token IDs…": input box (or `{ ids }`) → decoded text inserted at the cursor or opened in a new editor. */
export class DecodeTokenIdsCommand implements Command {
  readonly id = COMMAND_DECODE_TOKEN_IDS;

  constructor(private readonly models: Pick<TokenModels, 'encodingOf' | 'tokenizerOf'>) {}

  async execute(args?: { ids?: string; action?: Placement }): Promise<string | undefined> {
    const editor = vscode.window.activeTextEditor;
    const encoding = this.models.encodingOf(editor?.document);
    const tok = this.models.tokenizerOf(editor?.document);
    const input = args?.ids ?? (await vscode.window.showInputBox({ title: `Tokenscope: decode ${encoding} token ids`, prompt: 'Token ids: [1, 2, 3], 1 2 3 or 1,2,3', validateInput: (v) => problemOf(tok, v) }));
    if (input === undefined) return undefined;
    let decoded;
    try {
      decoded = decodeIds(tok, parseTokenIds(input));
    } catch (e) {
      void vscode.window.showErrorMessage(`Tokenscope: ${errorMessage(e)}`);
      return undefined;
    }
    if (decoded.lossy) void vscode.window.showWarningMessage('Tokenscope: these ids end or start inside a character; U+FFFD stands in for the partial bytes.');
    const action = args?.action ?? (editor && !editor.document.isClosed ? await askPlacement(decoded.text.length) : 'open');
    if (action === 'insert' && editor) {
      await editor.edit((b) => editor.selections.forEach((s) => b.replace(s, decoded.text)));
    } else if (action === 'open') {
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: decoded.text }));
    } else {
      return undefined;
    }
    return decoded.text;
  }
}

/** Why `input` does not decode, for the input box's validation; undefined when it does. */
function problemOf(tok: BpeTokenizer, input: string): string | undefined {
  try {
    decodeIds(tok, parseTokenIds(input));
    return undefined;
  } catch (e) {
    return errorMessage(e);
  }
}

async function askPlacement(chars: number): Promise<Placement | undefined> {
  const items = [
    { label: 'Insert at cursor', action: 'insert' as const },
    { label: 'Open in a new editor', action: 'open' as const },
  ];
  return (await vscode.window.showQuickPick(items, { title: `Decoded ${formatCount(chars)} characters` }))?.action;
}
