import * as vscode from 'vscode';
import { COMMAND_SELECT_BACKEND } from '../../commandIds';
import type { BackendKind, Configuration } from '../../configuration';
import type { BackendService } from '../../services/backendService';
import type { Command } from '../../util/command';

const CHOICES: readonly (vscode.QuickPickItem & { backend: BackendKind })[] = [
  { backend: 'local', label: 'Local (llama.cpp on this machine)', detail: 'Full token-level control: byte-level healing, speculative decoding.' },
  { backend: 'llama-server', label: 'llama-server', detail: 'A llama.cpp server (tokenscope.server.url).' },
  { backend: 'ollama', label: 'Ollama', detail: 'Text-level only: no token healing masks, no speculation.' },
  { backend: 'openai', label: 'OpenAI-compatible /v1/completions', detail: 'Text-level only, like Ollama.' },
  { backend: 'off', label: 'Off', detail: 'No completions; nothing loaded, nothing sent.' },
];

/**
 * "Select Completion Backend…": writes `tokenscope.completion.backend` (user settings); a remote
 * backend without a server URL opens the setting. `{ kind }` selects without asking.
 */
export class SelectBackendCommand implements Command {
  readonly id = COMMAND_SELECT_BACKEND;

  constructor(
    private readonly service: BackendService,
    private readonly config: Pick<Configuration, 'backend' | 'setBackendKind'>,
  ) {}

  async execute(args?: { kind?: BackendKind }): Promise<BackendKind | undefined> {
    let kind = args?.kind;
    if (!kind) {
      const items = CHOICES.map((i) => ({ ...i, ...(i.backend === this.service.kind ? { description: '(current)' } : {}) }));
      kind = (await vscode.window.showQuickPick(items, { title: 'Tokenscope: Completion Backend' }))?.backend;
      if (!kind) return undefined;
    }
    await this.config.setBackendKind(kind);
    if (kind !== 'local' && kind !== 'off' && !this.config.backend.value.serverUrl && !args) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'tokenscope.server.url');
    }
    return kind;
  }
}
