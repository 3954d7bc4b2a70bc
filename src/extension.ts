import * as vscode from 'vscode';
import { ErrorCountingLogger, withComponent } from './common/logger';
import { registerReportDocuments } from './util/editor';
import { Configuration } from './configuration';
import type { ModelCandidate } from './core/glitch/glitchIndex';
import { BackgroundTokenizer } from './core/tokenizer/backgroundTokenizer';
import { TokenizerRegistry } from './core/tokenizer/tokenizerRegistry';
import * as completionBackend from './features/completionBackend';
import * as digitChunks from './features/digitChunks';
import * as encodings from './features/encodings';
import * as glitchTokens from './features/glitchTokens';
import * as inlineCompletion from './features/inlineCompletion';
import type { PublishedFinding } from './features/glitchTokens/glitchDiagnostics';
import * as inspector from './features/inspector';
import type { InspectorRendered } from './features/inspector/inspectorPanel';
import * as tokenBoundaries from './features/tokenBoundaries';
import type { BoundaryState } from './features/tokenBoundaries/tokenBoundaries';
import * as tokenBudget from './features/tokenBudget';
import * as tokenCount from './features/tokenCount';
import type { TokenCountSnapshot } from './features/tokenCount/tokenCountStatus';
import * as tokenHover from './features/tokenHover';
import type { TokenInfo } from './features/tokenHover/tokenHover';
import * as tokenIds from './features/tokenIds';
import * as statusBarMenu from './menus/statusBarMenu';
import { BackendService, type BackendState } from './services/backendService';
import { BoundaryVisibility } from './services/boundaryVisibility';
import { GlitchIndexes } from './services/glitchIndexes';
import { TokenModels, type ModelState } from './services/tokenModels';

/**
 * What `activate` returns. `internal` is for Tokenscope's own integration tests (they read the
 * extension's real state instead of mocking VS Code); other extensions must not rely on it.
 */
export interface TokenscopeApi {
  readonly internal: {
    tokenCount(): TokenCountSnapshot;
    onDidChangeTokenCount: vscode.Event<TokenCountSnapshot>;
    modelState(document: vscode.TextDocument): ModelState;
    boundaries(document: vscode.TextDocument): BoundaryState | undefined;
    tokenInfo(document: vscode.TextDocument, offset: number): TokenInfo | undefined;
    provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined;
    inspector(): InspectorRendered | undefined;
    glitchFindings(document: vscode.TextDocument): readonly PublishedFinding[];
    glitchHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined;
    /** Whether the glitch scan of the document has covered all of it (it runs in slices). */
    glitchScanComplete(document: vscode.TextDocument): boolean;
    glitchLastUpdate(): { readonly version: number; readonly ms: number; readonly cpuMs: number | undefined } | undefined;
    backendState(): BackendState;
    onDidChangeBackendState: vscode.Event<BackendState>;
    backendStatusBar(): { text: string; tooltip: string; visible: boolean };
    enginePid(): number | undefined;
    modelCandidates(): readonly ModelCandidate[];
    inlineCompletion(): inlineCompletion.InlineCompletionApi;
    /** Error-level lines Tokenscope has logged since activation, and the last one. */
    loggedErrors(): { readonly count: number; readonly last: string | undefined };
    /** Warning-level lines since activation (invalid settings, recoverable faults), and the last one. */
    loggedWarnings(): { readonly count: number; readonly last: string | undefined; readonly recent: readonly string[] };
  };
}

/**
 * Composition root: services first (settings, tokenizers, document token models, the completion
 * backend, glitch indexes), then the features, each given the services and setting slices it uses.
 * Every Disposable goes to `subscriptions`.
 */
export function activate(context: vscode.ExtensionContext): TokenscopeApi {
  const channel = vscode.window.createOutputChannel('Tokenscope', { log: true });
  const logger = new ErrorCountingLogger(channel);
  const own = <T extends vscode.Disposable>(d: T): T => (context.subscriptions.push(d), d);
  own(channel);
  own(registerReportDocuments());

  const ranksDir = context.asAbsolutePath('dist/ranks');
  const config = own(new Configuration(withComponent(logger, 'config')));
  const registry = own(TokenizerRegistry.fromRanksDir(ranksDir));
  const background = own(new BackgroundTokenizer(context.asAbsolutePath('dist/tokenizeWorker.js'), ranksDir, withComponent(logger, 'worker')));
  const models = own(new TokenModels(registry, background, config.encoding, withComponent(logger, 'tokenModel')));
  const backend = own(new BackendService(config.backend, context.asAbsolutePath('media/models/tokenscope-fim-tiny.gguf'), context.asAbsolutePath('dist/localWorker.js'), context.secrets, logger));
  const glitchIndexes = own(new GlitchIndexes(registry, background, withComponent(logger, 'glitch')));
  const visibility = own(new BoundaryVisibility(config.boundaries));

  const count = own(tokenCount.register(models, config.statusBar, backend, background, logger));
  const boundaries = own(tokenBoundaries.register(models, visibility, config, logger));
  const hover = own(tokenHover.register(models, registry, config.hover, visibility));
  const panel = own(inspector.register(context.extensionUri, models, registry));
  const glitch = own(glitchTokens.register(context, models, glitchIndexes, backend, background, config.glitch, config.encoding, logger));
  const backendUi = own(completionBackend.register(context, backend, config, channel, logger));
  const completions = own(inlineCompletion.register(backend, config, logger));
  own(digitChunks.register(models, config.digitChunking));
  own(encodings.register(registry, background, config, backend));
  own(tokenIds.register(models));
  own(tokenBudget.register(models));
  own(statusBarMenu.register());

  logger.info(`Tokenscope ${String((context.extension.packageJSON as { version?: unknown }).version)} activated (${vscode.env.appName} ${vscode.version})`);
  return {
    internal: {
      tokenCount: () => count.api.snapshot,
      onDidChangeTokenCount: count.api.onDidChange,
      modelState: (d) => models.get(d),
      boundaries: (d) => boundaries.api.state(d),
      tokenInfo: (d, o) => hover.api.infoAt(d, o),
      provideHover: (d, p) => hover.api.provideHover(d, p),
      inspector: () => panel.api.lastRendered,
      glitchFindings: (d) => glitch.api.diagnostics.findings(d),
      glitchHover: (d, p) => glitch.api.diagnostics.provideHover(d, p),
      glitchScanComplete: (d) => glitch.api.diagnostics.scanComplete(d),
      glitchLastUpdate: () => glitch.api.diagnostics.lastUpdate,
      backendState: () => backend.state,
      onDidChangeBackendState: backend.onDidChangeState,
      backendStatusBar: () => backendUi.api.shown,
      enginePid: () => backend.enginePid,
      modelCandidates: () => glitchIndexes.modelCandidates,
      inlineCompletion: () => completions.api,
      loggedErrors: () => logger.errors,
      loggedWarnings: () => logger.warnings,
    },
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
