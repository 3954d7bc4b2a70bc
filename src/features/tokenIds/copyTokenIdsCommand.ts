import * as vscode from 'vscode';
import { COMMAND_COPY_TOKEN_IDS } from '../../commandIds';
import { formatCount } from '../../core/format/formatCount';
import type { TokenModels } from '../../services/tokenModels';
import type { Command } from '../../util/command';
import { nonEmptySelections } from '../../util/editor';

/** "Copy Token IDs of Selection": each selection encoded on its own, ids joined in document order, copied as a JSON array. */
export class CopyTokenIdsCommand implements Command {
  readonly id = COMMAND_COPY_TOKEN_IDS;

  constructor(private readonly models: Pick<TokenModels, 'encodingOf' | 'tokenizerOf'>) {}

  async execute(): Promise<number[] | undefined> {
    const editor = vscode.window.activeTextEditor;
    const sels = editor ? nonEmptySelections(editor).sort((a, b) => a.start.compareTo(b.start)) : [];
    if (!editor || sels.length === 0) {
      void vscode.window.showInformationMessage('Tokenscope: select some text to copy its token ids.');
      return undefined;
    }
    const encoding = this.models.encodingOf(editor.document);
    const tok = this.models.tokenizerOf(editor.document);
    const ids: number[] = [];
    for (const s of sels) ids.push(...tok.encode(editor.document.getText(s)));
    await vscode.env.clipboard.writeText(JSON.stringify(ids));
    void vscode.window.setStatusBarMessage(`Tokenscope: copied ${formatCount(ids.length)} ${encoding} token ids`, 3000);
    return ids;
  }
}
