import * as vscode from 'vscode';
import { nextEvent, type Event } from '../common/async';
import { combinedDisposable, Disposable } from '../common/dispose';
import { errorMessage, isAbortError } from '../common/errors';
import type { ILogger } from '../common/logger';
import type { BackgroundTokenizer } from '../core/tokenizer/backgroundTokenizer';
import type { BpeTokenizer } from '../core/tokenizer/bpeTokenizer';
import { DocumentTokens } from '../core/tokenizer/documentTokens';
import type { EncodingName } from '../core/tokenizer/encodings';
import type { TokenizerRegistry } from '../core/tokenizer/tokenizerRegistry';
import type { TrackedEdit } from '../core/glitch/glitchTracker';
import type { ScopedSettingSlice } from '../configuration';
import { signalOf } from '../util/cancellation';

/**
 * Documents (and single inserts) above this many UTF-16 units are tokenized in the worker. The cost
 * per unit depends on the text: 0.04 µs for code but 0.12 µs for base64 and 0.28 µs for binary
 * decoded as text (o200k, quiet machine); at 256 Ki units a binary paste held the host 234 ms under
 * load (hostile documents suite). At 64 Ki: ≤ 3 ms of code, ≤ 18 ms of binary on a quiet machine.
 */
export const BACKGROUND_THRESHOLD = 64 * 1024;
/** Token models kept for documents that are not visible (LRU); each costs ≈ 2× its text. */
const MAX_HIDDEN_MODELS = 8;

export type ModelState =
  | { readonly kind: 'ready'; readonly encoding: EncodingName; readonly model: DocumentTokens }
  | { readonly kind: 'building'; readonly encoding: EncodingName; readonly progress: number }
  | { readonly kind: 'error'; readonly encoding: EncodingName; readonly message: string };

/** The edits of one change event as the model applied them (see DocumentTokens.applyEdit). */
export interface ModelEditEvent {
  readonly document: vscode.TextDocument;
  readonly model: DocumentTokens;
  readonly edits: readonly TrackedEdit[];
}

interface PendingEdit {
  readonly offset: number;
  readonly deleteLength: number;
  readonly text: string;
}

interface Entry {
  readonly document: vscode.TextDocument;
  state: ModelState;
  /** Edits that arrived while the worker was tokenizing a snapshot; replayed on its result. */
  pending: PendingEdit[];
  abort?: AbortController;
  lastUsed: number;
}

/**
 * The incremental token model of each document the UI asks about: created on the calling thread for
 * small documents and in the worker for large ones (with progress), updated on every change event
 * by re-lexing only around each edit, rebuilt when its encoding setting changes, dropped when the
 * document closes or falls out of a small LRU of hidden documents.
 */
export class TokenModels extends Disposable {
  private readonly entries = new Map<string, Entry>();
  /** Use counter for the LRU of hidden documents' models. */
  private clock = 0;
  private readonly changed = this._register(new vscode.EventEmitter<vscode.TextDocument>());
  /** Fires after a document's model was built, updated or failed. */
  readonly onDidChange = this.changed.event;
  private readonly edited = this._register(new vscode.EventEmitter<ModelEditEvent>());
  /**
   * Fires (before onDidChange) when a ready model absorbed the edits of one change event
   * incrementally; a model that was rebuilt instead is a new object (consumers compare identity).
   */
  readonly onDidEdit = this.edited.event;
  private readonly dropped = this._register(new vscode.EventEmitter<vscode.TextDocument>());

