import * as vscode from 'vscode';
import { Delayer } from '../../common/async';
import { Disposable } from '../../common/dispose';
import type { ILogger } from '../../common/logger';
import { threadCpuMs } from '../../common/threadCpu';
import type { BoundarySettings, ScopedSettingSlice } from '../../configuration';
import { boundarySegments, type BoundarySegments } from '../../core/tokenizer/boundarySegments';
import { collectWindowTokens, decorationLineWindow } from '../../core/tokenizer/boundaryWindow';
import { SpanBuffer, type DocumentTokens } from '../../core/tokenizer/documentTokens';
import type { BoundaryVisibility } from '../../services/boundaryVisibility';
import type { ModelEditEvent, TokenModels } from '../../services/tokenModels';
import { PositionMapper } from './positionMapper';

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
  /** The edits since the last drawing were all after what it covers: nothing redrawn, the drawing carried to this version. */
  readonly carried?: boolean;
}

/** What a drawing covers: the model it was drawn from and where its text ends (document offset, current coordinates). */
interface DrawnExtent {
  readonly model: DocumentTokens;
  readonly end: number;
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
  private readonly states = new Map<string, BoundaryState>();
  private readonly drawn = new Map<vscode.TextEditor, DrawnExtent>();
  /** Editors whose drawing the current change event leaves as it is (see keepIfUnaffected). */
  private readonly unaffected = new Set<vscode.TextEditor>();
  private readonly pending = new Set<vscode.TextEditor>();
  private readonly delayer = this._register(new Delayer(REFRESH_DELAY_MS, 'coalesce'));
  /** Reused between refreshes: no garbage per token. */
  private readonly spans = new SpanBuffer();
  private readonly changed = this._register(new vscode.EventEmitter<BoundaryState>());
  readonly onDidRender = this.changed.event;

