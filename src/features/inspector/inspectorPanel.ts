import * as crypto from 'crypto';
import * as vscode from 'vscode';
import { COMMAND_SHOW_INSPECTOR } from '../../commandIds';
import { Delayer } from '../../common/async';
import { Disposable } from '../../common/dispose';
import { inspectorStats, type InspectorStats } from '../../core/inspector/inspectorStats';
import { parseInspectorMessage } from '../../core/inspector/inspectorMessages';
import { ENCODING_NAMES, type EncodingName } from '../../core/tokenizer/encodings';
import type { TokenizerRegistry } from '../../core/tokenizer/tokenizerRegistry';
import type { TokenModels } from '../../services/tokenModels';
import type { Command } from '../../util/command';

/** The message the webview receives. */
export interface InspectorData {
  readonly type: 'stats';
  readonly file: string;
  readonly scope: 'document' | 'selection';
  readonly encoding: EncodingName;
  readonly stats: InspectorStats;
  /** Every encoding's count of the same text (omitted above COMPARE_LIMIT: it would block the host). */
  readonly perEncoding: readonly { readonly encoding: EncodingName; readonly tokens: number }[] | undefined;
}

/** What the webview reported after drawing (read by the integration tests). */
export interface InspectorRendered {
  readonly file: string;
  readonly tokens: number;
  readonly bars: number;
  readonly rows: number;
}

const UPDATE_DELAY_MS = 300;
/** Per-encoding counts are computed live up to this many UTF-16 units (≈10 ms per encoding). */
const COMPARE_LIMIT = 512 * 1024;

/**
 * The token inspector: a webview beside the editor with a chart of token lengths, the most frequent
 * tokens, every encoding's count and the per-script token premium against English, for the active
 * document or selection. It follows the active editor and updates live (debounced); it follows the
 * theme through VS Code's CSS variables; scripts run only with a per-load nonce (CSP).
 */
export class InspectorPanel extends Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly panelDisposables: vscode.Disposable[] = [];
  private readonly delayer = this._register(new Delayer(UPDATE_DELAY_MS, 'debounce'));
  private lastEditor: vscode.TextEditor | undefined;
  private rendered: InspectorRendered | undefined;
  private readonly renderedEmitter = this._register(new vscode.EventEmitter<InspectorRendered>());
  readonly onDidRender = this.renderedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly models: TokenModels,
    private readonly registry: TokenizerRegistry,
  ) {
    super();
    this._register({ dispose: () => void this.panel?.dispose() });
    this._register(
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e) {
          this.lastEditor = e;
          this.schedule();
        }
      }),
    );
    this._register(vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === this.lastEditor && this.schedule()));
    this._register(models.onDidChange((d) => d === this.lastEditor?.document && this.schedule()));
  }

  get lastRendered(): InspectorRendered | undefined {
    return this.rendered;
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  show(): void {
    this.lastEditor = vscode.window.activeTextEditor ?? this.lastEditor;
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      this.schedule();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('tokenscope.inspector', 'Token Inspector', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    });
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
    panel.webview.html = this.html(panel.webview, media);
    this.panelDisposables.push(
      panel.onDidDispose(() => {
        this.panel = undefined;
        for (const d of this.panelDisposables.splice(0)) d.dispose();
      }),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => e.webviewPanel.visible && this.schedule()),
    );
  }

  private onMessage(m: unknown): void {
    const msg = parseInspectorMessage(m);
    if (msg?.type === 'ready') this.schedule(0);
    if (msg?.type === 'rendered') {
      this.rendered = { file: msg.file, tokens: msg.tokens, bars: msg.bars, rows: msg.rows };
      this.renderedEmitter.fire(this.rendered);
    }
  }

  private schedule(delay = UPDATE_DELAY_MS): void {
    if (!this.panel) return;
    this.delayer.trigger(() => void this.update(), delay);
  }

  private async update(): Promise<void> {
    const editor = this.lastEditor;
    if (!this.panel || !editor || editor.document.isClosed) return;
    const doc = editor.document;
    const state = this.models.get(doc);
    if (state.kind !== 'ready') return; // models.onDidChange brings us back when it is
    const sels = editor.selections.filter((s) => !s.isEmpty);
    const scope = sels.length ? 'selection' : 'document';
    const text = sels.length ? sels.map((s) => doc.getText(s)).join('\n') : state.model.getText();
    const tok = state.model.tokenizer;
    const stats = inspectorStats(tok, text, undefined, scope === 'document' ? state.model.ids() : undefined);
    const perEncoding = text.length <= COMPARE_LIMIT ? ENCODING_NAMES.map((encoding) => ({ encoding, tokens: this.registry.get(encoding).count(text) })) : undefined;
    const data: InspectorData = { type: 'stats', file: vscode.workspace.asRelativePath(doc.uri), scope, encoding: state.encoding, stats, perEncoding };
    await this.panel.webview.postMessage(data);
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'inspector.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'inspector.css'));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; img-src ${webview.cspSource} data:; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style.toString()}" rel="stylesheet">
<title>Token Inspector</title>
</head>
<body>
<header><h1>Token Inspector</h1><p id="summary">Waiting for an editor…</p></header>
<section><h2>Token lengths (bytes)</h2><div id="histogram" class="chart" role="img" aria-label="Token length histogram"></div></section>
<section><h2>Encodings</h2><table id="encodings"></table></section>
<section><h2>Scripts — tokens per character against English</h2><table id="scripts"></table><p class="note">Per character, not per meaning: a Han character carries more than a Latin letter.</p></section>
<section><h2>Most frequent tokens</h2><table id="top"></table></section>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}

/** "Show Token Inspector". */
export class ShowInspectorCommand implements Command {
  readonly id = COMMAND_SHOW_INSPECTOR;

  constructor(private readonly panel: InspectorPanel) {}

  execute(): void {
    this.panel.show();
  }
}
