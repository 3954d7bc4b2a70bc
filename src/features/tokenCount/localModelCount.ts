import type * as vscode from 'vscode';
import { Delayer } from '../../common/async';
import { Disposable, toDisposable } from '../../common/dispose';
import { errorMessage, isAbortError } from '../../common/errors';
import type { ILogger } from '../../common/logger';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import type { LocalModelTokenizer } from '../../services/backendService';

/** Counts a moment after the last edit: one count per pause in typing, not one per keystroke (ms). */
const COUNT_DELAY_MS = 400;

/**
 * Documents up to this long (UTF-16 units) are counted at once on the host: ≤ 7 ms at the slowest
 * rate seen (binary junk, ~5 MB/s), ~1 ms for code; the worker would be started (and the model's
 * vocabulary read into it) for every pause in typing in ordinary files.
 */
const INLINE_LIMIT = 32 * 1024;

/**
 * Documents longer than this (UTF-16 units) get no local-model count: reading the text out of VS
 * Code's document (`getText`, ~3 ms per MB on the host thread) and posting it to the worker is the
 * cost left on the host.
 */
const COUNT_LIMIT = 1024 * 1024;

export interface LocalModelTokens {
  readonly name: string;
  readonly tokens: number;
}

/**
 * The loaded local model's count of a whole document, for the token-count tooltip (DESIGN §3.3: the
 * count for the model actually used). The model's tokenizer is not incremental and its speed
 * depends on the text (36 MB/s on code, ~5 MB/s on binary junk: a 256 KB binary file cost 54 ms of
 * host CPU when it was counted on the host per version), so beyond small documents the count runs
 * in the tokenizer worker, debounced, and is shown only for the version it counted.
 */
export class LocalModelCount extends Disposable {
  private readonly delayer = this._register(new Delayer(COUNT_DELAY_MS));
  /** The last count: key `${modelPath}\0${uri}\0${version}`. */
  private last: { readonly key: string; readonly result: LocalModelTokens } | undefined;
  /** The count in flight (or scheduled): its key and how to drop it. */
  private pending: { readonly key: string; readonly abort: AbortController } | undefined;

  constructor(
    private readonly background: Pick<BackgroundTokenizer, 'modelCount'>,
    /** Called when a count arrives for the document it was asked for. */
    private readonly onCounted: () => void,
    private readonly log: ILogger,
  ) {
    super();
    this._register(toDisposable(() => this.pending?.abort.abort()));
  }

  /** The count of `doc`'s current version by `model`, or undefined while it is being counted (then counts it). */
  countOf(doc: vscode.TextDocument, model: LocalModelTokenizer): LocalModelTokens | undefined {
    const key = `${model.modelPath}\0${doc.uri.toString()}\0${doc.version}`;
    if (this.last?.key === key) return this.last.result;
    const length = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
    if (length <= INLINE_LIMIT) {
      this.pending?.abort.abort();
      this.pending = undefined;
      this.last = { key, result: { name: model.name, tokens: model.count(doc.getText()) } };
      return this.last.result;
    }
    if (this.pending?.key !== key && length <= COUNT_LIMIT) this.schedule(key, doc, model);
    return undefined;
  }

  private schedule(key: string, doc: vscode.TextDocument, model: LocalModelTokenizer): void {
    this.pending?.abort.abort();
    const abort = new AbortController();
    this.pending = { key, abort };
    this.delayer.trigger(() => {
      if (abort.signal.aborted || doc.isClosed) return;
      this.background.modelCount(model.modelPath, doc.getText(), abort.signal).then(
        (tokens) => {
          if (this.pending?.key !== key) return;
          this.pending = undefined;
          this.last = { key, result: { name: model.name, tokens } };
          this.onCounted();
        },
        (e: unknown) => {
          if (this.pending?.key === key) this.pending = undefined;
          if (!isAbortError(e)) this.log.warn(`could not count with the local model: ${errorMessage(e)}`);
        },
      );
    });
  }
}
