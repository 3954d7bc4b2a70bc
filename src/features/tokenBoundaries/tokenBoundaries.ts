import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { withComponent, type ILogger } from '../../common/logger';
import { boundarySegments } from '../../core/tokenizer/boundarySegments';
import { SpanBuffer } from '../../core/tokenizer/documentTokens';
import type { Configuration } from '../../configuration';
import type { TokenModels } from '../tokenModel/tokenModels';
import { PositionMapper } from './positionMapper';
import { threadCpuMs } from '../../common/threadCpu';

/** Palette slots; tokens cycle through them by index. Matches `tokenscope.tokenNBackground` colours. */
export const PALETTE_SIZE = 6;
/** Coalesces scroll and edit bursts (ms). */
const REFRESH_DELAY_MS = 16;

/** What was last drawn in an editor (document offsets); read by the integration tests. */
export interface BoundaryState {
  readonly uri: string;
  readonly version: number;
  readonly enabled: boolean;
  /** Per palette slot, flat [start, end, …] document offsets. */
  readonly bySlot: readonly (readonly number[])[];
  /** Flat [start, end, …] ranges of characters split between tokens. */
  readonly split: readonly number[];
  readonly spaces: number;
  readonly lineEnds: number;
  /** Window decorated: visible lines plus a margin (document offsets). */
  readonly window: readonly [number, number];
  readonly tokenCount: number;
  readonly capped: boolean;
  /** Time to compute and send the decorations (ms), and its parts: [window, tokens, segments, send]. */
  readonly refreshMs: number;
  /** performance.now() when the refresh started (to line it up with GC pauses in benchmarks). */
  readonly startedAt?: number;
  /**
   * CPU time of this thread spent on the refresh (ms), where the runtime can tell (Node ≥ 23.9):
   * unlike wall time, not inflated when the OS runs other processes (the renderer, on 2 cores).
   */
  readonly refreshCpuMs?: number;
  readonly phasesMs?: readonly number[];
}

/**
 * Token boundaries as editor decorations: alternating theme colours for the tokens of the visible
 * lines plus a margin, a distinct style for characters split between tokens, and optional
 * whitespace markers. Decoration types are created once; each refresh is one `setDecorations` per
 * type for the editor (types never change, so nothing flickers), after the token model of the
 * document has absorbed the edit.
 */
export class TokenBoundaries extends Disposable {
  private readonly slotTypes: vscode.TextEditorDecorationType[];
  private readonly splitType: vscode.TextEditorDecorationType;
  private readonly spaceType: vscode.TextEditorDecorationType;
  private readonly tabType: vscode.TextEditorDecorationType;
  private readonly lineEndType: vscode.TextEditorDecorationType;
  /** Per-document override set by the toggle command (undefined: follow the setting). */
  private readonly overrides = new Map<string, boolean>();
  private readonly states = new Map<string, BoundaryState>();
  private readonly drawn = new Set<vscode.TextEditor>();
  private readonly pending = new Set<vscode.TextEditor>();
  private timer: NodeJS.Timeout | undefined;
  /** Reused between refreshes: no garbage per token. */
  private readonly spans = new SpanBuffer();
  private readonly changed = this._register(new vscode.EventEmitter<BoundaryState>());
  readonly onDidRender = this.changed.event;
  private readonly log: ILogger;

