import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { errorMessage, isTokenscopeError } from '../../common/errors';
import { withComponent, type ILogger } from '../../common/logger';
import { COMMAND_FIND_UNDERTRAINED, COMMAND_GLITCH_REPORT } from '../../commandIds';
import { candidatesForEditor, runModelAnalysis } from '../../core/glitch/modelAnalysis';
import type { AnalysisRequest, ModelAnalysis } from '../../core/glitch/modelAnalysisProtocol';
import { GgufTokenizer } from '../../core/tokenizer/gguf/ggufTokenizer';
import type { BackendService } from '../../services/backendService';
import type { GlitchIndexes } from '../../services/glitchIndexes';
import { withSignal } from '../../util/cancellation';
import type { Command } from '../../util/command';
import { openMarkdown } from '../../util/editor';

/** What globalState remembers so that the last analysis applies again after a restart without re-reading the model. */
interface Remembered {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly fingerprint: string;
}
const STATE_KEY = 'tokenscope.modelAnalysis.last';

export interface FindUndertrainedArgs {
  /** A GGUF file; default: the local backend's model. */
  readonly path?: string;
  /** Verify this many top candidates by prompting (0: none; interactive runs ask). */
  readonly verify?: number;
  /** Open the markdown report (default true). */
  readonly open?: boolean;
  /** Recompute even when the cache has this model. */
  readonly force?: boolean;
}

/**
 * "Find Under-trained Tokens of the Local Model": runs the weight-based indicator (and optionally
 * verification by prompting) in a child process with a cancellable progress notification, caches
 * the result per model fingerprint in global storage, and feeds the candidates to the glitch
 * diagnostics (as text warnings in every document) and the glitch report.
 */
export class ModelCandidates extends Disposable {
  private analysis: ModelAnalysis | undefined;
  private readonly log: ILogger;
  private readonly cacheDir: string;

  constructor(
    private readonly backend: BackendService,
    private readonly indexes: GlitchIndexes,
    private readonly context: vscode.ExtensionContext,
    private readonly script: string,
    logger: ILogger,
  ) {
    super();
    this.log = withComponent(logger, 'under-trained');
    this.cacheDir = path.join(context.globalStorageUri.fsPath, 'glitch');
    // A different model: its analysis (if any was made) replaces the old one's warnings.
    this._register(backend.onDidChangeState(() => void this.restore()));
    void this.restore();
  }

  get current(): ModelAnalysis | undefined {
    return this.analysis;
  }

  /** Applies the remembered analysis when it is of the current model file (same size and mtime). */
  private async restore(): Promise<void> {
    const modelPath = this.backend.kind === 'local' ? this.backend.modelPath : undefined;
    if (this.analysis?.modelPath === modelPath) return;
    const r = this.context.globalState.get<Remembered>(STATE_KEY);
    let next: ModelAnalysis | undefined;
    if (r && modelPath && r.path === modelPath) {
      try {
        const st = await fs.promises.stat(modelPath);
        if (st.size === r.size && st.mtimeMs === r.mtimeMs) next = JSON.parse(await fs.promises.readFile(path.join(this.cacheDir, `${r.fingerprint}.json`), 'utf8')) as ModelAnalysis;
      } catch {
        next = undefined; // model or cache gone: nothing to apply
      }
    }
    if (next || this.analysis) this.apply(next);
  }

  private apply(a: ModelAnalysis | undefined): void {
    this.analysis = a;
    if (!a) {
      this.indexes.setModelCandidates([], undefined);
      return;
    }
    let tokenizer: GgufTokenizer | undefined;
    try {
      // ≈0.03–0.13 s for 50k–150k vocabularies, once per analysis
      tokenizer = GgufTokenizer.load(a.modelPath);
    } catch (e) {
      this.log.warn(`${a.modelPath}: tokenizer unavailable for rewrites: ${errorMessage(e)}`);
    }
    const candidates = candidatesForEditor(a);
    this.indexes.setModelCandidates(candidates, tokenizer);
    this.log.info(`${a.modelName}: ${a.candidates.length} candidates (${candidates.length} as text warnings)`);
  }

