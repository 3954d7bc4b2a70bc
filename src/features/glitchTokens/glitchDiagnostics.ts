import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
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
  shape?: string;
  /** The next slice of the first scan, while it is incomplete. */
  nextSlice?: NodeJS.Immediate;
}

/**
 * The first scan runs in slices of SCAN_SLICE_CHARS UTF-16 units (about 1–3 ms each, see
 * GlitchTracker), yielding the host thread every SCAN_BUDGET_MS: a 3 MB document scanned in one go
 * blocked it for 80–250 ms. A document of one slice is still scanned and published synchronously.
 */
const SCAN_SLICE_CHARS = 32_768;
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
        if (!t || t.model !== e.model) return;
        const t0 = performance.now();
        const c0 = threadCpuMs();
        t.tracker.applyEdits(e.edits);
        if (!t.tracker.complete) return; // the scan publishes when it finishes
        this.publish(t);
        const c1 = threadCpuMs();
        this.lastUpdate = { version: e.document.version, ms: performance.now() - t0, cpuMs: c0 === undefined || c1 === undefined ? undefined : c1 - c0 };
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
    return this.tracked.delete(key);
  }

  /** What is published for a document (tests, report). */
  findings(document: vscode.TextDocument): readonly PublishedFinding[] {
    return this.published.get(document.uri.toString()) ?? [];
  }

  /** Whether the document is tracked and its first scan is done (tests, benchmark). */
  scanComplete(document: vscode.TextDocument): boolean {
    return this.tracked.get(document.uri.toString())?.tracker.complete ?? false;
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
    const entry: Tracked = { document, model: state.model, index, tracker: GlitchTracker.deferred(index, state.model) };
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

  private severityOf(info: GlitchInfo, g: GlitchSettings): GlitchSeverity {
    const setting = info.kind === 'curated' ? g.reported : info.kind === 'model' ? g.modelCandidates : info.kind === 'unreachable' ? g.unreachable : g.specialText;
    const cap = CAP[info.strength];
    return RANK[setting] < RANK[cap] ? setting : cap;
  }

  private publish(t: Tracked): void {
    const doc = t.document;
    if (doc.isClosed) return;
    const settings = this.settings.of(doc);
    const kept: { f: GlitchFinding; range: vscode.Range; severity: Exclude<GlitchSeverity, 'off'> }[] = [];
    const shape: string[] = [];
    const pub: PublishedFinding[] = [];
    for (const f of t.tracker.findings) {
      const severity = this.severityOf(f.info, settings);
      if (severity === 'off') continue;
      const range = new vscode.Range(doc.positionAt(f.start), doc.positionAt(f.end));
      kept.push({ f, range, severity });
      shape.push(`${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}:${severity}:${f.info.kind}:${f.info.id}`);
      pub.push({ start: f.start, end: f.end, text: f.info.text, kind: f.info.kind, id: f.info.id, severity });
    }
    // offsets shift with every edit, so `published` is always renewed; the collection only when its content changes
    this.published.set(doc.uri.toString(), pub);
    const key = shape.join('\n');
    if (key === t.shape && this.collection.has(doc.uri)) return;
    t.shape = key;
    this.collection.set(
      doc.uri,
      kept.map(({ f, range, severity }) => {
        const d = new vscode.Diagnostic(range, message(f), TO_VSCODE[severity]);
        d.source = 'Tokenscope';
        d.code = GLITCH_CODE;
        return d;
      }),
    );
  }

  private findingAt(document: vscode.TextDocument, offset: number): GlitchFinding | undefined {
    const t = this.tracked.get(document.uri.toString());
    const settings = this.settings.of(document);
    return t?.tracker.findings.find((f) => f.start <= offset && offset < f.end && this.severityOf(f.info, settings) !== 'off');
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

function message(f: GlitchFinding): string {
  const i = f.info;
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