  constructor(
    private readonly registry: TokenizerRegistry,
    private readonly background: BackgroundTokenizer,
    private readonly encodingSetting: ScopedSettingSlice<EncodingName>,
    /** With its `[tokenModel]` prefix. */
    private readonly log: ILogger,
  ) {
    super();
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.drop(d.uri.toString())));
    this._register(
      encodingSetting.onDidChange(() => {
        const stale = [...this.entries].filter(([, e]) => this.encodingSetting.of(e.document) !== e.state.encoding);
        for (const [key, entry] of stale) {
          this.drop(key);
          this.get(entry.document);
          // a small document's new model is ready at once: consumers learn of it here
          this.changed.fire(entry.document);
        }
      }),
    );
    this._register({ dispose: () => this.entries.forEach((_, k) => this.drop(k)) });
    // the encoding the first document will most likely need, built in slices before it is opened
    // (o200k's rank table in one go is a 30–75 ms host task; a document opened earlier builds it at once)
    void registry.preload(this.encodingOf(vscode.window.activeTextEditor?.document));
  }

  /** The model state of `document`, starting its tokenization if needed. */
  get(document: vscode.TextDocument): ModelState {
    const key = document.uri.toString();
    let entry = this.entries.get(key);
    const encoding = this.encodingSetting.of(document);
    // a closed document's model would never be dropped again (its close event is past)
    if (document.isClosed && entry?.document !== document) return { kind: 'error', encoding, message: 'the document is closed' };
    if (entry && entry.state.encoding !== encoding) {
      this.drop(key);
      entry = undefined;
    }
    if (!entry) {
      entry = { document, state: { kind: 'building', encoding, progress: 0 }, pending: [], lastUsed: 0 };
      this.entries.set(key, entry);
      this.build(entry, encoding);
      this.evict();
    }
    entry.lastUsed = ++this.clock;
    return entry.state;
  }

  /**
   * Resolves with the model once it is ready (now, or after the worker). Rejects when it fails, when
   * the document is closed meanwhile, or (CancellationError) as soon as `token` is cancelled.
   */
  async whenReady(document: vscode.TextDocument, token?: vscode.CancellationToken): Promise<{ model: DocumentTokens; encoding: EncodingName }> {
    const cancel = signalOf(token);
    try {
      for (;;) {
        const s = this.get(document);
        if (s.kind === 'ready') return { model: s.model, encoding: s.encoding };
        if (s.kind === 'error') throw new Error(s.message);
        await nextEvent(this.onDidSettle, (d) => d === document, cancel.signal, () => new vscode.CancellationError());
      }
    } finally {
      cancel.dispose();
    }
  }

  /** onDidChange, and a model dropped (document closed, evicted, encoding changed): what `whenReady` waits for. */
  private readonly onDidSettle: Event<vscode.TextDocument> = (listener) => {
    return combinedDisposable(this.onDidChange(listener), this.dropped.event(listener));
  };

  /** The encoding that applies to `document` (undefined: the window's default). */
  encodingOf(document: vscode.TextDocument | undefined): EncodingName {
    return this.encodingSetting.of(document);
  }

  /** The tokenizer of the encoding that applies to `document`, for text that is not the document's own. */
  tokenizerOf(document: vscode.TextDocument | undefined): BpeTokenizer {
    return this.registry.get(this.encodingOf(document));
  }

  /** Models currently held (for tests and memory accounting). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Small documents on this thread (≤ ~5 ms), large ones in the worker with progress. An encoding
   * not loaded yet (a switch, a document opened before the preload ended) is loaded first in slices:
   * its rank table at once is a 30–75 ms host task. Edits meanwhile are in the text read after it.
   */
  private build(entry: Entry, encoding: EncodingName): void {
    if (this.registry.has(encoding)) return this.buildLoaded(entry, encoding);
    const waiting = entry.state; // replaced by a rebuild, a drop or an encoding switch meanwhile
    void this.registry.preload(encoding).then(() => {
      if (entry.state !== waiting || this.entries.get(entry.document.uri.toString()) !== entry) return;
      entry.pending = [];
      this.buildLoaded(entry, encoding);
      if (entry.state.kind === 'ready') this.changed.fire(entry.document);
    });
  }

  private buildLoaded(entry: Entry, encoding: EncodingName): void {
    const text = entry.document.getText();
    if (text.length <= BACKGROUND_THRESHOLD) this.buildHere(entry, encoding, text);
    else this.buildInWorker(entry, encoding, text);
  }

  /** The encoding's tokenizer, or undefined after putting the entry in its error state. */
  private tokenizerFor(entry: Entry, encoding: EncodingName): BpeTokenizer | undefined {
    try {
      return this.registry.get(encoding);
    } catch (e) {
      this.fail(entry, encoding, `could not load the ${encoding} tokenizer: ${errorMessage(e)}`);
      return undefined;
    }
  }

  private buildHere(entry: Entry, encoding: EncodingName, text: string): void {
    const tokenizer = this.tokenizerFor(entry, encoding);
    if (!tokenizer) return;
    const t0 = performance.now();
    entry.state = { kind: 'ready', encoding, model: DocumentTokens.build(tokenizer, text) };
    this.log.trace(`${entry.document.uri.toString()}: ${text.length} units tokenized in ${(performance.now() - t0).toFixed(1)} ms`);
  }

  /** The worker lexes a snapshot; edits made meanwhile are queued and replayed on its result. */
  private buildInWorker(entry: Entry, encoding: EncodingName, text: string): void {
    const doc = entry.document;
    const abort = new AbortController();
    entry.abort = abort;
    entry.pending = [];
    const version = doc.version;
    const t0 = performance.now();
    const work = this.background.tokenize(encoding, text, {
      signal: abort.signal,
      onProgress: (done) => {
        if (entry.state.kind !== 'building') return;
        entry.state = { kind: 'building', encoding, progress: done / text.length };
        this.changed.fire(doc);
      },
    });
    // Loaded while the worker runs (the model needs it for edits afterwards).
    const tokenizer = this.tokenizerFor(entry, encoding);
    if (!tokenizer) {
      abort.abort();
      work.catch(() => undefined);
      return;
    }
    work.then(
      (arrays) => {
        if (abort.signal.aborted) return;
        entry.abort = undefined;
        const model = DocumentTokens.fromBlockArrays(tokenizer, text, arrays);
        for (const p of entry.pending) model.applyEdit(p.offset, p.deleteLength, p.text);
        entry.pending = [];
        entry.state = { kind: 'ready', encoding, model };
        this.log.info(`${doc.uri.toString()}: ${text.length} units, ${model.tokenCount} tokens in ${(performance.now() - t0).toFixed(0)} ms (worker)`);
        // unedited since the snapshot: the model has the snapshot's length, nothing to check (the
        // check's first offsetAt makes VS Code index every line: 21 ms for 10 MB, in this task)
        if (doc.version !== version) this.checkLength(entry);
        this.changed.fire(doc);
      },
      (e: unknown) => {
        if (isAbortError(e) || abort.signal.aborted) return;
        this.fail(entry, encoding, `tokenization failed: ${errorMessage(e)}`);
      },
    );
  }

  private fail(entry: Entry, encoding: EncodingName, message: string): void {
    entry.state = { kind: 'error', encoding, message };
    this.log.error(`${entry.document.uri.toString()}: ${message}`);
    this.changed.fire(entry.document);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const entry = this.entries.get(e.document.uri.toString());
    if (!entry || e.contentChanges.length === 0) return;
    const s = entry.state;
    if (s.kind === 'building') {
      for (const c of e.contentChanges) entry.pending.push({ offset: c.rangeOffset, deleteLength: c.rangeLength, text: c.text });
      return;
    }
    if (s.kind === 'error') return;
    // A huge paste is a new document as far as cost goes: rebuild it in the worker.
    if (e.contentChanges.some((c) => c.text.length > BACKGROUND_THRESHOLD)) {
      entry.state = { kind: 'building', encoding: s.encoding, progress: 0 };
      this.build(entry, s.encoding);
      this.changed.fire(e.document);
      return;
    }
    const edits: TrackedEdit[] = [];
    try {
      // Changes of one event apply in order, each against the result of the previous one.
      for (const c of e.contentChanges) {
        const st = s.model.applyEdit(c.rangeOffset, c.rangeLength, c.text);
        edits.push({ offset: c.rangeOffset, deleteLength: c.rangeLength, insertLength: c.text.length, relexStart: st.relexStart, relexEnd: st.relexEnd });
      }
    } catch (err) {
      this.log.error(`incremental update failed, rebuilding: ${errorMessage(err)}`);
      this.rebuild(entry);
      return;
    }
    this.checkLength(entry);
    if (entry.state === s) this.edited.fire({ document: e.document, model: s.model, edits });
    this.changed.fire(e.document);
  }

  /** Self-check after updates: the model must have the document's length (O(log lines)). */
  private checkLength(entry: Entry): void {
    if (entry.state.kind !== 'ready') return;
    const d = entry.document;
    const len = d.offsetAt(d.lineAt(d.lineCount - 1).range.end);
    if (len !== entry.state.model.length) {
      this.log.warn(`${d.uri.toString()}: model length ${entry.state.model.length} ≠ document length ${len}; rebuilding`);
      this.rebuild(entry);
    }
  }

  private rebuild(entry: Entry): void {
    const encoding = entry.state.encoding;
    entry.abort?.abort();
    entry.state = { kind: 'building', encoding, progress: 0 };
    this.build(entry, encoding);
    this.changed.fire(entry.document);
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.abort?.abort();
    this.entries.delete(key);
    this.dropped.fire(entry.document);
  }

  private evict(): void {
    const visible = new Set(vscode.window.visibleTextEditors.map((e) => e.document.uri.toString()));
    const hidden = [...this.entries].filter(([k]) => !visible.has(k)).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    while (hidden.length > MAX_HIDDEN_MODELS) this.drop(hidden.shift()![0]);
  }
}
