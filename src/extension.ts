import * as vscode from 'vscode';
import { withComponent } from './common/logger';
import { register as registerBackendCommands } from './commands/backendCommands';
import { register as registerBoundaryCommands } from './commands/boundaryCommands';
import { register as registerCountTokens } from './commands/countTokens';
import { register as registerEditCommands } from './commands/editCommands';
import { register as registerEncodingCommands } from './commands/encodingCommands';
import { register as registerStatusBarMenu } from './commands/statusBarMenu';
import { register as registerGlitchReport } from './commands/glitchReport';
import { register as registerTokenIdCommands } from './commands/tokenIdCommands';
import { register as registerVerify } from './commands/verifyWithTiktoken';
import { Configuration } from './configuration';
import { LocalBackend } from './core/backend/local/localBackend';
import type { ModelCandidate } from './core/glitch/glitchIndex';
import { BackgroundTokenizer } from './core/tokenizer/backgroundTokenizer';
import { TokenizerRegistry } from './core/tokenizer/tokenizerRegistry';
import { BackendService, type BackendState } from './features/backend/backendService';
import { register as registerBackendStatus } from './features/backend/backendStatus';
import { register as registerDigitChunks } from './features/digitChunks/digitChunks';
import { register as registerGlitchDiagnostics, type PublishedFinding } from './features/glitchTokens/glitchDiagnostics';
import { GlitchIndexes } from './features/glitchTokens/glitchIndexes';
import { register as registerModelCandidates } from './features/glitchTokens/modelCandidates';
import { register as registerInspector, type InspectorRendered } from './features/inspector/inspectorPanel';
import { register as registerBoundaries, type BoundaryState } from './features/tokenBoundaries/tokenBoundaries';
import { register as registerTokenCount, type TokenCountSnapshot } from './features/tokenCount/tokenCountStatus';
import { register as registerHover, type TokenInfo } from './features/tokenHover/tokenHover';
import { TokenModels, type ModelState } from './features/tokenModel/tokenModels';

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
    glitchLastUpdate(): { readonly version: number; readonly ms: number; readonly cpuMs: number | undefined } | undefined;
    backendState(): BackendState;
    onDidChangeBackendState: vscode.Event<BackendState>;
    backendStatusBar(): { text: string; tooltip: string; visible: boolean };
    enginePid(): number | undefined;
    modelCandidates(): readonly ModelCandidate[];
  };
}

/** Composition root: build the services, register the features; every Disposable goes to `subscriptions`. */
export function activate(context: vscode.ExtensionContext): TokenscopeApi {
  const channel = vscode.window.createOutputChannel('Tokenscope', { log: true });
  context.subscriptions.push(channel);
  const logger = channel;
  const ranksDir = context.asAbsolutePath('dist/ranks');
  const config = new Configuration(withComponent(logger, 'config'));
  const registry = TokenizerRegistry.fromRanksDir(ranksDir);
  const background = new BackgroundTokenizer(context.asAbsolutePath('dist/tokenizeWorker.js'), ranksDir, withComponent(logger, 'worker'));
  const models = new TokenModels(registry, background, config, logger);
  context.subscriptions.push(config, registry, background, models);

  const backend = new BackendService(config, context.asAbsolutePath('media/models/tokenscope-fim-tiny.gguf'), context.asAbsolutePath('dist/localWorker.js'), context.secrets, logger);
  // The loaded local model's own tokenizer, for counts labelled with it (status tooltip, Compare Encodings).
  const localModel = (): { name: string; count: (t: string) => number } | undefined => {
    const b = backend.current;
    return b instanceof LocalBackend ? { name: b.name.replace(/\.gguf$/i, ''), count: (t) => b.tokenizer.count(t) } : undefined;
  };
  const tokenCount = registerTokenCount(models, config, logger, localModel, backend.onDidChangeState);
  const boundaries = registerBoundaries(models, config, logger);
  const hover = registerHover(models, registry, config, boundaries);
  const inspector = registerInspector(context.extensionUri, models, registry);
  const glitchIndexes = new GlitchIndexes(registry, background, logger);
  const glitch = registerGlitchDiagnostics(models, glitchIndexes, config, logger);
  const backendStatus = registerBackendStatus(backend);
  context.subscriptions.push(
    tokenCount,
    boundaries,
    hover,
    inspector,
    registerDigitChunks(models, config),
    registerCountTokens(models),
    registerVerify(models, background, logger),
    registerEncodingCommands(registry, background, config, localModel),
    registerBoundaryCommands(boundaries),
    registerTokenIdCommands(registry, config),
    registerEditCommands(registry, config),
    registerStatusBarMenu(),
    glitchIndexes,
    glitch,
    registerGlitchReport(registry, glitchIndexes, config),
    backend,
    backendStatus,
    registerBackendCommands(backend, context, channel, logger),
    registerModelCandidates(backend, glitchIndexes, context, logger),
  );

  logger.info(`Tokenscope ${String((context.extension.packageJSON as { version?: unknown }).version)} activated (${vscode.env.appName} ${vscode.version})`);
  return {
    internal: {
      tokenCount: () => tokenCount.snapshot,
      onDidChangeTokenCount: tokenCount.onDidChange,
      modelState: (d) => models.get(d),
      boundaries: (d) => boundaries.state(d),
      tokenInfo: (d, o) => hover.infoAt(d, o),
      provideHover: (d, p) => hover.provideHover(d, p),
      inspector: () => inspector.lastRendered,
      glitchFindings: (d) => glitch.findings(d),
      glitchHover: (d, p) => glitch.provideHover(d, p),
      glitchLastUpdate: () => glitch.lastUpdate,
      backendState: () => backend.state,
      onDidChangeBackendState: backend.onDidChangeState,
      backendStatusBar: () => backendStatus.shown,
      enginePid: () => backend.enginePid,
      modelCandidates: () => glitchIndexes.modelCandidates,
    },
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
