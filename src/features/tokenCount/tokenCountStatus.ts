import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { withComponent, type ILogger } from '../../common/logger';
import { formatCharsPerToken, formatCount } from '../../core/format/formatCount';
import type { EncodingName } from '../../core/tokenizer/encodings';
import type { Configuration } from '../../configuration';
import { COMMAND_SELECT_ENCODING, COMMAND_SET_ENCODING, COMMAND_STATUS_BAR_MENU } from '../../commands/commandIds';
import { ENCODING_NAMES } from '../../core/tokenizer/encodings';
import { PRICES_AS_OF, formatShare, formatUsd, usage } from '../../core/pricing/models';
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
      /** The tooltip's markdown source. */
      readonly tooltip: string;
    }
  | { readonly kind: 'error'; readonly uri: string; readonly message: string; readonly text: string };

/** Coalesces bursts of events (typing, selection drags) into one status update (ms). */
const REFRESH_DELAY_MS = 30;

/**
 * The loaded local model's own tokenizer: its count goes into the tooltip (DESIGN §3.3: the count
 * for the model actually used). Not incremental, so only for documents up to this many UTF-16
 * units (≈7 ms at 36 MB/s), and once per document version.
 */
const LOCAL_MODEL_COUNT_LIMIT = 256 * 1024;

export interface LocalModelCounter {
  readonly name: string;
  count(text: string): number;
}

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
  /** Last local-model count: key `${model}\0${uri}\0${version}`. */
  private localCount: { key: string; tokens: number } | undefined;

  constructor(
    private readonly models: TokenModels,
    private readonly config: Configuration,
    logger: ILogger,
    private readonly localModel: () => LocalModelCounter | undefined = () => undefined,
    onDidChangeLocalModel?: vscode.Event<unknown>,
  ) {
    super();
    this.log = withComponent(logger, 'tokenCount');
    this.item = this._register(vscode.window.createStatusBarItem('tokenscope.tokenCount', vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'Tokenscope Token Count';
    this.item.command = COMMAND_STATUS_BAR_MENU;
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
    if (onDidChangeLocalModel) this._register(onDidChangeLocalModel(() => this.schedule()));
    this.refresh();
  }

  /** The local model's count of the whole document, when a model is loaded and the document is small enough. */
  private localModelTokens(doc: vscode.TextDocument): { name: string; tokens: number } | undefined {
    const m = this.localModel();
    if (!m) return undefined;
    const key = `${m.name}\0${doc.uri.toString()}\0${doc.version}`;
    if (this.localCount?.key !== key) {
      const text = doc.getText();
      if (text.length > LOCAL_MODEL_COUNT_LIMIT) return undefined;
      this.localCount = { key, tokens: m.count(text) };
    }
    return { name: m.name, tokens: this.localCount.tokens };
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
    const shownTokens = selectionTokens ?? documentTokens;
    const shownChars = selectionChars ?? documentChars;
    const cpt = formatCharsPerToken(shownChars, shownTokens);
    const text =
      selectionTokens === undefined
        ? `$(symbol-numeric) ${formatCount(documentTokens)} tokens · ${shortName(encoding)} · ${cpt} ch/t`
        : `$(symbol-numeric) ${formatCount(selectionTokens)} of ${formatCount(documentTokens)} tokens · ${shortName(encoding)} · ${cpt} ch/t`;
    this.item.text = text;
    this.item.accessibilityInformation = { label: `${formatCount(shownTokens)} ${encoding} tokens${selectionTokens === undefined ? '' : ' selected'}, ${cpt} characters per token` };
    const tooltip = this.tooltip(encoding, documentTokens, documentChars, selectionTokens, selectionChars, this.localModelTokens(doc));
    this.item.tooltip = tooltip;
    this.item.backgroundColor = undefined;
    this.item.show();
    this.publish({ kind: 'counted', uri, version: doc.version, encoding, documentTokens, documentChars, selectionTokens, selectionChars, text, tooltip: tooltip.value });
  }

  private tooltip(
    encoding: EncodingName,
    docTokens: number,
    docChars: number,
    selTokens: number | undefined,
    selChars: number | undefined,
    local: { name: string; tokens: number } | undefined,
  ): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    // Command links in the tooltip: only these two commands may run from it.
    md.isTrusted = { enabledCommands: [COMMAND_SET_ENCODING, COMMAND_SELECT_ENCODING] };
    md.appendMarkdown(`**Tokenscope** — \`${encoding}\`\n\n`);
    md.appendMarkdown('| | tokens | chars/token |\n|---|---:|---:|\n');
    md.appendMarkdown(`| Document | ${formatCount(docTokens)} | ${formatCharsPerToken(docChars, docTokens)} |\n`);
    if (selTokens !== undefined && selChars !== undefined) md.appendMarkdown(`| Selection | ${formatCount(selTokens)} | ${formatCharsPerToken(selChars, selTokens)} |\n`);
    if (local) md.appendMarkdown(`| Document, local model \`${local.name}\` | ${formatCount(local.tokens)} | ${formatCharsPerToken(docChars, local.tokens)} |\n`);
    const model = this.config.windowSettings.pricingModel;
    const tokens = selTokens ?? docTokens;
    const u = usage(model, tokens);
    md.appendMarkdown(`\n**${model.name}**: ${formatShare(u.share)} of its ${formatCount(model.contextWindow)}-token context`);
    if (u.costUsd !== undefined && model.inputPerMillion !== undefined) {
      md.appendMarkdown(` · ${formatUsd(u.costUsd)} as input ($${model.inputPerMillion}/M, prices of ${PRICES_AS_OF})`);
    }
    if (model.encoding !== encoding) md.appendMarkdown(` — note: ${model.name} uses \`${model.encoding}\``);
    md.appendMarkdown('\n\nSwitch encoding: ');
    md.appendMarkdown(
      ENCODING_NAMES.filter((e) => e !== encoding)
        .map((e) => `[${e}](command:${COMMAND_SET_ENCODING}?${encodeURIComponent(JSON.stringify([e]))})`)
        .join(' · '),
    );
    md.appendMarkdown(` · [more…](command:${COMMAND_SELECT_ENCODING})`);
    return md;
  }

  private publish(s: TokenCountSnapshot): void {
    const prev = this.snapshotValue;
    this.snapshotValue = s;
    if (s.kind === 'error' && (prev.kind !== 'error' || prev.message !== s.message)) this.log.warn(s.message);
    this.changed.fire(s);
  }
}

/** `o200k_base` → `o200k`, `o200k_harmony` → `harmony`: short enough for the status bar. */
function shortName(e: EncodingName): string {
  return e === 'o200k_harmony' ? 'harmony' : e.replace(/_base$/, '');
}

export function register(
  models: TokenModels,
  config: Configuration,
  logger: ILogger,
  localModel?: () => LocalModelCounter | undefined,
  onDidChangeLocalModel?: vscode.Event<unknown>,
): TokenCountStatus {
  return new TokenCountStatus(models, config, logger, localModel, onDidChangeLocalModel);
}
