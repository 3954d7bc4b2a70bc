import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { formatCount } from '../../core/format/formatCount';
import type { ILogger } from '../../common/logger';
import type { EvidenceStrength } from '../../core/glitch/curated';
import type { GlitchIndex, GlitchInfo, GlitchKind } from '../../core/glitch/glitchIndex';
import { glitchRewrites, type GlitchRewrite } from '../../core/glitch/glitchRewrites';
import { GlitchTracker, type GlitchFinding } from '../../core/glitch/glitchTracker';
import type { DocumentTokens } from '../../core/tokenizer/documentTokens';
import type { EncodingName } from '../../core/tokenizer/encodings';
import type { GlitchSettings, GlitchSeverity, ScopedSettingSlice } from '../../configuration';
import { threadCpuMs } from '../../common/threadCpu';
import type { GlitchIndexes } from '../../services/glitchIndexes';
import type { TokenModels } from '../../services/tokenModels';

export const GLITCH_CODE = 'glitch-token';

interface Tracked {
  readonly document: vscode.TextDocument;
  model: DocumentTokens;
  index: GlitchIndex;
  tracker: GlitchTracker;
  /**
   * What the collection holds: line/character ranges, severity and token of every diagnostic. An
   * edit that leaves it unchanged (typing inside a line without findings, the usual case) skips
   * DiagnosticCollection.set: that call ships every diagnostic of the document to the renderer,
   * which re-renders its markers: the bulk of an update's cost (benchmark glitch.diagnostics.*).
   */
  shape?: number[];
  /** The next slice of the first scan, while it is incomplete. */
  nextSlice?: NodeJS.Immediate;
  /** The publish that follows a pause in the edits (see onEdit), and when the first edit it waits for came (performance.now()). */
  pendingPublish?: NodeJS.Timeout;
  waitingSince: number;
  /** Tracker time of the edits since the last publish (wall, thread CPU; ms), for lastUpdate. */
  editMs: number;
  editCpuMs: number | undefined;
}

/**
 * At most this many diagnostics per document; the rest are summed up in one more, and the Glitch
 * Token Report lists them all. Publishing costs ~0.1 ms per finding on the host thread (position
 * mapping, the shape compare, shipping to the renderer): a 10,000-line paste of special-token text
 * stalled the host 1.2 s before the cap (hostile documents suite).
 */
const MAX_DIAGNOSTICS = 1000;

/**
 * The first scan runs in slices of SCAN_SLICE_CHARS UTF-16 units (about 1–3 ms each, see
 * GlitchTracker), yielding the host thread every SCAN_BUDGET_MS: a 3 MB document scanned in one go
 * blocked it for 80–250 ms. A document of one slice is still scanned and published synchronously.
 */
const SCAN_SLICE_CHARS = 32_768;
/**
 * Diagnostics are published once edits pause for PUBLISH_IDLE_MS, and at least every
 * PUBLISH_MAX_WAIT_MS while they do not. Each publish ships every diagnostic of the document to the
 * renderer (DiagnosticCollection.set): 15 KB of host garbage per publish in the soak, where it
 * was a third of Tokenscope's allocations per keystroke, and the renderer re-renders its markers.
 * Meanwhile the editor moves the squiggles it shows with the text; hover and quick fixes read the
 * tracker, which follows every edit at once.
 */
const PUBLISH_IDLE_MS = 100;
const PUBLISH_MAX_WAIT_MS = 500;
const SCAN_BUDGET_MS = 8;

/** A finding as published, for tests and the report. */
export interface PublishedFinding {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly kind: GlitchKind;
  readonly id: number;
  readonly severity: GlitchSeverity;
}

const RANK: Record<GlitchSeverity, number> = { off: 0, hint: 1, information: 2, warning: 3 };
/** The strongest severity a kind of evidence may carry: reports of observed misbehaviour warn, weaker evidence informs. */
const CAP: Record<EvidenceStrength, GlitchSeverity> = { strong: 'warning', medium: 'information', weak: 'information' };
const TO_VSCODE: Record<Exclude<GlitchSeverity, 'off'>, vscode.DiagnosticSeverity> = {
  hint: vscode.DiagnosticSeverity.Hint,
  information: vscode.DiagnosticSeverity.Information,
  warning: vscode.DiagnosticSeverity.Warning,
};

