import * as vscode from 'vscode';

/** An AbortSignal that follows a CancellationToken, and the subscription to release when done. */
export interface TokenSignal extends vscode.Disposable {
  readonly signal: AbortSignal;
}

/**
 * Adapts a CancellationToken (VS Code's side) to an AbortSignal (what src/core takes). Dispose it
 * when the operation ends: the token's listener is released (a token that outlives the operation
 * would otherwise hold the controller).
 */
export function signalOf(token: vscode.CancellationToken | undefined): TokenSignal {
  const controller = new AbortController();
  if (!token) return { signal: controller.signal, dispose: () => undefined };
  if (token.isCancellationRequested) controller.abort();
  const sub = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => void sub.dispose() };
}

/** Runs `work` with an AbortSignal that follows `token`; the subscription ends with the work. */
export async function withSignal<T>(token: vscode.CancellationToken | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const s = signalOf(token);
  try {
    return await work(s.signal);
  } finally {
    s.dispose();
  }
}
