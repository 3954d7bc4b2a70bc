import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { errorMessage } from '../../common/errors';
import { withComponent, type ILogger } from '../../common/logger';
import { formatCharsPerToken, formatCount } from '../../core/format/formatCount';
import type { EncodingName } from '../../core/tokenizer/tokenizer';
import type { TokenizerRegistry } from '../../core/tokenizer/tokenizerRegistry';
import type { Configuration } from '../../configuration';
import { COMMAND_COUNT_TOKENS } from '../../commands/commandIds';

/** What the status item shows; also read by the integration tests through the extension's exports. */
export type TokenCountSnapshot =
  | { readonly kind: 'hidden' }
  | {
      readonly kind: 'counted';
      readonly uri: string;
      readonly version: number;
      readonly encoding: EncodingName;
      readonly documentTokens: number;
      readonly documentChars: number;
      /** Sum over all non-empty selections; undefined without a selection. */
      readonly selectionTokens: number | undefined;
      readonly selectionChars: number | undefined;
      readonly text: string;
    }
  | { readonly kind: 'error'; readonly uri: string; readonly message: string; readonly text: string };

/** After a document edit the count waits this long for the typing to pause (ms). */
const EDIT_DEBOUNCE_MS = 150;

/**
 * One status-bar item with the token count of the active editor: the document, or the selection
 * when there is one. The document count is cached per (uri, version, encoding), so moving the
 * selection costs only the selected text.
 */
export class TokenCountStatus extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly log: ILogger;
  private snapshotValue: TokenCountSnapshot = { kind: 'hidden' };
  private readonly changed = this._register(new vscode.EventEmitter<TokenCountSnapshot>());
  readonly onDidChange = this.changed.event;
  private docCache: { key: string; tokens: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: TokenizerRegistry,
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
        if (e.textEditor === vscode.window.activeTextEditor) {
          this.refresh();
        }
      }),
    );
    this._register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document && e.contentChanges.length > 0) {
          this.schedule();
        }
      }),
    );
    this._register(config.onDidChange(() => this.refresh()));
    this.refresh();
  }

  get snapshot(): TokenCountSnapshot {
    return this.snapshotValue;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), EDIT_DEBOUNCE_MS);
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
    const { encoding } = this.config.forDocument(doc);
    try {
      const tokenizer = this.registry.get(encoding);
      const key = `${doc.uri.toString()}#${doc.version}#${encoding}`;
      if (this.docCache?.key !== key) {
        const t0 = performance.now();
        this.docCache = { key, tokens: tokenizer.count(doc.getText()) };
        this.log.trace(`${doc.uri.toString()} v${doc.version}: ${this.docCache.tokens} tokens in ${(performance.now() - t0).toFixed(1)} ms`);
      }
      const documentTokens = this.docCache.tokens;
      const documentChars = doc.getText().length;
      const selections = editor.selections.filter((s) => !s.isEmpty);
      let selectionTokens: number | undefined;
      let selectionChars: number | undefined;
      if (selections.length > 0) {
        selectionTokens = 0;
        selectionChars = 0;
        for (const s of selections) {
          const text = doc.getText(s);
          selectionTokens += tokenizer.count(text);
          selectionChars += text.length;
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
      this.publish({
        kind: 'counted',
        uri: doc.uri.toString(),
        version: doc.version,
        encoding,
        documentTokens,
        documentChars,
        selectionTokens,
        selectionChars,
        text,
      });
    } catch (e) {
      // A tokenizer that fails to load must not take the extension down: show it, log it once per state.
      const message = errorMessage(e);
      const text = '$(warning) tokens';
      this.item.text = text;
      this.item.tooltip = `Tokenscope could not count tokens: ${message}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.item.show();
      if (this.snapshotValue.kind !== 'error' || this.snapshotValue.message !== message) {
        this.log.error(`counting ${doc.uri.toString()} failed: ${message}`);
      }
      this.publish({ kind: 'error', uri: doc.uri.toString(), message, text });
    }
  }

  private publish(s: TokenCountSnapshot): void {
    this.snapshotValue = s;
    this.changed.fire(s);
  }
}

export function register(registry: TokenizerRegistry, config: Configuration, logger: ILogger): TokenCountStatus {
  return new TokenCountStatus(registry, config, logger);
}