/**
 * Glitch-token diagnostics: every open document with a token model gets a GlitchTracker for its
 * encoding's index; each change event updates it incrementally (only what the edit re-lexed) and
 * republishes. Also the hover that explains a finding (what, why, evidence, source) and quick fixes
 * that rewrite the text so it tokenizes differently, showing the tokens before and after.
 */
export class GlitchDiagnostics extends Disposable implements vscode.HoverProvider, vscode.CodeActionProvider {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection('tokenscope-glitch'));
  private readonly tracked = new Map<string, Tracked>();
  private readonly published = new Map<string, PublishedFinding[]>();
  /** The last incremental update (tracker + publish): wall and this thread's CPU time, ms; read by the benchmark. */
  lastUpdate: { readonly version: number; readonly ms: number; readonly cpuMs: number | undefined } | undefined;

  constructor(
    private readonly models: TokenModels,
    private readonly indexes: GlitchIndexes,
    private readonly settings: ScopedSettingSlice<GlitchSettings>,
    encoding: ScopedSettingSlice<EncodingName>,
    /** With its `[glitch]` prefix. */
    private readonly log: ILogger,
  ) {
    super();
    this._register(
      models.onDidEdit((e) => {
        const t = this.tracked.get(e.document.uri.toString());
        if (t && t.model === e.model) this.onEdit(t, e.edits);
      }),
    );
    // After onDidEdit: a rebuilt model (new object), a first model, or a model that became ready.
    this._register(models.onDidChange((d) => this.refresh(d)));
    this._register(indexes.onDidChange(() => [...this.tracked.values()].forEach((t) => this.refresh(t.document, true))));
    this._register(settings.onDidChange(() => vscode.workspace.textDocuments.forEach((d) => this.refresh(d, true))));
    // TokenModels reports the models it rebuilt for a new encoding; a tracked document whose model
    // was evicted meanwhile (hidden) needs its findings redone too
    this._register(encoding.onDidChange(() => [...this.tracked.values()].forEach((t) => this.refresh(t.document))));
    this._register(vscode.window.onDidChangeVisibleTextEditors((eds) => eds.forEach((e) => this.refresh(e.document))));
    this._register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.untrack(d.uri.toString());
        this.published.delete(d.uri.toString());
        this.collection.delete(d.uri);
      }),
    );
    this._register(vscode.languages.registerHoverProvider({ scheme: '*' }, this));
    this._register(vscode.languages.registerCodeActionsProvider({ scheme: '*' }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }));
    this._register({ dispose: () => [...this.tracked.keys()].forEach((k) => this.untrack(k)) });
    vscode.window.visibleTextEditors.forEach((e) => this.refresh(e.document));
  }

  private untrack(key: string): boolean {
    const t = this.tracked.get(key);
    if (t?.nextSlice) clearImmediate(t.nextSlice);
    clearTimeout(t?.pendingPublish);
    return this.tracked.delete(key);
  }

  /**
   * The tracker follows every edit at once (incremental, cheap); publishing waits for a pause in the
   * edits (PUBLISH_IDLE_MS, at most PUBLISH_MAX_WAIT_MS), so a burst of typing, an undo storm or a
   * multi-cursor paste publishes once. Hover and quick fixes read the tracker, never the published
   * list, so they are never stale.
   */
  private onEdit(t: Tracked, edits: Parameters<GlitchTracker['applyEdits']>[0]): void {
    const t0 = performance.now();
    const c0 = threadCpuMs();
    t.tracker.applyEdits(edits);
    if (!t.tracker.complete) return; // the scan publishes when it finishes
    t.editMs += performance.now() - t0;
    t.editCpuMs = addCpuSince(t.editCpuMs, c0);
    if (t.pendingPublish === undefined) t.waitingSince = t0;
    else if (t0 - t.waitingSince >= PUBLISH_MAX_WAIT_MS) return; // due soon: keep it
    else clearTimeout(t.pendingPublish);
    t.pendingPublish = setTimeout(() => this.publishEdits(t), Math.min(PUBLISH_IDLE_MS, t.waitingSince + PUBLISH_MAX_WAIT_MS - t0));
  }

  private publishEdits(t: Tracked): void {
    t.pendingPublish = undefined;
    if (this.tracked.get(t.document.uri.toString()) !== t) return;
    const p0 = performance.now();
    const q0 = threadCpuMs();
    this.publish(t);
    this.lastUpdate = { version: t.document.version, ms: t.editMs + performance.now() - p0, cpuMs: addCpuSince(t.editCpuMs, q0) };
    t.editMs = 0;
    t.editCpuMs = 0;
  }

  /** What is published for a document (tests, report). */
  findings(document: vscode.TextDocument): readonly PublishedFinding[] {
    return this.published.get(document.uri.toString()) ?? [];
  }

  /** Whether the document is tracked, its first scan is done and its findings are published (tests, benchmark). */
  scanComplete(document: vscode.TextDocument): boolean {
    const t = this.tracked.get(document.uri.toString());
    return t !== undefined && t.tracker.complete && t.pendingPublish === undefined;
  }

  /** (Re)starts tracking a document when its model or index changed; `force` rebuilds even if unchanged. */
  private refresh(document: vscode.TextDocument, force = false): void {
    const key = document.uri.toString();
    if (document.isClosed) return;
    const visible = vscode.window.visibleTextEditors.some((e) => e.document === document);
    if (!this.settings.of(document).enabled || (!visible && !this.tracked.has(key))) {
      if (this.untrack(key) || this.published.has(key)) {
        this.published.delete(key);
        this.collection.delete(document.uri);
      }
      return;
    }
    const state = this.models.get(document);
    if (state.kind !== 'ready') return;
    const index = this.indexes.get(state.encoding);
    const t = this.tracked.get(key);
    if (t && !force && t.model === state.model && t.index === index) return;
    // overwrite, not delete + set: a re-inserted key would be visited again by a forEach over `tracked` in progress
    if (t?.nextSlice) clearImmediate(t.nextSlice);
    clearTimeout(t?.pendingPublish);
    const entry: Tracked = { document, model: state.model, index, tracker: GlitchTracker.deferred(index, state.model), editMs: 0, editCpuMs: 0, waitingSince: 0 };
    this.tracked.set(key, entry);
    this.scanSlices(key, entry, performance.now(), 0);
  }

  /** Runs the first scan for SCAN_BUDGET_MS, then yields; publishes when it is complete. */
  private scanSlices(key: string, t: Tracked, startedAt: number, slices: number): void {
    t.nextSlice = undefined;
    if (this.tracked.get(key) !== t || t.document.isClosed) return;
    const t0 = performance.now();
    let done = false;
    while (!done && performance.now() - t0 < SCAN_BUDGET_MS) {
      done = t.tracker.scanMore(SCAN_SLICE_CHARS);
      slices++;
    }
    if (!done) {
      t.nextSlice = setImmediate(() => this.scanSlices(key, t, startedAt, slices));
      return;
    }
    this.publish(t);
    this.log.trace(`${key}: ${t.tracker.findings.length} findings, ${slices} slices in ${(performance.now() - startedAt).toFixed(1)} ms`);
  }

  private publish(t: Tracked): void {
    const doc = t.document;
    if (doc.isClosed) return;
    const settings = this.settings.of(doc);
    const pub: PublishedFinding[] = [];
    const shown: GlitchFinding[] = [];
    for (const f of t.tracker.findings) {
      const severity = findingSeverity(f.info, settings);
      if (severity === 'off') continue;
      pub.push({ start: f.start, end: f.end, text: f.info.text, kind: f.info.kind, id: f.info.id, severity });
      if (shown.length < MAX_DIAGNOSTICS) shown.push(f);
    }
    // offsets shift with every edit, so `published` is always renewed; the collection only when its content changes
    this.published.set(doc.uri.toString(), pub);
    const shape = diagnosticShape(doc, pub, shown.length);
    if (t.shape && sameNumbers(shape, t.shape) && this.collection.has(doc.uri)) return;
    t.shape = shape;
    const diagnostics = shown.map((f, i) => glitchDiagnostic(rangeOfShape(shape, i), message(f), TO_VSCODE[pub[i]!.severity as Exclude<GlitchSeverity, 'off'>]));
    if (pub.length > shown.length) diagnostics.push(moreFindings(doc, pub, shown.length));
    this.collection.set(doc.uri, diagnostics);
  }

  private findingAt(document: vscode.TextDocument, offset: number): GlitchFinding | undefined {
    const t = this.tracked.get(document.uri.toString());
    const settings = this.settings.of(document);
    return t?.tracker.findings.find((f) => f.start <= offset && offset < f.end && findingSeverity(f.info, settings) !== 'off');
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const f = this.findingAt(document, document.offsetAt(position));
    if (!f) return undefined;
    const i = f.info;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${KIND_TITLE[i.kind]}** \`${escapeMd(visible(i.text))}\` — ${i.tokenizer} token ${i.id}\n\n`);
    md.appendMarkdown(`${i.why}\n\n`);
    md.appendMarkdown(`*Evidence:* ${i.evidence}\n\n`);
    if (i.reference) md.appendMarkdown(`*Source:* ${i.reference}\n\n`);
    md.appendMarkdown(`*Applies to:* ${i.scope === 'model' ? `the model ${i.model ?? ''}` : `every model using ${i.tokenizer}`} · evidence ${i.strength}`);
    const t = this.tracked.get(document.uri.toString());
    if (t) {
      const rewrites = this.rewrites(document.getText(new vscode.Range(document.positionAt(f.start), document.positionAt(f.end))), i, t);
      if (rewrites.length) {
        md.appendMarkdown('\n\n---\n\nQuick fixes:\n');
        for (const r of rewrites) md.appendMarkdown(`\n- ${r.title}: \`${escapeMd(r.before)}\` → \`${escapeMd(r.after)}\``);
      }
    }
    return new vscode.Hover(md, new vscode.Range(document.positionAt(f.start), document.positionAt(f.end)));
  }

  /** Rewrites checked with the tokenizer the finding is about (a local model's candidate: that model's). */
  private rewrites(text: string, info: GlitchInfo, t: Tracked): GlitchRewrite[] {
    const modelTok = this.indexes.modelTokenizer;
    if (info.kind === 'model') return modelTok ? glitchRewrites(text, info, modelTok, t.index, (id) => id === info.id) : [];
    return glitchRewrites(text, info, t.model.tokenizer, t.index);
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const t = this.tracked.get(document.uri.toString());
    if (!t) return [];
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== 'Tokenscope' || d.code !== GLITCH_CODE) continue;
      const f = this.findingAt(document, document.offsetAt(d.range.start));
      if (!f) continue;
      const text = document.getText(d.range);
      for (const r of this.rewrites(text, f.info, t)) {
        const a = new vscode.CodeAction(`${r.title}: ${shorten(r.before)} (${r.tokensBefore}) → ${shorten(r.after)} (${r.tokensAfter} tokens)`, vscode.CodeActionKind.QuickFix);
        a.edit = new vscode.WorkspaceEdit();
        a.edit.replace(document.uri, d.range, r.replacement);
        a.diagnostics = [d];
        actions.push(a);
      }
    }
    return actions;
  }
}

