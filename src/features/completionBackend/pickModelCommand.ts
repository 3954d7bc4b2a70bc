import * as path from 'path';
import * as vscode from 'vscode';
import { COMMAND_DOWNLOAD_MODEL, COMMAND_PICK_MODEL } from '../../commandIds';
import { errorMessage } from '../../common/errors';
import type { ILogger } from '../../common/logger';
import { readModelInfo } from '../../core/backend/local/modelInfo';
import type { DownloadResult } from '../../core/download/downloader';
import type { BackendService } from '../../services/backendService';
import type { Command } from '../../util/command';
import type { ModelFiles } from './modelFiles';

type Item = vscode.QuickPickItem & { value?: string; action?: 'browse' | 'download' };

/**
 * "Pick Model…": the shipped model, downloaded ones, the current one, a file, or a download. The
 * choice is checked (metadata and FIM tokens; weights are not read) before the backend switches.
 * `{ path }` picks without asking ('' = the shipped model); returns the model's path.
 */
export class PickModelCommand implements Command {
  readonly id = COMMAND_PICK_MODEL;

  constructor(
    private readonly service: BackendService,
    private readonly files: ModelFiles,
    private readonly log: ILogger,
  ) {}

  async execute(args?: { path?: string }): Promise<string | undefined> {
    const answer = args?.path !== undefined ? { use: args.path } : await this.ask();
    if ('done' in answer) return answer.done;
    const chosen = answer.use;
    if (chosen) {
      // ≈0.1 s for a 150k vocabulary
      try {
        readModelInfo(chosen).tokenizer.dispose();
      } catch (e) {
        this.log.warn(`not using ${chosen}: ${errorMessage(e)}`);
        if (!args) void vscode.window.showErrorMessage(`Tokenscope cannot use this model: ${errorMessage(e)}`);
        return undefined;
      }
    }
    await this.files.use(chosen);
    this.log.info(`model: ${chosen || '(shipped)'}`);
    return chosen || this.service.shippedModelPath;
  }

  /**
   * The quick pick: a model to use, or `done` with the command's result when there is nothing to
   * switch to (dismissed; or a download, which offers "Use This Model" itself).
   */
  private async ask(): Promise<{ use: string } | { done: string | undefined }> {
    const pick = await vscode.window.showQuickPick(this.items(), { title: 'Tokenscope: Pick the Local Completion Model' });
    if (!pick) return { done: undefined };
    if (pick.action === 'download') return { done: (await vscode.commands.executeCommand<DownloadResult | undefined>(COMMAND_DOWNLOAD_MODEL))?.path };
    if (pick.action === 'browse') {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'GGUF models': ['gguf'] }, title: 'Pick a GGUF FIM model' });
      return uris?.[0] ? { use: uris[0].fsPath } : { done: undefined };
    }
    return { use: pick.value ?? '' };
  }

  private items(): Item[] {
    const s = this.service;
    const current = s.modelPath;
    const items: Item[] = [
      { label: '$(package) Shipped model', description: path.basename(s.shippedModelPath), detail: 'Small, trained by the Tokenscope project: for trying things out.', value: '' },
      ...this.files.downloaded().map((p): Item => ({ label: `$(file-binary) ${path.basename(p)}`, description: 'downloaded', detail: p, value: p })),
    ];
    if (!s.usesShippedModel && !items.some((i) => i.value === current)) items.push({ label: `$(file-binary) ${path.basename(current)}`, detail: current, value: current });
    for (const i of items) if (i.value !== undefined && (i.value || s.shippedModelPath) === current) i.description = `${i.description ?? ''} (current)`.trim();
    items.push({ label: '$(folder-opened) Browse…', action: 'browse' }, { label: '$(cloud-download) Download a Model…', action: 'download' });
    return items;
  }
}
