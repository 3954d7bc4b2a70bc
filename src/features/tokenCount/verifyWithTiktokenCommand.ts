import * as vscode from 'vscode';
import { COMMAND_VERIFY_WITH_TIKTOKEN } from '../../commandIds';
import { errorMessage } from '../../common/errors';
import type { ILogger } from '../../common/logger';
import { formatCount } from '../../core/format/formatCount';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import type { EncodingName } from '../../core/tokenizer/encodings';
import type { TokenModels } from '../../services/tokenModels';
import { withSignal } from '../../util/cancellation';
import type { Command } from '../../util/command';
import { activeEditorFor } from '../../util/editor';

export interface VerifyResult {
  readonly encoding: EncodingName;
  readonly identical: boolean;
  readonly tokens: number;
  readonly referenceTokens: number;
  /** First token index where the ids differ, or -1. */
  readonly firstDifference: number;
  /** tiktoken's encode time in the worker (ms). */
  readonly referenceMs: number;
}

/**
 * "Tokenscope: Verify Token Count with tiktoken": re-encodes the active document with tiktoken's own
 * WASM build (in the worker thread, never on the extension host) and compares every id with
 * Tokenscope's incremental model. A trust check for users, and a live end-to-end oracle in tests.
 */
export class VerifyWithTiktokenCommand implements Command {
  readonly id = COMMAND_VERIFY_WITH_TIKTOKEN;

  constructor(
    private readonly models: TokenModels,
    private readonly background: BackgroundTokenizer,
    private readonly logger: ILogger,
  ) {}

  async execute(): Promise<VerifyResult | undefined> {
    const editor = activeEditorFor('verify its token count');
    if (!editor) return undefined;
    const doc = editor.document;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Tokenscope: encoding with tiktoken (WASM)…', cancellable: true },
      async (_progress, token): Promise<VerifyResult | undefined> => {
        try {
          return await withSignal(token, (signal) => this.verify(doc, token, signal));
        } catch (e) {
          if (token.isCancellationRequested) return undefined;
          void vscode.window.showErrorMessage(`Tokenscope: verification failed: ${errorMessage(e)}`);
          return undefined;
        }
      },
    );
  }

  private async verify(doc: vscode.TextDocument, token: vscode.CancellationToken, signal: AbortSignal): Promise<VerifyResult | undefined> {
    const { model, encoding } = await this.models.whenReady(doc, token);
    const version = doc.version;
    const ours = model.ids();
    const ref = await this.background.referenceEncode(encoding, model.getText(), signal);
    if (doc.version !== version) {
      void vscode.window.showWarningMessage('Tokenscope: the document changed during verification; run it again.');
      return undefined;
    }
    const first = firstDifference(ours, ref.ids);
    const result: VerifyResult = { encoding, identical: first < 0, tokens: ours.length, referenceTokens: ref.ids.length, firstDifference: first, referenceMs: ref.ms };
    if (result.identical) {
      void vscode.window.showInformationMessage(`Tokenscope: identical to tiktoken — ${formatCount(ours.length)} tokens (${encoding}).`);
    } else {
      this.logger.error(`[verify] ${doc.uri.toString()}: ${encoding} differs from tiktoken at token ${first}: ours ${ours[first]}, tiktoken ${ref.ids[first]}`);
      void vscode.window.showErrorMessage(`Tokenscope: differs from tiktoken at token ${formatCount(first)} — please report it (details in the Tokenscope log).`);
    }
    return result;
  }
}

/** The first index where two id sequences differ (a length difference counts), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