  constructor(
    private readonly models: TokenModels,
    private readonly config: Configuration,
    logger: ILogger,
  ) {
    super();
    this.log = withComponent(logger, 'boundaries');
    const marker = new vscode.ThemeColor('tokenscope.whitespaceMarkerForeground');
    this.slotTypes = Array.from({ length: PALETTE_SIZE }, (_, i) =>
      this._register(vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(`tokenscope.token${i + 1}Background`), borderRadius: '2px' })),
    );
    this.splitType = this._register(
      vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor('tokenscope.splitCharacterBackground'), textDecoration: 'underline dotted' }),
    );
    // Markers are zero-width before-attachments: they overlay the whitespace without moving text.
    this.spaceType = this._register(vscode.window.createTextEditorDecorationType({ before: { contentText: '·', color: marker, width: '0' } }));
    this.tabType = this._register(vscode.window.createTextEditorDecorationType({ before: { contentText: '→', color: marker, width: '0' } }));
    this.lineEndType = this._register(vscode.window.createTextEditorDecorationType({ after: { contentText: '↵', color: marker } }));
    this._register({ dispose: () => clearTimeout(this.timer) });
    this._register(vscode.window.onDidChangeVisibleTextEditors((eds) => eds.forEach((e) => this.schedule(e))));
    this._register(vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor)));
    this._register(
      models.onDidChange((doc) => {
        for (const e of vscode.window.visibleTextEditors) if (e.document === doc) this.schedule(e);
      }),
    );
    this._register(config.onDidChange(() => vscode.window.visibleTextEditors.forEach((e) => this.schedule(e))));
    this._register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        // a toggle belongs to the open document: a later document with the same URI (Untitled-1) starts fresh
        this.states.delete(d.uri.toString());
        this.overrides.delete(d.uri.toString());
      }),
    );
    vscode.window.visibleTextEditors.forEach((e) => this.schedule(e));
  }

  /** Whether boundaries are shown for a document: the toggle override, else the setting. */
  isEnabled(document: vscode.TextDocument): boolean {
    return this.overrides.get(document.uri.toString()) ?? this.config.forDocument(document).boundariesEnabled;
  }

  /** Flips boundaries for one document (all its editors, until it is closed); returns the new state. */
  toggle(document: vscode.TextDocument): boolean {
    const next = !this.isEnabled(document);
    this.overrides.set(document.uri.toString(), next);
    for (const e of vscode.window.visibleTextEditors) if (e.document === document) this.schedule(e);
    return next;
  }

  /** Forgets per-document overrides (after a global toggle, every document follows the setting). */
  clearOverrides(): void {
    this.overrides.clear();
  }

  state(document: vscode.TextDocument): BoundaryState | undefined {
    return this.states.get(document.uri.toString());
  }

  private schedule(editor: vscode.TextEditor): void {
    this.pending.add(editor);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const eds = [...this.pending];
      this.pending.clear();
      for (const e of eds) {
        try {
          this.render(e);
        } catch (err) {
          // one editor's failure must not stop the others (or later refreshes)
          this.log.error(err instanceof Error ? err : String(err));
        }
      }
    }, REFRESH_DELAY_MS);
  }

  /** Computes and sends the decorations of one editor. Cost: O(tokens in the window). */
  render(editor: vscode.TextEditor): void {
    if (!vscode.window.visibleTextEditors.includes(editor)) {
      this.drawn.delete(editor);
      return;
    }
    const doc = editor.document;
    const t0 = performance.now();
    const cpu0 = threadCpuMs();
    const settings = this.config.forDocument(doc);
    if (!this.isEnabled(doc)) {
      this.clear(editor);
      this.publish({ uri: doc.uri.toString(), version: doc.version, enabled: false, bySlot: [], split: [], spaces: 0, lineEnds: 0, window: [0, 0], tokenCount: 0, capped: false, refreshMs: 0 });
      return;
    }
    const state = this.models.get(doc);
    if (state.kind !== 'ready') {
      // stale offsets would land on the wrong characters: draw nothing until the model is ready
      this.clear(editor);
      return;
    }
    const model = state.model;
    const max = this.config.windowSettings.boundariesMaxTokens;
    // Visible lines plus half a screen above and below: scrolling shows decorated lines while the
    // next refresh (16 ms later) catches up, at a third of the cost of a full screen of margin.
    const visible = editor.visibleRanges;
    if (visible.length === 0) return;
    const first = visible[0]!.start.line;
    const last = visible[visible.length - 1]!.end.line;
    const margin = Math.max(10, (last - first) >> 1);
    const winStartLine = Math.max(0, first - margin);
    const winEndLine = Math.min(doc.lineCount - 1, last + margin);
    const winRange = new vscode.Range(winStartLine, 0, winEndLine, doc.lineAt(winEndLine).range.end.character);
    let start = doc.offsetAt(winRange.start);
    let end = doc.offsetAt(winRange.end);
    const t1 = performance.now();
    const spans = this.spans;
    model.tokensInRangeInto(start, end, max + 1, spans);
    let capped = spans.length > max;
    if (capped) {
      // Too many for the margin: keep what is on screen first.
      start = doc.offsetAt(new vscode.Position(first, 0));
      end = doc.offsetAt(doc.lineAt(last).range.end);
      model.tokensInRangeInto(start, end, max + 1, spans);
      capped = spans.length > max;
      spans.length = Math.min(spans.length, max);
    }
    const from = spans.length ? Math.min(start, spans.starts[0]!) : start;
    const to = spans.length ? Math.max(end, spans.ends[spans.length - 1]!) : end;
    const text = model.getText(from, to);
    const t2 = performance.now();
    const seg = boundarySegments(spans, PALETTE_SIZE, text, from, settings.boundariesWhitespace);
    const t3 = performance.now();
    const origin = doc.positionAt(from);
    // Ranges of one slot/type are sorted; all lists together are not, so map each list in order.
    const toRanges = (flat: readonly number[]): vscode.Range[] => {
      const m = new PositionMapper(text, from, origin);
      const out = new Array<vscode.Range>(flat.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = new vscode.Range(m.at(flat[2 * i]!), m.at(flat[2 * i + 1]!));
      return out;
    };
    const toPoints = (list: readonly number[], width: number): vscode.Range[] => {
      const m = new PositionMapper(text, from, origin);
      return list.map((o) => {
        const p = m.at(o);
        return new vscode.Range(p, width ? p.translate(0, width) : p);
      });
    };
    for (let i = 0; i < PALETTE_SIZE; i++) editor.setDecorations(this.slotTypes[i]!, toRanges(seg.bySlot[i]!));
    editor.setDecorations(this.splitType, toRanges(seg.split));
    editor.setDecorations(this.spaceType, toPoints(seg.spaces, 1));
    editor.setDecorations(this.tabType, toPoints(seg.tabs, 1));
    editor.setDecorations(this.lineEndType, toPoints(seg.lineEnds, 0));
    this.drawn.add(editor);
    const t4 = performance.now();
    const refreshMs = t4 - t0;
    if (capped) this.log.debug(`${doc.uri.toString()}: boundaries capped at ${max} tokens`);
    this.publish({
      uri: doc.uri.toString(),
      version: doc.version,
      enabled: true,
      bySlot: seg.bySlot,
      split: seg.split,
      spaces: seg.spaces.length,
      lineEnds: seg.lineEnds.length,
      window: [start, end],
      tokenCount: seg.tokenCount,
      capped,
      refreshMs,
      startedAt: t0,
      refreshCpuMs: cpu0 === undefined ? undefined : threadCpuMs()! - cpu0,
      phasesMs: [t1 - t0, t2 - t1, t3 - t2, t4 - t3],
    });
  }

  private clear(editor: vscode.TextEditor): void {
    if (!this.drawn.delete(editor)) return;
    for (const t of [...this.slotTypes, this.splitType, this.spaceType, this.tabType, this.lineEndType]) editor.setDecorations(t, []);
  }

  private publish(s: BoundaryState): void {
    this.states.set(s.uri, s);
    this.changed.fire(s);
  }
}

export function register(models: TokenModels, config: Configuration, logger: ILogger): TokenBoundaries {
  return new TokenBoundaries(models, config, logger);
}
