import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { errorMessage, isBackendError } from '../common/errors';
import { withComponent, type ILogger } from '../common/logger';
import type { BackendKind } from '../configuration';
import type { InfillResult } from '../core/backend/backend';
import { LocalBackend } from '../core/backend/local/localBackend';
import { readModelInfo, type ModelInfo } from '../core/backend/local/modelInfo';
import { MODEL_CATALOG, type CatalogModel } from '../core/backend/modelCatalog';
import { localModelReport, remoteBackendReport } from '../core/backend/modelInfoReport';
import { downloadFile, isDownloadError, type DownloadResult } from '../core/download/downloader';
import { SECRET_API_KEY, type BackendService } from '../features/backend/backendService';
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
} from './commandIds';

export interface DownloadArgs {
  readonly url: string;
  readonly fileName: string;
  readonly sha256?: string;
  readonly size?: number;
  /** Make it the model at once (no question). */
  readonly use?: boolean;
}

export interface ModelInfoResult {
  readonly markdown: string;
  readonly info?: ModelInfo;
}

const TEST_PREFIX = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return ';
const TEST_SUFFIX = '\n\n\nprint(fibonacci(10))\n';

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
}

/**
 * Commands of the completion backend: the status-bar menu, model picking and downloading, model
 * info, backend selection, a test completion, the server API key (kept in SecretStorage, never in
 * settings), the log. Each takes optional arguments so that tests (and keybindings) can run it
 * without dialogs.
 */
