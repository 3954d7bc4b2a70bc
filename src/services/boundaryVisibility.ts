import * as vscode from 'vscode';
import { Disposable } from '../common/dispose';
import type { BoundarySettings, ScopedSettingSlice } from '../configuration';

/**
 * Whether token boundaries are shown for a document: a per-document toggle (set by "Toggle Token
 * Boundaries in This Editor", kept until the document closes) over the setting. Shared by the
 * boundary decorations and the hover, which shows itself "with boundaries".
 */
export class BoundaryVisibility extends Disposable {
  private readonly overrides = new Map<string, boolean>();
  private readonly toggled = this._register(new vscode.EventEmitter<vscode.TextDocument>());
  /** Fires when one document's toggle changed (setting changes come from the setting's own event). */
  readonly onDidToggle = this.toggled.event;

  constructor(private readonly setting: ScopedSettingSlice<BoundarySettings>) {
    super();
    // a toggle belongs to the open document: a later document with the same URI (Untitled-1) starts fresh
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.overrides.delete(d.uri.toString())));
  }

  isEnabled(document: vscode.TextDocument): boolean {
    return this.overrides.get(document.uri.toString()) ?? this.setting.of(document).enabled;
  }

  /** Flips boundaries for one document (all its editors, until it is closed); returns the new state. */
  toggle(document: vscode.TextDocument): boolean {
    const next = !this.isEnabled(document);
    this.overrides.set(document.uri.toString(), next);
    this.toggled.fire(document);
    return next;
  }

  /** Forgets per-document toggles (after a global toggle, every document follows the setting). */
  clearOverrides(): void {
    this.overrides.clear();
  }
}
