import * as vscode from 'vscode';
import { Disposable } from '../../common/dispose';
import { withComponent, type ILogger } from '../../common/logger';
import type { Configuration } from '../../configuration';
import type { BackendService, BackendState } from '../../services/backendService';
import { registerCommands } from '../../util/command';
import { feature, type Feature } from '../../util/feature';
import { CompletionAcceptedCommand, ExplainSuggestionCommand, ShowCompletionStatsCommand, ToggleCompletionsCommand } from './commands';
import { CompletionStats } from './completionStats';
import { CompletionStatus } from './completionStatus';
import { InlineCompletionProvider } from './inlineCompletionProvider';
import { OtherFilesContext } from './otherFilesContext';

/** What tests read. */
export interface InlineCompletionApi {
  readonly provider: InlineCompletionProvider;
  readonly status: CompletionStatus;
  readonly stats: CompletionStats;
  /** Whether the provider is registered with VS Code right now. */
  registered(): boolean;
}

/** A backend whose model is missing, unreadable or without FIM cannot serve until the user fixes it. */
function canServe(s: BackendState): boolean {
  if (s.kind === 'off') return false;
  return !(s.kind === 'error' && (s.code === 'model-missing' || s.code === 'model-corrupt' || s.code === 'model-no-fim'));
}

/**
 * Inline fill-in-the-middle completions. The provider is registered while the backend can serve
 * and unregistered when it cannot (a model problem, backend off), so VS Code does not call a
 * provider that can only fail; the status item says why.
 */
export function register(service: BackendService, config: Configuration, logger: ILogger): Feature<InlineCompletionApi> {
  const log = withComponent(logger, 'completion');
  const status = new CompletionStatus();
  const stats = new CompletionStats();
  const otherFiles = new OtherFilesContext();
  const provider = new InlineCompletionProvider(service, config.inlineCompletion, () => canServe(service.state), status, stats, log, otherFiles);
  const registration = new ProviderRegistration(provider, service, status, log);
  const onType = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.contentChanges.length > 0 && e.document === vscode.window.activeTextEditor?.document) provider.keystroke();
  });
  const enabledNow = (): boolean => {
    const d = vscode.window.activeTextEditor?.document;
    return d ? config.inlineCompletion.of(d).enabled : true;
  };
  const api: InlineCompletionApi = { provider, status, stats, registered: () => registration.registered };
  return feature(api, status, otherFiles, registration, onType, registerCommands(
      new CompletionAcceptedCommand(stats),
      new ShowCompletionStatsCommand(stats),
      new ToggleCompletionsCommand(config, enabledNow),
      new ExplainSuggestionCommand(() => provider.lastSuggestion, service),
    ));
}

/** Keeps the provider registered exactly while the backend can serve. */
class ProviderRegistration extends Disposable {
  private registration: vscode.Disposable | undefined;

  constructor(
    private readonly provider: InlineCompletionProvider,
    private readonly service: BackendService,
    private readonly status: CompletionStatus,
    private readonly log: ILogger,
  ) {
    super();
    const identity = (): string => `${service.kind}\u0000${service.modelPath}\u0000${service.server.url}\u0000${service.server.model}`;
    let current = identity();
    this._register(
      service.onDidChangeState((s) => {
        // another backend or model: suggestions cached from the old one are not its (a model that
        // merely loads, e.g. for the request in flight, keeps them and that request)
        if (identity() !== current) provider.reset();
        current = identity();
        this.update(s);
      }),
    );
    this._register({
      dispose: () => {
        this.registration?.dispose();
        provider.reset();
      },
    });
    this.update(service.state);
  }

  get registered(): boolean {
    return this.registration !== undefined;
  }

  private update(s: BackendState): void {
    const serve = canServe(s);
    if (serve && !this.registration) {
      this.registration = vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, this.provider);
      this.log.info('inline completions on');
      if (this.status.state.kind === 'off') this.status.set({ kind: 'idle' });
    } else if (!serve && this.registration) {
      this.registration.dispose();
      this.registration = undefined;
      this.provider.reset();
      this.log.info(`inline completions off: backend ${s.kind}`);
    }
    if (!serve) this.status.set({ kind: 'off', why: s.kind === 'off' ? 'the completion backend is off' : s.kind === 'error' ? `the backend cannot serve: ${s.message}` : 'the backend cannot serve' });
  }
}