export function register(service: BackendService, context: vscode.ExtensionContext, channel: vscode.LogOutputChannel, logger: ILogger): vscode.Disposable {
  const log = withComponent(logger, 'models');
  const modelsDir = path.join(context.globalStorageUri.fsPath, 'models');
  const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('tokenscope');

  const setModelPath = async (p: string): Promise<void> => {
    // machine-scoped: user settings only
    await cfg().update('model.path', p, vscode.ConfigurationTarget.Global);
    if (service.kind !== 'local') await cfg().update('completion.backend', 'local', vscode.ConfigurationTarget.Global);
    service.reset();
  };

  const downloaded = (): string[] => {
    try {
      return fs
        .readdirSync(modelsDir)
        .filter((f) => f.toLowerCase().endsWith('.gguf'))
        .map((f) => path.join(modelsDir, f));
    } catch {
      return [];
    }
  };

  const pickModel = vscode.commands.registerCommand(COMMAND_PICK_MODEL, async (args?: { path?: string }): Promise<string | undefined> => {
    let chosen: string | undefined = args?.path;
    if (chosen === undefined) {
      type Item = vscode.QuickPickItem & { value?: string; action?: 'browse' | 'download' };
      const current = service.modelPath;
      const items: Item[] = [
        { label: '$(package) Shipped model', description: path.basename(service.shippedModelPath), detail: 'Small, trained by the Tokenscope project: for trying things out.', value: '' },
        ...downloaded().map((p): Item => ({ label: `$(file-binary) ${path.basename(p)}`, description: 'downloaded', detail: p, value: p })),
      ];
      if (!service.usesShippedModel && !items.some((i) => i.value === current)) items.push({ label: `$(file-binary) ${path.basename(current)}`, detail: current, value: current });
      for (const i of items) if (i.value !== undefined && (i.value || service.shippedModelPath) === current) i.description = `${i.description ?? ''} (current)`.trim();
      items.push({ label: '$(folder-opened) Browse…', action: 'browse' }, { label: '$(cloud-download) Download a Model…', action: 'download' });
      const pick = await vscode.window.showQuickPick(items, { title: 'Tokenscope: Pick the Local Completion Model' });
      if (!pick) return undefined;
      if (pick.action === 'download') return (await vscode.commands.executeCommand<DownloadResult | undefined>(COMMAND_DOWNLOAD_MODEL))?.path;
      if (pick.action === 'browse') {
        const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'GGUF models': ['gguf'] }, title: 'Pick a GGUF FIM model' });
        if (!uris?.[0]) return undefined;
        chosen = uris[0].fsPath;
      } else chosen = pick.value ?? '';
    }
    if (chosen) {
      // Check before switching: metadata and FIM tokens (≈0.1 s for a 150k vocabulary; weights are not read).
      try {
        readModelInfo(chosen).tokenizer.dispose();
      } catch (e) {
        log.warn(`not using ${chosen}: ${errorMessage(e)}`);
        if (!args) void vscode.window.showErrorMessage(`Tokenscope cannot use this model: ${errorMessage(e)}`);
        return undefined;
      }
    }
    await setModelPath(chosen);
    log.info(`model: ${chosen || '(shipped)'}`);
    return chosen || service.shippedModelPath;
  });

  const download = vscode.commands.registerCommand(COMMAND_DOWNLOAD_MODEL, async (args?: DownloadArgs): Promise<DownloadResult | undefined> => {
    let model: Pick<CatalogModel, 'label' | 'url' | 'fileName' | 'sha256'> & { size?: number };
    if (args?.url && args.fileName) {
      model = { label: args.fileName, url: args.url, fileName: path.basename(args.fileName), ...(args.sha256 ? { sha256: args.sha256 } : {}), ...(args.size ? { size: args.size } : {}) };
    } else {
      const pick = await vscode.window.showQuickPick(
        MODEL_CATALOG.map((m) => ({ label: m.label, description: `≈${mb(m.approxBytes)} MB`, detail: `${m.description} From huggingface.co.`, model: m })),
        { title: 'Tokenscope: Download a FIM Model (from huggingface.co)' },
      );
      if (!pick) return undefined;
      model = pick.model;
    }
    const dest = path.join(modelsDir, model.fileName);
    if (fs.existsSync(dest)) {
      log.info(`already downloaded: ${dest}`);
      if (args?.use || (!args && (await vscode.window.showInformationMessage(`${model.label} is already downloaded.`, 'Use This Model')) === 'Use This Model')) await setModelPath(dest);
      return { path: dest, bytes: fs.statSync(dest).size, sha256: '', checkedAgainst: 'none', resumedFrom: 0, redirects: 0 };
    }
    fs.mkdirSync(modelsDir, { recursive: true });
    log.info(`downloading ${model.url} → ${dest}`);
    let result: DownloadResult;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Downloading ${model.label}`, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          const sub = token.onCancellationRequested(() => ac.abort());
          let lastPct = 0;
          let lastReport = 0;
          const t0 = performance.now();
          try {
            return await downloadFile({
              url: model.url,
              dest,
              ...(model.sha256 ? { sha256: model.sha256 } : {}),
              ...(model.size ? { size: model.size } : {}),
              signal: ac.signal,
              onProgress: (p) => {
                const now = performance.now();
                if (now - lastReport < 200 && p.phase === 'downloading') return;
                lastReport = now;
                const pct = p.total ? (100 * p.bytes) / p.total : 0;
                const rate = p.phase === 'downloading' ? ` · ${mb(((p.bytes - p.resumedFrom) / Math.max(1, now - t0)) * 1000)} MB/s` : '';
                const what = p.phase === 'checking-partial' ? 'checking the partial download' : p.phase === 'verifying' ? 'verifying' : `${mb(p.bytes)}${p.total ? ` / ${mb(p.total)}` : ''} MB${rate}${p.resumedFrom ? ' (resumed)' : ''}`;
                progress.report({ message: what, increment: p.phase === 'downloading' ? Math.max(0, pct - lastPct) : 0 });
                if (p.phase === 'downloading') lastPct = Math.max(lastPct, pct);
              },
            });
          } finally {
            sub.dispose();
          }
        },
      );
    } catch (e) {
      const message = errorMessage(e);
      log.error(`download failed: ${message}`);
      if (!args) {
        if (isDownloadError(e, 'aborted')) void vscode.window.showInformationMessage('Download cancelled. Run Download Model again to resume it.');
        else void vscode.window.showErrorMessage(`Download failed: ${message}`);
      }
      throw e;
    }
    log.info(`downloaded ${result.bytes} bytes, sha256 ${result.sha256} (checked against ${result.checkedAgainst}${result.resumedFrom ? `, resumed at ${result.resumedFrom}` : ''})`);
    try {
      readModelInfo(dest).tokenizer.dispose();
    } catch (e) {
      log.error(`downloaded file is not usable: ${errorMessage(e)}`);
      if (!args) void vscode.window.showErrorMessage(`The downloaded file cannot be used: ${errorMessage(e)}`);
      return result;
    }
    if (args?.use || (!args && (await vscode.window.showInformationMessage(`${model.label} downloaded (${mb(result.bytes)} MB, SHA-256 verified).`, 'Use This Model')) === 'Use This Model')) {
      await setModelPath(dest);
    }
    return result;
  });

  const info = vscode.commands.registerCommand(COMMAND_SHOW_MODEL_INFO, async (args?: { open?: boolean }): Promise<ModelInfoResult | undefined> => {
    let b;
    try {
      b = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Tokenscope: loading the model' }, () => service.acquire());
    } catch (e) {
      if (args?.open === false) throw e;
      void vscode.window.showErrorMessage(`Tokenscope: ${errorMessage(e)}`);
      return undefined;
    }
    let result: ModelInfoResult;
    if (b instanceof LocalBackend) {
      const decoder = new TextDecoder('utf-8', { fatal: false });
      const markdown = localModelReport(b.info, b.load, b.capabilities, (id) => decoder.decode(b.tokenizer.tokenBytes(id)), { shipped: service.usesShippedModel, enginePid: b.enginePid });
      result = { markdown, info: b.info };
    } else {
      const h = await b.health();
      const s = vscode.workspace.getConfiguration('tokenscope');
      result = { markdown: remoteBackendReport(b.kind, s.get<string>('server.url', ''), s.get<string>('server.model', ''), h.ok ? `ok — ${h.detail}` : `${h.error}: ${h.detail}`, b.capabilities) };
    }
    if (args?.open !== false) await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content: result.markdown }), { preview: true });
    return result;
  });

  const select = vscode.commands.registerCommand(COMMAND_SELECT_BACKEND, async (args?: { kind?: BackendKind }): Promise<BackendKind | undefined> => {
    let kind = args?.kind;
    if (!kind) {
      const items: (vscode.QuickPickItem & { backend: BackendKind })[] = [
        { backend: 'local', label: 'Local (llama.cpp on this machine)', detail: 'Full token-level control: byte-level healing, speculative decoding.' },
        { backend: 'llama-server', label: 'llama-server', detail: 'A llama.cpp server (tokenscope.server.url).' },
        { backend: 'ollama', label: 'Ollama', detail: 'Text-level only: no token healing masks, no speculation.' },
        { backend: 'openai', label: 'OpenAI-compatible /v1/completions', detail: 'Text-level only, like Ollama.' },
        { backend: 'off', label: 'Off', detail: 'No completions; nothing loaded, nothing sent.' },
      ];
      for (const i of items) if (i.backend === service.kind) i.description = '(current)';
      kind = (await vscode.window.showQuickPick(items, { title: 'Tokenscope: Completion Backend' }))?.backend;
      if (!kind) return undefined;
    }
    await cfg().update('completion.backend', kind, vscode.ConfigurationTarget.Global);
    if (kind !== 'local' && kind !== 'off' && !cfg().get<string>('server.url') && !args) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'tokenscope.server.url');
    }
    return kind;
  });

  const test = vscode.commands.registerCommand(COMMAND_TEST_COMPLETION, async (args?: { prefix?: string; suffix?: string; maxTokens?: number }): Promise<InfillResult | undefined> => {
    const run = (signal: AbortSignal): Promise<InfillResult> =>
      service.infill({ prefix: args?.prefix ?? TEST_PREFIX, suffix: args?.suffix ?? TEST_SUFFIX, maxTokens: args?.maxTokens ?? 48, temperature: 0, signal });
    const ac = new AbortController();
    try {
      const r = args
        ? await run(ac.signal)
        : await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Tokenscope: test completion', cancellable: true }, (_p, token) => {
            token.onCancellationRequested(() => ac.abort());
            return run(ac.signal);
          });
      const rate = r.generatedTokens && r.firstTokenMs !== undefined ? ` · ${((1000 * r.generatedTokens) / Math.max(1, r.totalMs - r.firstTokenMs)).toFixed(0)} tokens/s` : '';
      log.info(`test completion (${r.stopReason}, first token ${r.firstTokenMs?.toFixed(0) ?? '?'} ms, total ${r.totalMs.toFixed(0)} ms${rate}): ${JSON.stringify(r.text)}`);
      if (!args) void vscode.window.showInformationMessage(`Completion (${r.totalMs.toFixed(0)} ms${rate}): ${JSON.stringify(r.text.slice(0, 120))}`);
      return r;
    } catch (e) {
      if (args) throw e;
      if (!isBackendError(e, 'aborted')) void vscode.window.showErrorMessage(`Tokenscope: ${errorMessage(e)}`, 'Show Log').then((a) => a && channel.show());
      return undefined;
    }
  });

  const apiKey = vscode.commands.registerCommand(COMMAND_SET_API_KEY, async (args?: { key?: string }): Promise<boolean> => {
    const key = args?.key ?? (await vscode.window.showInputBox({ title: 'API key of the OpenAI-compatible server', password: true, prompt: 'Stored in the OS keychain (VS Code SecretStorage). Empty: remove it.', ignoreFocusOut: true }));
    if (key === undefined) return false;
    if (key) await context.secrets.store(SECRET_API_KEY, key);
    else await context.secrets.delete(SECRET_API_KEY);
    return true;
  });

  const showLog = vscode.commands.registerCommand(COMMAND_SHOW_LOG, () => channel.show());
  const retry = vscode.commands.registerCommand(COMMAND_RETRY_BACKEND, async () => {
    service.reset();
    try {
      await service.acquire();
    } catch {
      // the state and the log say why
    }
  });

  const menu = vscode.commands.registerCommand(COMMAND_BACKEND_MENU, async () => {
    const s = service.state;
    const items: (vscode.QuickPickItem & { command: string })[] = [];
    if (s.kind === 'error') items.push({ label: '$(refresh) Retry', command: COMMAND_RETRY_BACKEND });
    if (s.kind !== 'off' && !(s.kind === 'error' && s.code.startsWith('model-'))) items.push({ label: '$(info) Show Model Info', command: COMMAND_SHOW_MODEL_INFO }, { label: '$(play) Test Completion', command: COMMAND_TEST_COMPLETION });
    items.push(
      { label: '$(file-binary) Pick Model…', command: COMMAND_PICK_MODEL },
      { label: '$(cloud-download) Download Model…', command: COMMAND_DOWNLOAD_MODEL },
      { label: '$(server-environment) Select Completion Backend…', command: COMMAND_SELECT_BACKEND },
    );
    if (service.kind === 'openai') items.push({ label: '$(key) Set Server API Key…', command: COMMAND_SET_API_KEY });
    items.push({ label: '$(output) Show Log', command: COMMAND_SHOW_LOG });
    const pick = await vscode.window.showQuickPick(items, { title: `Tokenscope completions: ${s.kind === 'off' ? 'off' : s.label}` });
    if (pick) await vscode.commands.executeCommand(pick.command);
  });

  return vscode.Disposable.from(pickModel, download, info, select, test, apiKey, showLog, retry, menu);
}