  constructor(
    private readonly models: TokenModels,
    private readonly visibility: BoundaryVisibility,
    private readonly settings: ScopedSettingSlice<BoundarySettings>,
    /** With its `[boundaries]` prefix. */
    private readonly log: ILogger,
  ) {
    super();
    const marker = new vscode.ThemeColor('tokenscope.whitespaceMarkerForeground');
    const type = (o: vscode.DecorationRenderOptions): vscode.TextEditorDecorationType => this._register(vscode.window.createTextEditorDecorationType(o));
    this.slotTypes = Array.from({ length: PALETTE_SIZE }, (_, i) => type({ backgroundColor: new vscode.ThemeColor(`tokenscope.token${i + 1}Background`), borderRadius: '2px' }));
    this.splitType = type({ backgroundColor: new vscode.ThemeColor('tokenscope.splitCharacterBackground'), textDecoration: 'underline dotted' });
    // Markers are zero-width before-attachments: they overlay the whitespace without moving text.
    this.spaceType = type({ before: { contentText: '·', color: marker, width: '0' } });
    this.tabType = type({ before: { contentText: '→', color: marker, width: '0' } });
    this.lineEndType = type({ after: { contentText: '↵', color: marker } });
    const scheduleDocument = (doc: vscode.TextDocument): void => vscode.window.visibleTextEditors.forEach((e) => e.document === doc && this.schedule(e));
    const scheduleAll = (): void => vscode.window.visibleTextEditors.forEach((e) => this.schedule(e));
    this._register(
      vscode.window.onDidChangeVisibleTextEditors((eds) => {
        // a closed or hidden editor is never rendered again: what was drawn there (its model) goes with it
        for (const e of this.drawn.keys()) if (!eds.includes(e)) this.drawn.delete(e);
        eds.forEach((e) => this.schedule(e));
      }),
    );
    this._register(vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor)));
    // onDidEdit fires before onDidChange for the same change event
    this._register(models.onDidEdit((e) => this.keepIfUnaffected(e)));
    this._register(models.onDidChange((doc) => this.scheduleChanged(doc)));
    this._register(visibility.onDidToggle(scheduleDocument));
    this._register(settings.onDidChange(scheduleAll));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.states.delete(d.uri.toString())));
    scheduleAll();
  }

  state(document: vscode.TextDocument): BoundaryState | undefined {
    return this.states.get(document.uri.toString());
  }

  /**
   * Notes the editors whose drawing an edit leaves exact: every edit of the event starts after the
   * drawn text and so does its re-lexed region. Tokens before it keep their ids, indexes (colours)
   * and positions, the lines above keep their numbers. Typing below the window, a replace or a
   * formatter far down the file then cost no refresh: no ranges rebuilt, nothing sent to the renderer
   * (a refresh makes ~50 KB of host garbage for a screenful of tokens).
   */
  private keepIfUnaffected(e: ModelEditEvent): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document !== e.document) continue;
      this.unaffected.delete(editor);
      if (this.pending.has(editor)) continue;
      const x = this.drawn.get(editor);
      if (x?.model === e.model && e.edits.every((d) => d.offset > x.end && d.relexStart > x.end)) this.unaffected.add(editor);
    }
  }

  /** A document's model changed: redraws its editors, except those an edit left unaffected (their state moves to the new version). */
  private scheduleChanged(doc: vscode.TextDocument): void {
    let kept = 0;
    let shown = 0;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document !== doc) continue;
      shown++;
      // set by this event's onDidEdit, so the model is the one drawn (a rebuilt model fires no onDidEdit)
      if (this.unaffected.delete(editor)) kept++;
      else this.schedule(editor);
    }
    const s = this.states.get(doc.uri.toString());
    if (kept > 0 && kept === shown && s?.enabled) this.publish({ ...s, version: doc.version, refreshMs: 0, startedAt: undefined, refreshCpuMs: undefined, phasesMs: undefined, carried: true });
  }

  private schedule(editor: vscode.TextEditor): void {
    this.pending.add(editor);
    this.delayer.trigger(() => this.renderPending());
  }

  private renderPending(): void {
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
  }

  /** Computes and sends the decorations of one editor. Cost: O(tokens in the window). */
  render(editor: vscode.TextEditor): void {
    if (!vscode.window.visibleTextEditors.includes(editor)) {
      this.drawn.delete(editor);
      return;
    }
    const doc = editor.document;
    if (!this.visibility.isEnabled(doc)) {
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
    if (editor.visibleRanges.length > 0) this.draw(editor, state.model);
  }

  /** One refresh of a ready model: window → tokens → segments → decorations, each phase timed for the benchmark. */
  private draw(editor: vscode.TextEditor, model: DocumentTokens): void {
    const doc = editor.document;
    const t0 = performance.now();
    const cpu0 = threadCpuMs();
    const settings = this.settings.of(doc);
    const [window, visible] = this.offsetWindows(editor);
    const t1 = performance.now();
    const spans = this.spans;
    const got = collectWindowTokens(model, window, visible, settings.maxTokens, spans);
    const from = spans.length ? Math.min(got.start, spans.starts[0]!) : got.start;
    const to = spans.length ? Math.max(got.end, spans.ends[spans.length - 1]!) : got.end;
    const text = model.getText(from, to);
    const t2 = performance.now();
    const seg = boundarySegments(spans, PALETTE_SIZE, text, from, settings.whitespaceMarkers);
    const t3 = performance.now();
    this.send(editor, seg, text, from);
    this.drawn.set(editor, { model, end: Math.max(to, window[1]) });
    const t4 = performance.now();
    if (got.capped) this.log.debug(`${doc.uri.toString()}: boundaries capped at ${settings.maxTokens} tokens`);
    this.publish({
      uri: doc.uri.toString(),
      version: doc.version,
      enabled: true,
      bySlot: seg.bySlot,
      split: seg.split,
      spaces: seg.spaces.length,
      lineEnds: seg.lineEnds.length,
      window: [got.start, got.end],
      tokenCount: seg.tokenCount,
      capped: got.capped,
      refreshMs: t4 - t0,
      startedAt: t0,
      refreshCpuMs: cpu0 === undefined ? undefined : threadCpuMs()! - cpu0,
      phasesMs: [t1 - t0, t2 - t1, t3 - t2, t4 - t3],
    });
  }

  /** [margin window, visible lines] as document offsets [start, end). */
  private offsetWindows(editor: vscode.TextEditor): [readonly [number, number], readonly [number, number]] {
    const doc = editor.document;
    const visible = editor.visibleRanges;
    const first = visible[0]!.start.line;
    const last = visible[visible.length - 1]!.end.line;
    const w = decorationLineWindow(first, last, doc.lineCount);
    return [
      [doc.offsetAt(new vscode.Position(w.startLine, 0)), doc.offsetAt(doc.lineAt(w.endLine).range.end)],
      [doc.offsetAt(new vscode.Position(first, 0)), doc.offsetAt(doc.lineAt(last).range.end)],
    ];
  }

  /** One `setDecorations` per type. Ranges of one list are sorted, so each list maps in one walk of `text`. */
  private send(editor: vscode.TextEditor, seg: BoundarySegments, text: string, from: number): void {
    const origin = editor.document.positionAt(from);
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
