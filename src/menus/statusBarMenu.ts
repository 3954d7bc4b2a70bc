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
} from '../commandIds';
import { registerCommands, type Command } from '../util/command';

const ITEMS: readonly (vscode.QuickPickItem & { command: string })[] = [
  { label: '$(symbol-numeric) Count Tokens', command: COMMAND_COUNT_TOKENS },
  { label: '$(list-selection) Select Encoding…', command: COMMAND_SELECT_ENCODING },
  { label: '$(symbol-ruler) Toggle Token Boundaries', command: COMMAND_TOGGLE_BOUNDARIES },
  { label: '$(arrow-both) Compare Encodings', command: COMMAND_COMPARE_ENCODINGS },
  { label: '$(graph) Show Token Inspector', command: COMMAND_SHOW_INSPECTOR },
  { label: '$(copy) Copy Token IDs of Selection', command: COMMAND_COPY_TOKEN_IDS },
  { label: '$(scissors) Truncate to N Tokens…', command: COMMAND_TRUNCATE },
  { label: '$(verified) Verify Token Count with tiktoken', command: COMMAND_VERIFY_WITH_TIKTOKEN },
];

/**
 * The quick pick behind a click on the status-bar count: commands of several features, so it lives
 * outside them (it knows their ids only, never their code).
 */
class StatusBarMenuCommand implements Command {
  readonly id = COMMAND_STATUS_BAR_MENU;

  async execute(): Promise<void> {
    const pick = await vscode.window.showQuickPick(ITEMS, { title: 'Tokenscope' });
    if (pick) await vscode.commands.executeCommand(pick.command);
  }
}

export function register(): vscode.Disposable {
  return registerCommands(new StatusBarMenuCommand());
}
