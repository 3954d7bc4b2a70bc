import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { withComponent, type ILogger } from '../../common/logger';
import { formatCharsPerToken, formatCount } from '../../core/format/formatCount';
import type { EncodingName } from '../../core/tokenizer/encodings';
import type { Configuration } from '../../configuration';
import { COMMAND_COUNT_TOKENS } from '../../commands/commandIds';
import type { TokenModels } from '../tokenModel/tokenModels';

/** What the status item shows; also read by the integration tests through the extension's exports. */
export type TokenCountSnapshot =
  | { readonly kind: 'hidden' }
  | { readonly kind: 'building'; readonly uri: string; readonly encoding: EncodingName; readonly progress: number; readonly text: string }
  | {
      readonly kind: 'counted';
      readonly uri: string;
      readonly version: number;
      readonly encoding: EncodingName;
      readonly documentTokens: number;
      /** UTF-16 code units. */
      readonly documentChars: number;
      /** Sum over all non-empty selections, each counted as if sent alone; undefined without a selection. */
      readonly selectionTokens: number | undefined;
      readonly selectionChars: number | undefined;
      readonly text: string;
    }
  | { readonly kind: 'error'; readonly uri: string; readonly message: string; readonly text: string };

/** Coalesces bursts of events (typing, selection drags) into one status update (ms). */
const REFRESH_DELAY_MS = 30;

/**
 * One status-bar item with the token count of the active editor: the document, or the selection when
 * there is one. Counts come from the document's incremental token model, so a refresh costs O(1)
 * for the document and O(selection) at most for selections (long selections reuse the model).
 */
export class TokenCountStatus extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly log: ILogger;
  private snapshotValue: TokenCountSnapshot = { kind: 'hidden' };
  private readonly changed = this._register(new vscode.EventEmitter<TokenCountSnapshot>());
  readonly onDidChange = this.changed.event;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly models: TokenModels,
    private readonly config: Configuration,
    logger: ILogger,
  ) {
    super();
    this.log = withComponent(logger, 'tokenCount');
    this.item = this._register(vscode.window.createStatusBarItem('tokenscope.tokenCount', vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'Tokenscope Token Count';
    this.item.command = COMMAND_COUNT_TOKENS;
    this._register({ dispose: () => clearTimeout(this.timer) });
    this._register(vscode.window.onDidChangeActiveTextEditor(() => this.refresh()));
    this._register(
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === vscode.window.activeTextEditor) this.schedule();
      }),
    );
    this._register(
      models.onDidChange((doc) => {
        if (doc === vscode.window.activeTextEditor?.document) this.schedule();
      }),
    );
    this._register(config.onDidChange(() => this.refresh()));
    this.refresh();
  }

  get snapshot(): TokenCountSnapshot {
    return this.snapshotValue;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  private refresh(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const editor = vscode.window.activeTextEditor;
    if (!editor || !this.config.windowSettings.statusBarEnabled) {
      this.item.hide();
      this.publish({ kind: 'hidden' });
      return;
    }
    const doc = editor.document;
    const uri = doc.uri.toString();
    const state = this.models.get(doc);
    if (state.kind === 'building') {
      const pct = Math.floor(state.progress * 100);
      const text = `$(sync~spin) tokens ${pct}%`;
      this.item.text = text;
      this.item.tooltip = `Tokenscope is tokenizing this document (${state.encoding}) in the background`;
      this.item.backgroundColor = undefined;
      this.item.show();
      this.publish({ kind: 'building', uri, encoding: state.encoding, progress: state.progress, text });
      return;
    }
    if (state.kind === 'error') {
      const text = '$(warning) tokens';
      this.item.text = text;
      this.item.tooltip = `Tokenscope could not count tokens: ${state.message}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.item.show();
      this.publish({ kind: 'error', uri, message: state.message, text });
      return;
    }
    const { model, encoding } = state;
    const documentTokens = model.tokenCount;
    const documentChars = model.length;
    const selections = editor.selections.filter((s) => !s.isEmpty);
    let selectionTokens: number | undefined;
    let selectionChars: number | undefined;
    if (selections.length > 0) {
      selectionTokens = 0;
      selectionChars = 0;
      for (const s of selections) {
        const a = doc.offsetAt(s.start);
        const b = doc.offsetAt(s.end);
        selectionTokens += model.countRange(a, b);
        selectionChars += b - a;
      }
    }
    const text =
      selectionTokens === undefined
        ? `$(symbol-numeric) ${formatCount(documentTokens)} tokens`
        : `$(symbol-numeric) ${formatCount(selectionTokens)} of ${formatCount(documentTokens)} tokens`;
    this.item.text = text;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Tokenscope** — \`${encoding}\`\n\n`);
    md.appendMarkdown(`Document: ${formatCount(documentTokens)} tokens, ${formatCharsPerToken(documentChars, documentTokens)} chars/token\n\n`);
    if (selectionTokens !== undefined && selectionChars !== undefined) {
      md.appendMarkdown(`Selection: ${formatCount(selectionTokens)} tokens, ${formatCharsPerToken(selectionChars, selectionTokens)} chars/token\n\n`);
    }
    this.item.tooltip = md;
    this.item.backgroundColor = undefined;
    this.item.show();
    this.publish({ kind: 'counted', uri, version: doc.version, encoding, documentTokens, documentChars, selectionTokens, selectionChars, text });
  }

  private publish(s: TokenCountSnapshot): void {
    const prev = this.snapshotValue;
    this.snapshotValue = s;
    if (s.kind === 'error' && (prev.kind !== 'error' || prev.message !== s.message)) this.log.warn(s.message);
    this.changed.fire(s);
  }
}

export function register(models: TokenModels, config: Configuration, logger: ILogger): TokenCountStatus {
  return new TokenCountStatus(models, config, logger);
}
