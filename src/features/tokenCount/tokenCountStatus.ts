import * as vscode from 'vscode';
import { Delayer } from '../../common/async';
import { Disposable } from '../../common/dispose';
import { withComponent, type ILogger } from '../../common/logger';
import { COMMAND_SELECT_ENCODING, COMMAND_SET_ENCODING, COMMAND_STATUS_BAR_MENU } from '../../commandIds';
import type { SettingSlice, StatusBarSettings } from '../../configuration';
import { formatCharsPerToken, formatCount } from '../../core/format/formatCount';
import { PRICES_AS_OF, formatShare, formatUsd, usage } from '../../core/pricing/models';
import type { DocumentTokens } from '../../core/tokenizer/documentTokens';
import { ENCODING_NAMES, type EncodingName } from '../../core/tokenizer/encodings';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import type { BackendService } from '../../services/backendService';
import type { TokenModels } from '../../services/tokenModels';
import { LocalModelCount, type LocalModelTokens } from './localModelCount';

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
 * While events keep coming, the item is updated at most this often (ms). Every update makes VS Code
 * send the whole item to the renderer and convert its Markdown tooltip again (it lexes it for
 * command links): 17.5 MB of extension-host garbage per 1,000 edits in the soak, the largest part
 * of VS Code's own work that Tokenscope caused. A count 0.25 s behind fast typing is not visible.
 */
const MIN_UPDATE_INTERVAL_MS = 250;

