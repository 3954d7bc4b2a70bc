import * as vscode from 'vscode';
import {
  COMMAND_BACKEND_MENU,
  COMMAND_DOWNLOAD_MODEL,
  COMMAND_PICK_MODEL,
  COMMAND_RETRY_BACKEND,
  COMMAND_SELECT_BACKEND,
  COMMAND_SET_API_KEY,
  COMMAND_SHOW_LOG,
  COMMAND_SHOW_MODEL_INFO,
  COMMAND_TEST_COMPLETION,
} from '../../commandIds';
import type { BackendService } from '../../services/backendService';
import type { Command } from '../../util/command';

/** The quick pick behind a click on the backend's status item: the actions that make sense in its state. */
export class BackendMenuCommand implements Command {
  readonly id = COMMAND_BACKEND_MENU;

  constructor(private readonly service: BackendService) {}

  async execute(): Promise<void> {
    const s = this.service.state;
    const items: (vscode.QuickPickItem & { command: string })[] = [];
    if (s.kind === 'error') items.push({ label: '$(refresh) Retry', command: COMMAND_RETRY_BACKEND });
    if (s.kind !== 'off' && !(s.kind === 'error' && s.code.startsWith('model-'))) items.push({ label: '$(info) Show Model Info', command: COMMAND_SHOW_MODEL_INFO }, { label: '$(play) Test Completion', command: COMMAND_TEST_COMPLETION });
    items.push(
      { label: '$(file-binary) Pick Model…', command: COMMAND_PICK_MODEL },
      { label: '$(cloud-download) Download Model…', command: COMMAND_DOWNLOAD_MODEL },
      { label: '$(server-environment) Select Completion Backend…', command: COMMAND_SELECT_BACKEND },
    );
    if (this.service.kind === 'openai') items.push({ label: '$(key) Set Server API Key…', command: COMMAND_SET_API_KEY });
    items.push({ label: '$(output) Show Log', command: COMMAND_SHOW_LOG });
    const pick = await vscode.window.showQuickPick(items, { title: `Tokenscope completions: ${s.kind === 'off' ? 'off' : s.label}` });
    if (pick) await vscode.commands.executeCommand(pick.command);
  }
}

/** Internal (status actions): forget a backend error and open the backend again. */
export class RetryBackendCommand implements Command {
  readonly id = COMMAND_RETRY_BACKEND;

  constructor(private readonly service: BackendService) {}

  async execute(): Promise<void> {
    this.service.reset();
    try {
      await this.service.acquire();
    } catch {
      // the state and the log say why
    }
  }
}

/** "Show Log": the Tokenscope output channel. */
export class ShowLogCommand implements Command {
  readonly id = COMMAND_SHOW_LOG;

  constructor(private readonly channel: vscode.OutputChannel) {}

  execute(): void {
    this.channel.show();
  }
}

/** "Set Server API Key…": kept in SecretStorage (the OS keychain), never in settings; empty removes it. `{ key }` sets it without asking. */
export class SetApiKeyCommand implements Command {
  readonly id = COMMAND_SET_API_KEY;

  constructor(private readonly service: BackendService) {}

  async execute(args?: { key?: string }): Promise<boolean> {
    const key =
      args?.key ??
      (await vscode.window.showInputBox({ title: 'API key of the OpenAI-compatible server', password: true, prompt: 'Stored in the OS keychain (VS Code SecretStorage). Empty: remove it.', ignoreFocusOut: true }));
    if (key === undefined) return false;
    await this.service.setApiKey(key);
    return true;
  }
}