  async run(args?: FindUndertrainedArgs): Promise<ModelAnalysis | undefined> {
    const interactive = !args;
    let modelPath = args?.path ?? (this.backend.kind === 'local' ? this.backend.modelPath : undefined);
    if (!modelPath) {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'GGUF models': ['gguf'] }, title: 'Pick a GGUF model to analyse' });
      modelPath = uris?.[0]?.fsPath;
      if (!modelPath) return undefined;
    }
    const name = path.basename(modelPath);
    let analysis: ModelAnalysis;
    try {
      const r = await this.inProcess(`Finding under-trained tokens of ${name}`, { op: 'analyse', modelPath, cacheDir: this.cacheDir, ...(args?.force ? { force: true } : {}) });
      analysis = r.analysis;
      this.log.info(`${name}: ${r.cached ? 'from cache' : `analysed in ${(analysis.ms / 1000).toFixed(1)} s`}: ${analysis.indicatorLabel}, ${analysis.candidates.length} candidates`);
      let verify = args?.verify ?? 0;
      if (interactive) {
        const pick = await vscode.window.showInformationMessage(
          `${name}: ${analysis.candidates.length} under-trained candidates (${analysis.indicatorLabel}). Verifying the top ones by prompting the model takes a few seconds each.`,
          'Verify Top 20',
          'Show Report',
        );
        verify = pick === 'Verify Top 20' ? 20 : 0;
      }
      if (verify > 0) {
        const ids = analysis.candidates.slice(0, verify).map((c) => c.id);
        analysis = (await this.inProcess(`Verifying ${ids.length} candidates of ${name} by prompting`, { op: 'verify', modelPath, cacheDir: this.cacheDir, fingerprint: analysis.fingerprint, ids })).analysis;
        const confirmed = analysis.candidates.filter((c) => c.verification?.verdict === 'under-trained').length;
        this.log.info(`${name}: verified ${ids.length}: ${confirmed} confirmed under-trained`);
      }
    } catch (e) {
      if (isTokenscopeError(e, 'aborted')) return undefined;
      this.log.error(`analysis of ${modelPath} failed: ${errorMessage(e)}`);
      if (interactive) void vscode.window.showErrorMessage(`Tokenscope: the analysis of ${name} failed: ${errorMessage(e)}`);
      if (!interactive) throw e;
      return undefined;
    }
    try {
      const st = fs.statSync(modelPath);
      await this.context.globalState.update(STATE_KEY, { path: modelPath, size: st.size, mtimeMs: st.mtimeMs, fingerprint: analysis.fingerprint } satisfies Remembered);
    } catch {
      // the model vanished meanwhile: nothing to remember
    }
    this.apply(analysis);
    if (args?.open !== false) await openMarkdown(renderAnalysis(analysis), 'Under-trained Tokens');
    return analysis;
  }

  private async inProcess(title: string, request: AnalysisRequest): Promise<{ analysis: ModelAnalysis; cached: boolean }> {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      let done = 0;
      return withSignal(token, (signal) =>
        runModelAnalysis(this.script, request, {
          signal,
          onProgress: (fraction, phase) => {
            const pct = Math.round(fraction * 100);
            if (pct > done) progress.report({ increment: pct - done, message: `${phase} ${pct} %` });
            done = Math.max(done, pct);
          },
        }),
      );
    });
  }
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, '↵').replace(/ /g, '·').replace(/`/g, 'ˋ');
}

/** The analysis as markdown: how it was computed, then the top candidates. */
export function renderAnalysis(a: ModelAnalysis, top = 100): string {
  const verified = a.candidates.filter((c) => c.verification);
  const out = [
    `# Under-trained tokens of ${a.modelName}`,
    '',
    `\`${a.modelPath}\``,
    '',
    `- Indicator: **${a.indicatorLabel}** on \`${a.tensor.name}\` (${a.tensor.type}, ${a.tensor.rows} × ${a.tensor.rowElements}); ${a.tied ? 'tied' : 'untied'} embeddings. ${a.reason}`,
    `- Reference ("known unused") tokens: ${a.referenceCount} (${a.referenceSource}).`,
    `- Candidates: ${a.candidates.length} of ${a.vocabSize} tokens (the lowest ${(a.candidateFraction * 100).toFixed(0)} % of ordinary tokens).`,
    `- Verified by prompting: ${verified.length}${verified.length ? ` — ${verified.filter((c) => c.verification!.verdict === 'under-trained').length} under-trained, ${verified.filter((c) => c.verification!.verdict === 'trained').length} trained, ${verified.filter((c) => c.verification!.verdict === 'inconclusive').length} inconclusive` : ''}.`,
    `- Analysed ${a.analysedAt} in ${(a.ms / 1000).toFixed(1)} s. Method: S. Land & M. Bartolo, "Fishing for Magikarp", EMNLP 2024.`,
    '',
    `See also **Tokenscope: ${'Glitch Token Report'}** (\`${COMMAND_GLITCH_REPORT}\`) for where the candidates' text occurs in your files.`,
    '',
    `## Top ${Math.min(top, a.candidates.length)} candidates`,
    '',
    '| rank | id | token | indicator | prompting |',
    '|---:|---:|---|---:|---|',
    ...a.candidates.slice(0, top).map((c) => `| ${c.rank + 1} | ${c.id} | \`${cell(c.text)}\` | ${c.value.toPrecision(3)} | ${c.verification ? `${c.verification.verdict} (p ≤ ${c.verification.maxProbability.toPrecision(2)})` : '—'} |`),
    '',
  ];
  return out.join('\n');
}

/** "Find Under-trained Tokens of the Local Model". */
export class FindUndertrainedCommand implements Command {
  readonly id = COMMAND_FIND_UNDERTRAINED;

  constructor(private readonly candidates: ModelCandidates) {}

  execute(args?: FindUndertrainedArgs): Promise<ModelAnalysis | undefined> {
    return this.candidates.run(args);
  }
}
