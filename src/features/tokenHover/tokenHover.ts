import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { formatCount } from '../../core/format/formatCount';
import { ENCODING_NAMES, type EncodingName } from '../../core/tokenizer/encodings';
import { hexBytes, tokenText, visibleTokenText } from '../../core/tokenizer/tokenDisplay';
import type { TokenizerRegistry } from '../../core/tokenizer/tokenizerRegistry';
import { COMMAND_INSPECT_TOKEN } from '../../commandIds';
import type { HoverMode, ScopedSettingSlice } from '../../configuration';
import type { BoundaryVisibility } from '../../services/boundaryVisibility';
import type { TokenModels } from '../../services/tokenModels';
import type { Command } from '../../util/command';

/** Everything the hover says about one token; also returned by "Inspect Token at Cursor". */
export interface TokenInfo {
  readonly encoding: EncodingName;
  readonly id: number;
  /** 0-based index in the document, and the document's token count. */
  readonly index: number;
  readonly of: number;
  /** UTF-16 offsets of the characters holding the token's bytes. */
  readonly start: number;
  readonly end: number;
  readonly bytesHex: string;
  /** The token's text when its bytes are complete UTF-8. */
  readonly text: string | undefined;
  readonly partial: boolean;
  /** The same characters counted under every other encoding. */
  readonly otherEncodings: readonly { readonly encoding: EncodingName; readonly tokens: number }[];
}

/**
 * Hover with the token under the mouse, where boundaries are shown (or always/never, by setting),
 * and the "Inspect Token at Cursor" command, which shows the same hover on demand.
 */
export class TokenHover extends Disposable implements vscode.HoverProvider {
  /** Set by the inspect command so that the next hover shows whatever the setting says. */
  private forceUntil = 0;

  constructor(
    private readonly models: TokenModels,
    private readonly registry: TokenizerRegistry,
    private readonly mode: ScopedSettingSlice<HoverMode>,
    private readonly visibility: BoundaryVisibility,
  ) {
    super();
    this._register(vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-remote' }], this));
  }

  /** Token info at a document offset, or undefined while the model is not ready. */
  infoAt(document: vscode.TextDocument, offset: number): TokenInfo | undefined {
    const s = this.models.get(document);
    if (s.kind !== 'ready') return undefined;
    const span = s.model.tokenAt(Math.min(offset, s.model.length - 1));
    if (!span) return undefined;
    const tok = s.model.tokenizer;
    const bytes = tok.tokenBytes(span.id);
    const text = s.model.getText(span.start, span.end);
    const otherEncodings = ENCODING_NAMES.filter((e) => e !== s.encoding).map((encoding) => ({ encoding, tokens: this.registry.get(encoding).count(text) }));
    return {
      encoding: s.encoding,
      id: span.id,
      index: span.index,
      of: s.model.tokenCount,
      start: span.start,
      end: span.end,
      bytesHex: hexBytes(bytes),
      text: tokenText(bytes),
      partial: span.partial,
      otherEncodings,
    };
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (Date.now() > this.forceUntil) {
      const mode = this.mode.of(document);
      if (mode === 'never' || (mode === 'withBoundaries' && !this.visibility.isEnabled(document))) return undefined;
    }
    const info = this.infoAt(document, document.offsetAt(position));
    if (!info) return undefined;
    const tok = this.registry.get(info.encoding);
    const bytes = tok.tokenBytes(info.id);
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**Token ${formatCount(info.index + 1)}** of ${formatCount(info.of)} · \`${info.encoding}\`\n\n`);
    md.appendMarkdown('| | |\n|---|---|\n');
    md.appendMarkdown(`| text | \`${escapeCell(visibleTokenText(bytes))}\`${info.text === undefined ? ' (part of a character)' : ''} |\n`);
    md.appendMarkdown(`| id | ${info.id} |\n`);
    md.appendMarkdown(`| rank | ${info.id} (merge priority: lower merges first) |\n`);
    md.appendMarkdown(`| bytes | \`${info.bytesHex}\` (${bytes.length}) |\n`);
    md.appendMarkdown(`| other encodings | ${info.otherEncodings.map((o) => `${o.encoding}: ${o.tokens}`).join(' · ')} |\n`);
    if (info.partial) md.appendMarkdown('\nThis token boundary falls inside a multi-byte character.\n');
    return new vscode.Hover(md, new vscode.Range(document.positionAt(info.start), document.positionAt(info.end)));
  }

  /** The next hover (within 3 s) shows whatever the setting says: "Inspect Token at Cursor" asked for it. */
  forceNextHover(): void {
    this.forceUntil = Date.now() + 3000;
  }
}

/** "Inspect Token at Cursor": the token hover on demand, even where hovers are off. */
export class InspectTokenCommand implements Command {
  readonly id = COMMAND_INSPECT_TOKEN;

  constructor(
    private readonly models: TokenModels,
    private readonly hover: TokenHover,
  ) {}

  async execute(): Promise<TokenInfo | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const doc = editor.document;
    if (this.models.get(doc).kind !== 'ready') await this.models.whenReady(doc);
    const info = this.hover.infoAt(doc, doc.offsetAt(editor.selection.active));
    if (!info) {
      void vscode.window.showInformationMessage('Tokenscope: no token at the cursor.');
      return undefined;
    }
    this.hover.forceNextHover();
    await vscode.commands.executeCommand('editor.action.showHover');
    return info;
  }
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/`/g, 'ˋ');
}

