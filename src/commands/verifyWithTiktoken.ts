import * as vscode from 'vscode';
import { errorMessage } from '../common/errors';
import type { ILogger } from '../common/logger';
import { formatCount } from '../core/format/formatCount';
import type { BackgroundTokenizer } from '../core/tokenizer/backgroundTokenizer';
import type { EncodingName } from '../core/tokenizer/encodings';
import type { TokenModels } from '../features/tokenModel/tokenModels';
import { COMMAND_VERIFY_WITH_TIKTOKEN } from './commandIds';

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
export function register(models: TokenModels, background: BackgroundTokenizer, logger: ILogger): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_VERIFY_WITH_TIKTOKEN, async (): Promise<VerifyResult | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Tokenscope: open an editor to verify its token count.');
      return undefined;
    }
    const doc = editor.document;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Tokenscope: encoding with tiktoken (WASM)…', cancellable: true },
      async (_progress, token): Promise<VerifyResult | undefined> => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        try {
          const { model, encoding } = await models.whenReady(doc, token);
          const version = doc.version;
          const ours = model.ids();
          const ref = await background.referenceEncode(encoding, model.getText(), ac.signal);
          if (doc.version !== version) {
            void vscode.window.showWarningMessage('Tokenscope: the document changed during verification; run it again.');
            return undefined;
          }
          let first = -1;
          const n = Math.min(ours.length, ref.ids.length);
          for (let i = 0; i < n; i++) {
            if (ours[i] !== ref.ids[i]) {
              first = i;
              break;
            }
          }
          if (first < 0 && ours.length !== ref.ids.length) first = n;
          const result: VerifyResult = { encoding, identical: first < 0, tokens: ours.length, referenceTokens: ref.ids.length, firstDifference: first, referenceMs: ref.ms };
          if (result.identical) {
            void vscode.window.showInformationMessage(`Tokenscope: identical to tiktoken — ${formatCount(ours.length)} tokens (${encoding}).`);
          } else {
            logger.error(`[verify] ${doc.uri.toString()}: ${encoding} differs from tiktoken at token ${first}: ours ${ours[first]}, tiktoken ${ref.ids[first]}`);
            void vscode.window.showErrorMessage(`Tokenscope: differs from tiktoken at token ${formatCount(first)} — please report it (details in the Tokenscope log).`);
          }
          return result;
        } catch (e) {
          if (token.isCancellationRequested) return undefined;
          void vscode.window.showErrorMessage(`Tokenscope: verification failed: ${errorMessage(e)}`);
          return undefined;
        } finally {
          sub.dispose();
        }
      },
    );
  });
}
