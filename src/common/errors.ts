/** Errors with a stable `code`, so that callers branch on kind instead of on message text. */
export class TokenscopeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenscopeError';
  }
}

export function isTokenscopeError(e: unknown, code?: string): e is TokenscopeError {
  return e instanceof TokenscopeError && (code === undefined || e.code === code);
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
