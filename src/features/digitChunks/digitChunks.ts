import * as vscode from 'vscode';
import { Delayer } from '../../common/async';
import { Disposable } from '../../common/dispose';
import type { ScopedSettingSlice } from '../../configuration';
import { findLongNumbers, groupThousands } from '../../core/prompt/longNumbers';
import type { TokenModels } from '../../services/tokenModels';

export const DIGIT_CHUNKING_CODE = 'digit-chunking';
/** Larger documents are not scanned (prompt files are small; this keeps a typo-fix cheap). */
const MAX_LENGTH = 1_000_000;
const DEBOUNCE_MS = 200;

/**
 * Digit-chunking lint: in documents where `tokenscope.digitChunking.enabled` (prompt files by default),
 * long numbers get an information diagnostic showing how the tokenizer splits them (o200k/cl100k
 * cut digits into groups of three from the left: 1234567 → 123|456|7, unrelated to place value), and
 * a quick fix inserting thousands separators (1,234,567 → 1|,|234|,|567), which measurably helps
 * arithmetic.
 */
export class DigitChunks extends Disposable implements vscode.CodeActionProvider {
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('tokenscope-digits'));
  /** One debounce per document: typing in one document must not postpone another's update. */
  private readonly delayers = new Map<string, Delayer>();

  constructor(
    private readonly models: TokenModels,
    private readonly enabled: ScopedSettingSlice<boolean>,
  ) {
    super();
    this._register({ dispose: () => this.delayers.forEach((d) => d.dispose()) });
    this._register(models.onDidChange((d) => this.schedule(d)));
    this._register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.delayers.get(d.uri.toString())?.dispose();
        this.delayers.delete(d.uri.toString());
        this.diagnostics.delete(d.uri);
      }),
    );
    this._register(vscode.window.onDidChangeVisibleTextEditors((eds) => eds.forEach((e) => this.schedule(e.document))));
    this._register(enabled.onDidChange(() => vscode.window.visibleTextEditors.forEach((e) => this.schedule(e.document))));
    this._register(vscode.languages.registerCodeActionsProvider({ scheme: '*' }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }));
    vscode.window.visibleTextEditors.forEach((e) => this.schedule(e.document));
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    let d = this.delayers.get(key);
    if (!d) this.delayers.set(key, (d = new Delayer(DEBOUNCE_MS, 'debounce')));
    d.trigger(() => this.update(doc));
  }

  /** Recomputes the diagnostics of one document. O(document) for the scan, O(numbers) for tokens. */
  update(doc: vscode.TextDocument): void {
    if (doc.isClosed || !this.enabled.of(doc)) {
      this.diagnostics.delete(doc.uri);
      return;
    }
    // Ask for a model only for enabled documents (models cost memory).
    const s = this.models.get(doc);
    if (s.kind !== 'ready' || s.model.length > MAX_LENGTH) {
      this.diagnostics.delete(doc.uri);
      return;
    }
    const text = s.model.getText();
    const tok = s.model.tokenizer;
    const out: vscode.Diagnostic[] = [];
    for (const n of findLongNumbers(text)) {
      const pieces = s.model.tokensInRange(n.start, n.end).map((t) => text.slice(Math.max(t.start, n.start), Math.min(t.end, n.end)));
      const grouped = groupThousands(n.digits);
      const after = tok.encode(grouped).length;
      const d = new vscode.Diagnostic(
        new vscode.Range(doc.positionAt(n.start), doc.positionAt(n.end)),
        `${n.digits} is ${pieces.length} ${s.encoding} tokens cut from the left: ${pieces.join('|')}. Grouped as ${grouped} (${after} tokens) the pieces follow place value, which helps models with arithmetic.`,
        vscode.DiagnosticSeverity.Information,
      );
      d.source = 'Tokenscope';
      d.code = DIGIT_CHUNKING_CODE;
      out.push(d);
    }
    this.diagnostics.set(doc.uri, out);
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const mine = context.diagnostics.filter((d) => d.code === DIGIT_CHUNKING_CODE && d.source === 'Tokenscope');
    const actions: vscode.CodeAction[] = [];
    for (const d of mine) {
      const digits = document.getText(d.range);
      if (!/^\d+$/.test(digits)) continue;
      const grouped = groupThousands(digits);
      const a = new vscode.CodeAction(`Insert thousands separators: ${grouped}`, vscode.CodeActionKind.QuickFix);
      a.edit = new vscode.WorkspaceEdit();
      a.edit.replace(document.uri, d.range, grouped);
      a.diagnostics = [d];
      a.isPreferred = true;
      actions.push(a);
    }
    const all = this.diagnostics.get(document.uri) ?? [];
    if (mine.length > 0 && all.length > 1) {
      const a = new vscode.CodeAction(`Insert thousands separators in all ${all.length} numbers of this file`, vscode.CodeActionKind.QuickFix);
      a.edit = new vscode.WorkspaceEdit();
      for (const d of all) {
        const digits = document.getText(d.range);
        if (/^\d+$/.test(digits)) a.edit.replace(document.uri, d.range, groupThousands(digits));
      }
      a.diagnostics = [...all];
      actions.push(a);
    }
    return actions;
  }
}

