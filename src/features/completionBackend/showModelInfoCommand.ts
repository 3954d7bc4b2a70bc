import * as vscode from 'vscode';
import { COMMAND_SHOW_MODEL_INFO } from '../../commandIds';
import { errorMessage } from '../../common/errors';
import type { CompletionBackend } from '../../core/backend/backend';
import { LocalBackend } from '../../core/backend/local/localBackend';
import type { ModelInfo } from '../../core/backend/local/modelInfo';
import { localModelReport, remoteBackendReport } from '../../core/backend/modelInfoReport';
import type { BackendService } from '../../services/backendService';
import type { Command } from '../../util/command';
import { openMarkdown } from '../../util/editor';

export interface ModelInfoResult {
  readonly markdown: string;
  readonly info?: ModelInfo;
}

/**
 * "Show Model Info": opens the backend (loading the model if needed, with progress) and shows what
 * it is and what it can do. `{ open: false }` returns the report without opening it, and throws
 * instead of showing an error.
 */
export class ShowModelInfoCommand implements Command {
  readonly id = COMMAND_SHOW_MODEL_INFO;

  constructor(private readonly service: BackendService) {}

  async execute(args?: { open?: boolean }): Promise<ModelInfoResult | undefined> {
    let b: CompletionBackend;
    try {
      b = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Tokenscope: loading the model' }, () => this.service.acquire());
    } catch (e) {
      if (args?.open === false) throw e;
      void vscode.window.showErrorMessage(`Tokenscope: ${errorMessage(e)}`);
      return undefined;
    }
    const result = await this.report(b);
    if (args?.open !== false) await openMarkdown(result.markdown, 'Model Info');
    return result;
  }

  private async report(b: CompletionBackend): Promise<ModelInfoResult> {
    if (b instanceof LocalBackend) {
      const decoder = new TextDecoder('utf-8', { fatal: false });
      const markdown = localModelReport(b.info, b.load, b.capabilities, (id) => decoder.decode(b.tokenizer.tokenBytes(id)), { shipped: this.service.usesShippedModel, enginePid: b.enginePid });
      return { markdown, info: b.info };
    }
    const h = await b.health();
    const { url, model } = this.service.server;
    return { markdown: remoteBackendReport(b.kind, url, model, h.ok ? `ok — ${h.detail}` : `${h.error}: ${h.detail}`, b.capabilities) };
  }
}