/** A status-bar tooltip's text (a MarkdownString's source), to tell whether it changed. */
function tooltipSource(t: string | vscode.MarkdownString | undefined): string | undefined {
  return typeof t === 'string' || t === undefined ? t : t.value;
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
  private readonly delayer = this._register(new Delayer(REFRESH_DELAY_MS, 'coalesce'));
  /** performance.now() of the last refresh (see MIN_UPDATE_INTERVAL_MS). */
  private refreshedAt = -Infinity;
  private itemShown = false;
  /** The local model's count for the tooltip, from the tokenizer worker. */
  private readonly localCount: LocalModelCount;

  constructor(
    private readonly models: TokenModels,
    private readonly settings: SettingSlice<StatusBarSettings>,
    private readonly backend: Pick<BackendService, 'localTokenizer' | 'onDidChangeState'>,
    background: Pick<BackgroundTokenizer, 'modelCount'>,
    logger: ILogger,
  ) {
    super();
    this.log = withComponent(logger, 'tokenCount');
    this.localCount = this._register(new LocalModelCount(background, () => this.schedule(), this.log));
    this.item = this._register(vscode.window.createStatusBarItem('tokenscope.tokenCount', vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'Tokenscope Token Count';
    this.item.command = COMMAND_STATUS_BAR_MENU;
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
    // the encoding's own change reaches us through the token model, rebuilt for it
    this._register(settings.onDidChange(() => this.refresh()));
    this._register(backend.onDidChangeState(() => this.schedule()));
    this.refresh();
  }

  /** The local model's count of the whole document, when a model is loaded and the count of this version is in. */
  private localModelTokens(doc: vscode.TextDocument): LocalModelTokens | undefined {
    const m = this.backend.localTokenizer();
    return m ? this.localCount.countOf(doc, m) : undefined;
  }

  get snapshot(): TokenCountSnapshot {
    return this.snapshotValue;
  }

  private schedule(): void {
    this.delayer.trigger(() => this.refresh(), Math.max(REFRESH_DELAY_MS, this.refreshedAt + MIN_UPDATE_INTERVAL_MS - performance.now()));
  }

  /** Shows the active editor's state. O(1) for the document, O(selections) for selections. */
  private refresh(): void {
    this.delayer.cancel();
    this.refreshedAt = performance.now();
    const editor = vscode.window.activeTextEditor;
    if (!editor || !this.settings.value.enabled) {
      this.item.hide();
      this.itemShown = false;
      this.publish({ kind: 'hidden' });
      return;
    }
    const state = this.models.get(editor.document);
    if (state.kind === 'building') this.showBuilding(editor.document, state.encoding, state.progress);
    else if (state.kind === 'error') this.showError(editor.document, state.message);
    else this.showCounted(editor, state.model, state.encoding);
  }

  private showBuilding(doc: vscode.TextDocument, encoding: EncodingName, progress: number): void {
    const text = `$(sync~spin) tokens ${Math.floor(progress * 100)}%`;
    this.show(text, `Tokenscope is tokenizing this document (${encoding}) in the background`);
    this.publish({ kind: 'building', uri: doc.uri.toString(), encoding, progress, text });
  }

  private showError(doc: vscode.TextDocument, message: string): void {
    const text = '$(warning) tokens';
    this.show(text, `Tokenscope could not count tokens: ${message}`, new vscode.ThemeColor('statusBarItem.warningBackground'));
    this.publish({ kind: 'error', uri: doc.uri.toString(), message, text });
  }

  private showCounted(editor: vscode.TextEditor, model: DocumentTokens, encoding: EncodingName): void {
    const doc = editor.document;
    const documentTokens = model.tokenCount;
    const documentChars = model.length;
    const sel = selectionCount(editor, model);
    const shownTokens = sel?.tokens ?? documentTokens;
    const cpt = formatCharsPerToken(sel?.chars ?? documentChars, shownTokens);
    const text =
      sel === undefined
        ? `$(symbol-numeric) ${formatCount(documentTokens)} tokens · ${shortName(encoding)} · ${cpt} ch/t`
        : `$(symbol-numeric) ${formatCount(sel.tokens)} of ${formatCount(documentTokens)} tokens · ${shortName(encoding)} · ${cpt} ch/t`;
    const tooltip = this.tooltip(encoding, documentTokens, documentChars, sel?.tokens, sel?.chars, this.localModelTokens(doc));
    const label = `${formatCount(shownTokens)} ${encoding} tokens${sel === undefined ? '' : ' selected'}, ${cpt} characters per token`;
    if (this.item.accessibilityInformation?.label !== label) this.item.accessibilityInformation = { label };
    this.show(text, tooltip);
    this.publish({
      kind: 'counted',
      uri: doc.uri.toString(),
      version: doc.version,
      encoding,
      documentTokens,
      documentChars,
      selectionTokens: sel?.tokens,
      selectionChars: sel?.chars,
      text,
      tooltip: tooltip.value,
    });
  }

  /** Sets what changed only: each change has VS Code send the item, tooltip included, to the renderer. */
  private show(text: string, tooltip: string | vscode.MarkdownString, background?: vscode.ThemeColor): void {
    if (this.item.text !== text) this.item.text = text;
    if (tooltipSource(this.item.tooltip) !== tooltipSource(tooltip)) this.item.tooltip = tooltip;
    if (this.item.backgroundColor?.id !== background?.id) this.item.backgroundColor = background;
    if (!this.itemShown) this.item.show(); // show() sends the item again, shown or not
    this.itemShown = true;
  }

  private tooltip(
    encoding: EncodingName,
    docTokens: number,
    docChars: number,
    selTokens: number | undefined,
    selChars: number | undefined,
    local: LocalModelTokens | undefined,
  ): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    // Command links in the tooltip: only these two commands may run from it.
    md.isTrusted = { enabledCommands: [COMMAND_SET_ENCODING, COMMAND_SELECT_ENCODING] };
    md.appendMarkdown(`**Tokenscope** — \`${encoding}\`\n\n`);
    md.appendMarkdown('| | tokens | chars/token |\n|---|---:|---:|\n');
    md.appendMarkdown(`| Document | ${formatCount(docTokens)} | ${formatCharsPerToken(docChars, docTokens)} |\n`);
    if (selTokens !== undefined && selChars !== undefined) md.appendMarkdown(`| Selection | ${formatCount(selTokens)} | ${formatCharsPerToken(selChars, selTokens)} |\n`);
    if (local) md.appendMarkdown(`| Document, local model \`${local.name}\` | ${formatCount(local.tokens)} | ${formatCharsPerToken(docChars, local.tokens)} |\n`);
    const model = this.settings.value.pricingModel;
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

/** Tokens and UTF-16 units of the non-empty selections (each counted as if sent alone), or undefined without one. */
function selectionCount(editor: vscode.TextEditor, model: DocumentTokens): { tokens: number; chars: number } | undefined {
  let tokens = 0;
  let chars = 0;
  let any = false;
  for (const s of editor.selections) {
    if (s.isEmpty) continue;
    any = true;
    const a = editor.document.offsetAt(s.start);
    const b = editor.document.offsetAt(s.end);
    tokens += model.countRange(a, b);
    chars += b - a;
  }
  return any ? { tokens, chars } : undefined;
}