const KIND_TITLE: Record<GlitchKind, string> = {
  curated: 'Glitch token',
  model: 'Under-trained token',
  unreachable: 'Unreachable token',
  specialText: 'Special-token text',
};

function visible(s: string): string {
  return s.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '→');
}

function escapeMd(s: string): string {
  return s.replace(/`/g, 'ˋ');
}

function shorten(s: string): string {
  return s.length > 48 ? `${s.slice(0, 45)}…` : s;
}

/** Each finding's message depends on its token's info only: built once per info, not per publish. */
const MESSAGES = new WeakMap<GlitchInfo, string>();

function message(f: GlitchFinding): string {
  let m = MESSAGES.get(f.info);
  if (m === undefined) MESSAGES.set(f.info, (m = messageOf(f.info)));
  return m;
}

function messageOf(i: GlitchInfo): string {
  const token = `"${visible(i.text)}" (${i.tokenizer} #${i.id})`;
  switch (i.kind) {
    case 'curated':
      return `Glitch token ${token}: ${i.scope === 'model' ? `reported for ${i.model ?? 'a model'}` : 'reported'} — models fail to read or repeat it.`;
    case 'model':
      return `"${visible(i.text)}" is token #${i.id} of ${i.model ?? 'the local model'}, likely under-trained (${i.strength === 'strong' ? 'confirmed by prompting' : 'by its weights; not verified'}).`;
    case 'unreachable':
      return `${token} is a vocabulary token the tokenizer never produces: the model never saw it in training.`;
    case 'specialText':
      return `Text of the special token ${i.text} (${i.tokenizer} #${i.id}): counted as text here; an API that parses special tokens would treat it as a control token.`;
  }
}


/** Numbers per diagnostic in a shape: start line, character, end line, character, severity rank, token id. */
const SHAPE_STRIDE = 6;

/**
 * What the collection would hold for the first `count` findings, as flat numbers (no strings: this
 * runs after every edit that touched a document with findings): positions, severity and token.
 */
function diagnosticShape(doc: vscode.TextDocument, pub: readonly PublishedFinding[], count: number): number[] {
  const out = new Array<number>(count * SHAPE_STRIDE);
  for (let i = 0; i < count; i++) {
    const f = pub[i]!;
    const a = doc.positionAt(f.start);
    const b = doc.positionAt(f.end);
    const o = i * SHAPE_STRIDE;
    out[o] = a.line;
    out[o + 1] = a.character;
    out[o + 2] = b.line;
    out[o + 3] = b.character;
    out[o + 4] = RANK[f.severity];
    out[o + 5] = f.id;
  }
  return out;
}

function rangeOfShape(shape: readonly number[], i: number): vscode.Range {
  const o = i * SHAPE_STRIDE;
  return new vscode.Range(shape[o]!, shape[o + 1]!, shape[o + 2]!, shape[o + 3]!);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function glitchDiagnostic(range: vscode.Range, text: string, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  const d = new vscode.Diagnostic(range, text, severity);
  d.source = 'Tokenscope';
  d.code = GLITCH_CODE;
  return d;
}

/** One diagnostic on the first finding left out, saying how many more there are and where to see them. */
function moreFindings(doc: vscode.TextDocument, pub: readonly PublishedFinding[], shown: number): vscode.Diagnostic {
  const first = pub[shown]!;
  return glitchDiagnostic(
    new vscode.Range(doc.positionAt(first.start), doc.positionAt(first.end)),
    `${formatCount(pub.length - shown)} more glitch-token findings from here on are not marked (Tokenscope marks the first ${formatCount(MAX_DIAGNOSTICS)} of a document); "Tokenscope: Glitch Token Report" lists them all.`,
    vscode.DiagnosticSeverity.Information,
  );
}

/**
 * The severity a finding is shown with under a document's settings ('off': not shown): the setting
 * of its kind, capped by its evidence. The one rule for diagnostics and the Glitch Token Report.
 */
export function findingSeverity(info: GlitchInfo, g: GlitchSettings): GlitchSeverity {
  const setting = info.kind === 'curated' ? g.reported : info.kind === 'model' ? g.modelCandidates : info.kind === 'unreachable' ? g.unreachable : g.specialText;
  const cap = CAP[info.strength];
  return RANK[setting] < RANK[cap] ? setting : cap;
}

/** `total` plus this thread's CPU time since `since` (ms); undefined where the runtime cannot tell. */
function addCpuSince(total: number | undefined, since: number | undefined): number | undefined {
  const now = threadCpuMs();
  return total === undefined || since === undefined || now === undefined ? undefined : total + now - since;
}
