import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { COMMAND_DOWNLOAD_MODEL } from '../../commandIds';
import { errorMessage } from '../../common/errors';
import type { ILogger } from '../../common/logger';
import { readModelInfo } from '../../core/backend/local/modelInfo';
import { MODEL_CATALOG, type CatalogModel } from '../../core/backend/modelCatalog';
import { downloadFile, isDownloadError, type DownloadProgress, type DownloadResult } from '../../core/download/downloader';
import { withSignal } from '../../util/cancellation';
import type { Command } from '../../util/command';
import type { ModelFiles } from './modelFiles';

export interface DownloadArgs {
  readonly url: string;
  readonly fileName: string;
  readonly sha256?: string;
  readonly size?: number;
  /** Make it the model at once (no question). */
  readonly use?: boolean;
}

type Wanted = Pick<CatalogModel, 'label' | 'url' | 'fileName' | 'sha256'> & { size?: number };

/** Megabytes with one decimal below 10 MB. */
export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
}

/**
 * "Download Model…": a FIM model from the catalog (or `args`), resumable, size and SHA-256 checked,
 * renamed into place only when verified, with cancellable progress; then offers to use it. With
 * `args` nothing is asked (tests, links) and failures are thrown instead of shown.
 */
export class DownloadModelCommand implements Command {
  readonly id = COMMAND_DOWNLOAD_MODEL;

  constructor(
    private readonly files: ModelFiles,
    private readonly log: ILogger,
  ) {}

  async execute(args?: DownloadArgs): Promise<DownloadResult | undefined> {
    const model = args?.url && args.fileName ? fromArgs(args) : await pickFromCatalog();
    if (!model) return undefined;
    const dest = path.join(this.files.dir, model.fileName);
    if (fs.existsSync(dest)) {
      this.log.info(`already downloaded: ${dest}`);
      if (await this.shouldUse(args, `${model.label} is already downloaded.`)) await this.files.use(dest);
      return { path: dest, bytes: fs.statSync(dest).size, sha256: '', checkedAgainst: 'none', resumedFrom: 0, redirects: 0 };
    }
    fs.mkdirSync(this.files.dir, { recursive: true });
    this.log.info(`downloading ${model.url} → ${dest}`);
    let result: DownloadResult;
    try {
      result = await downloadWithProgress(model, dest);
    } catch (e) {
      this.log.error(`download failed: ${errorMessage(e)}`);
      if (!args) {
        if (isDownloadError(e, 'aborted')) void vscode.window.showInformationMessage('Download cancelled. Run Download Model again to resume it.');
        else void vscode.window.showErrorMessage(`Download failed: ${errorMessage(e)}`);
      }
      throw e;
    }
    this.log.info(`downloaded ${result.bytes} bytes, sha256 ${result.sha256} (checked against ${result.checkedAgainst}${result.resumedFrom ? `, resumed at ${result.resumedFrom}` : ''})`);
    try {
      readModelInfo(dest).tokenizer.dispose();
    } catch (e) {
      this.log.error(`downloaded file is not usable: ${errorMessage(e)}`);
      if (!args) void vscode.window.showErrorMessage(`The downloaded file cannot be used: ${errorMessage(e)}`);
      return result;
    }
    if (await this.shouldUse(args, `${model.label} downloaded (${mb(result.bytes)} MB, SHA-256 verified).`)) await this.files.use(dest);
    return result;
  }

  /** `args.use`, or (interactive only) the user's answer to "Use This Model". */
  private async shouldUse(args: DownloadArgs | undefined, message: string): Promise<boolean> {
    if (args) return args.use === true;
    return (await vscode.window.showInformationMessage(message, 'Use This Model')) === 'Use This Model';
  }
}

function fromArgs(a: DownloadArgs): Wanted {
  return { label: a.fileName, url: a.url, fileName: path.basename(a.fileName), ...(a.sha256 ? { sha256: a.sha256 } : {}), ...(a.size ? { size: a.size } : {}) };
}

async function pickFromCatalog(): Promise<Wanted | undefined> {
  const items = MODEL_CATALOG.map((m) => ({ label: m.label, description: `≈${mb(m.approxBytes)} MB`, detail: `${m.description} From huggingface.co.`, model: m }));
  return (await vscode.window.showQuickPick(items, { title: 'Tokenscope: Download a FIM Model (from huggingface.co)' }))?.model;
}

function downloadWithProgress(model: Wanted, dest: string): Thenable<DownloadResult> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${model.label}`, cancellable: true }, (progress, token) => {
    const report = progressReporter(progress);
    return withSignal(token, (signal) =>
      downloadFile({ url: model.url, dest, ...(model.sha256 ? { sha256: model.sha256 } : {}), ...(model.size ? { size: model.size } : {}), signal, onProgress: report }),
    );
  });
}

/** Turns download progress into notification updates: at most every 200 ms while downloading, with the rate. */
function progressReporter(progress: vscode.Progress<{ message?: string; increment?: number }>): (p: DownloadProgress) => void {
  let lastPct = 0;
  let lastReport = 0;
  const t0 = performance.now();
  return (p) => {
    const now = performance.now();
    if (now - lastReport < 200 && p.phase === 'downloading') return;
    lastReport = now;
    const pct = p.total ? (100 * p.bytes) / p.total : 0;
    const rate = p.phase === 'downloading' ? ` · ${mb(((p.bytes - p.resumedFrom) / Math.max(1, now - t0)) * 1000)} MB/s` : '';
    const what =
      p.phase === 'checking-partial'
        ? 'checking the partial download'
        : p.phase === 'verifying'
          ? 'verifying'
          : `${mb(p.bytes)}${p.total ? ` / ${mb(p.total)}` : ''} MB${rate}${p.resumedFrom ? ' (resumed)' : ''}`;
    progress.report({ message: what, increment: p.phase === 'downloading' ? Math.max(0, pct - lastPct) : 0 });
    if (p.phase === 'downloading') lastPct = Math.max(lastPct, pct);
  };
}
