import * as vscode from 'vscode';
import { abortableDelay } from '../../common/async';
import { isCancellation } from '../../common/errors';
import type { ILogger } from '../../common/logger';
import { COMMAND_COMPLETION_ACCEPTED } from '../../commandIds';
import type { InlineCompletionSettings, ScopedSettingSlice } from '../../configuration';
import { cutContext, DEFAULT_BUDGET } from '../../core/completion/context';
import { CompletionPipeline, generateWith } from '../../core/completion/pipeline';
import { AdaptiveDebounce } from '../../core/completion/schedule';
import type { Suggestion } from '../../core/completion/types';
import type { BackendService } from '../../services/backendService';
import { signalOf } from '../../util/cancellation';
import type { CompletionStats } from './completionStats';
import type { CompletionStatus } from './completionStatus';
import { reasonNotToFire } from './reasonNotToFire';
import type { OtherFilesContext } from './otherFilesContext';
import { textWindowAt } from './textWindow';

/** FIM markers and the prefix's snapping to a line start may exceed the budgets by this much. */
const PROMPT_MARGIN_TOKENS = 32;

/** Characters per token when the backend's tokenizer is not on this side (remote servers): a conservative estimate. */
const CHARS_PER_TOKEN_ESTIMATE = 3;

/**
 * Ghost-text suggestions: reasons not to fire → adaptive debounce → context cut in the model's
 * tokens → the pipeline (cache, in-flight reuse, healing, generation, post-processing) → one item.
 * A result that arrives after VS Code cancelled the request is dropped (never shown stale).
 */
export class InlineCompletionProvider implements vscode.InlineCompletionItemProvider {
  readonly pipeline: CompletionPipeline;
  private readonly debounce = new AdaptiveDebounce();
  /** Requests started; only the newest one may reset the status when it ends without a result. */
  private requests = 0;
  /** The last request's outcome, for tests and the status. */
  last: { readonly document: vscode.TextDocument; readonly version: number; readonly suggestion?: Suggestion; readonly skipped?: string } | undefined;

  constructor(
    private readonly backend: BackendService,
    private readonly settings: ScopedSettingSlice<InlineCompletionSettings>,
    private readonly canServe: () => boolean,
    private readonly status: CompletionStatus,
    private readonly stats: CompletionStats,
    private readonly log: ILogger,
    private readonly otherFiles: Pick<OtherFilesContext, 'contextFor'>,
  ) {
    this.pipeline = new CompletionPipeline(generateWith((req) => backend.infill(req)));
  }

  /** The last suggestion shown (any document), for "Why This Suggestion". */
  lastSuggestion: Suggestion | undefined;

  /** A document change in the active editor: the typing rhythm the debounce follows. */
  keystroke(): void {
    this.debounce.keystroke(performance.now());
  }

  /** The backend changed: what was cached came from another model. */
  reset(): void {
    this.pipeline.cancel();
    this.pipeline.clearCache();
  }

  async provideInlineCompletionItems(document: vscode.TextDocument, position: vscode.Position, context: vscode.InlineCompletionContext, token: vscode.CancellationToken): Promise<vscode.InlineCompletionItem[] | undefined> {
    const settings = this.settings.of(document);
    const why = reasonNotToFire(document, vscode.window.activeTextEditor, settings, { kind: this.backend.kind, canServe: this.canServe() });
    if (why) return this.skip(document, why);
    const s = signalOf(token);
    const request = ++this.requests;
    try {
      if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic) await abortableDelay(this.debounce.delay(), s.signal);
      return await this.complete(document, position, context, settings, s.signal, token);
    } catch (e) {
      // a generation replaced by a newer request ends with 'aborted': that request answers instead
      if (isCancellation(e) || token.isCancellationRequested) return this.cancelled(request);
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn(`completion failed: ${message}`);
      this.status.set({ kind: 'error', message });
      return undefined;
    } finally {
      s.dispose();
    }
  }

  private async complete(document: vscode.TextDocument, position: vscode.Position, context: vscode.InlineCompletionContext, settings: InlineCompletionSettings, signal: AbortSignal, token: vscode.CancellationToken): Promise<vscode.InlineCompletionItem[] | undefined> {
    const selected = context.selectedCompletionInfo;
    const tokenizer = this.backend.localTokenizer();
    const count = tokenizer ? (t: string): number => tokenizer.count(t) : (t: string): number => Math.ceil(t.length / CHARS_PER_TOKEN_ESTIMATE);
    const cut = cutContext(textWindowAt(document, position, selected), DEFAULT_BUDGET, count, document.languageId);
    const { header, lookupSources } = this.otherFiles.contextFor(document, cut.prefix, this.otherFilesBudget(settings), settings.speculation, count);
    const ctx = header ? { ...cut, header } : cut;
    this.status.set({ kind: 'generating' });
    const options = { healing: settings.healing, tokenLevel: this.backend.tokenHealing, maxTokens: settings.maxTokens, speculate: settings.speculation, lookupSources };
    const outcome = await this.pipeline.complete(ctx, options, signal);
    // VS Code moved on (a keystroke, the cursor): a late result must not reach the editor
    if (token.isCancellationRequested) return this.cancelled(this.requests);
    if ('skipped' in outcome) return this.skip(document, outcome.skipped);
    const sg = outcome.suggestion;
    this.last = { document, version: document.version, suggestion: sg };
    this.lastSuggestion = sg;
    this.stats.shown(sg);
    this.status.set({ kind: 'ready', suggestion: sg });
    this.log.debug(`suggestion (${sg.source}, healing ${sg.healing}, ${sg.healedBytes} bytes healed, ${sg.latencyMs.toFixed(0)} ms): ${JSON.stringify(sg.text.slice(0, 80))}`);
    // the suggestion after this one is accepted, computed while the user reads this one
    if (settings.prefetch && !selected) this.pipeline.prefetch(ctx, sg.text, options);
    const insert = selected ? selected.text + sg.text : sg.text;
    const range = selected ? selected.range : new vscode.Range(position, position);
    return [new vscode.InlineCompletionItem(insert, range, { title: 'Accepted', command: COMMAND_COMPLETION_ACCEPTED, arguments: [sg.healing] })];
  }

  /**
   * Tokens left for other files' snippets: the setting, within what the local model's context
   * holds beyond the prefix, suffix and generation budgets (the shipped model's 512 leave none).
   */
  private otherFilesBudget(settings: InlineCompletionSettings): number {
    const ctx = this.backend.localContextSize();
    const free = ctx === undefined ? Infinity : ctx - DEFAULT_BUDGET.prefixTokens - DEFAULT_BUDGET.suffixTokens - settings.maxTokens - PROMPT_MARGIN_TOKENS;
    return Math.max(0, Math.min(settings.otherFilesTokens, free));
  }

  /** A request that ends without a result: the status leaves "generating" unless a newer request runs. */
  private cancelled(request: number): undefined {
    if (request === this.requests && this.status.state.kind === 'generating') this.status.set({ kind: 'idle' });
    return undefined;
  }

  private skip(document: vscode.TextDocument, why: string): undefined {
    this.last = { document, version: document.version, skipped: why };
    this.log.debug(`no suggestion: ${why}`);
    this.status.set({ kind: 'skipped', why });
    return undefined;
  }
}
