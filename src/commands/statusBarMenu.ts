import * as vscode from 'vscode';
import {
  COMMAND_COMPARE_ENCODINGS,
  COMMAND_COPY_TOKEN_IDS,
  COMMAND_COUNT_TOKENS,
  COMMAND_SELECT_ENCODING,
  COMMAND_SHOW_INSPECTOR,
  COMMAND_STATUS_BAR_MENU,
  COMMAND_TOGGLE_BOUNDARIES,
  COMMAND_TRUNCATE,
  COMMAND_VERIFY_WITH_TIKTOKEN,
} from './commandIds';

/** The quick pick behind a click on the status-bar count. */
export function register(): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_STATUS_BAR_MENU, async () => {
    const items: (vscode.QuickPickItem & { command?: string })[] = [
      { label: '$(symbol-numeric) Count Tokens', command: COMMAND_COUNT_TOKENS },
      { label: '$(list-selection) Select Encoding…', command: COMMAND_SELECT_ENCODING },
      { label: '$(symbol-ruler) Toggle Token Boundaries', command: COMMAND_TOGGLE_BOUNDARIES },
      { label: '$(arrow-both) Compare Encodings', command: COMMAND_COMPARE_ENCODINGS },
      { label: '$(graph) Show Token Inspector', command: COMMAND_SHOW_INSPECTOR },
      { label: '$(copy) Copy Token IDs of Selection', command: COMMAND_COPY_TOKEN_IDS },
      { label: '$(scissors) Truncate to N Tokens…', command: COMMAND_TRUNCATE },
      { label: '$(verified) Verify Token Count with tiktoken', command: COMMAND_VERIFY_WITH_TIKTOKEN },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Tokenscope' });
    if (pick?.command) await vscode.commands.executeCommand(pick.command);
  });
}
