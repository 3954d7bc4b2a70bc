import * as vscode from 'vscode';
import { withComponent } from './common/logger';
import { register as registerCountTokens } from './commands/countTokens';
import { Configuration } from './configuration';
import { TokenizerRegistry } from './core/tokenizer/tokenizerRegistry';
import { register as registerTokenCount, type TokenCountSnapshot } from './features/tokenCount/tokenCountStatus';

/**
 * What `activate` returns. `internal` is for Tokenscope's own integration tests (they read the
 * extension's real state instead of mocking VS Code); other extensions must not rely on it.
 */
export interface TokenscopeApi {
  readonly internal: {
    tokenCount(): TokenCountSnapshot;
    onDidChangeTokenCount: vscode.Event<TokenCountSnapshot>;
  };
}

/** Composition root: build the services, register the features; every Disposable goes to `subscriptions`. */
export function activate(context: vscode.ExtensionContext): TokenscopeApi {
  const channel = vscode.window.createOutputChannel('Tokenscope', { log: true });
  context.subscriptions.push(channel);
  const logger = channel;
  const config = new Configuration(withComponent(logger, 'config'));
  const registry = new TokenizerRegistry();
  context.subscriptions.push(config, registry);

  const tokenCount = registerTokenCount(registry, config, logger);
  context.subscriptions.push(tokenCount, registerCountTokens(registry, config));

  logger.info(`Tokenscope ${String((context.extension.packageJSON as { version?: unknown }).version)} activated (${vscode.env.appName} ${vscode.version})`);
  return {
    internal: {
      tokenCount: () => tokenCount.snapshot,
      onDidChangeTokenCount: tokenCount.onDidChange,
    },
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
