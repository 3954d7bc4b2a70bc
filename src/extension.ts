import * as vscode from 'vscode';
import { withComponent } from './common/logger';
import { register as registerCountTokens } from './commands/countTokens';
import { register as registerVerify } from './commands/verifyWithTiktoken';
import { Configuration } from './configuration';
import { BackgroundTokenizer } from './core/tokenizer/backgroundTokenizer';
import { TokenizerRegistry } from './core/tokenizer/tokenizerRegistry';
import { register as registerTokenCount, type TokenCountSnapshot } from './features/tokenCount/tokenCountStatus';
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
  };
}

/** Composition root: build the services, register the features; every Disposable goes to `subscriptions`. */
export function activate(context: vscode.ExtensionContext): TokenscopeApi {
  const channel = vscode.window.createOutputChannel('Tokenscope', { log: true });
  context.subscriptions.push(channel);
  const logger = channel;
  const config = new Configuration(withComponent(logger, 'config'));
  const registry = TokenizerRegistry.fromRanksDir(context.asAbsolutePath('dist/ranks'));
  const background = new BackgroundTokenizer(context.asAbsolutePath('dist/tokenizeWorker.js'), context.asAbsolutePath('dist/ranks'), withComponent(logger, 'worker'));
  const models = new TokenModels(registry, background, config, logger);
  context.subscriptions.push(config, registry, background, models);

  const tokenCount = registerTokenCount(models, config, logger);
  context.subscriptions.push(tokenCount, registerCountTokens(models), registerVerify(models, background, logger));

  logger.info(`Tokenscope ${String((context.extension.packageJSON as { version?: unknown }).version)} activated (${vscode.env.appName} ${vscode.version})`);
  return {
    internal: {
      tokenCount: () => tokenCount.snapshot,
      onDidChangeTokenCount: tokenCount.onDidChange,
      modelState: (d) => models.get(d),
    },
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
