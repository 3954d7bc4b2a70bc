import * as vscode from 'vscode';

/**
 * What a feature's `register()` returns: one Disposable that owns everything the feature
 * registered (providers, listeners, commands), and the feature's inspection surface for the
 * composition root (the integration tests read the extension's real state through it).
 */
export interface Feature<Api> extends vscode.Disposable {
  readonly api: Api;
}

export function feature<Api>(api: Api, ...owned: readonly vscode.Disposable[]): Feature<Api> {
  const all = vscode.Disposable.from(...owned);
  return { api, dispose: () => void all.dispose() };
}
