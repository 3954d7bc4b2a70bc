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

/** How a completion backend failed (see BackendError). */
export type BackendErrorCode =
  | 'model-missing'
  | 'model-corrupt'
  | 'model-no-fim'
  | 'server-down'
  | 'timeout'
  | 'http'
  | 'malformed'
  | 'truncated'
  | 'unsupported'
  /** The llama.cpp process died (a native abort on a bad model, out of memory, killed). */
  | 'engine-crashed'
  | 'aborted';

/**
 * A completion backend failed in a known way. `code` drives the status bar state and its action
 * ("Pick model…", "Show log"); `detail` goes to the log.
 */
export class BackendError extends TokenscopeError {
  constructor(
    readonly backendCode: BackendErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(`backend-${backendCode}`, message, options);
    this.name = 'BackendError';
    this.status = options?.status;
  }
  readonly status: number | undefined;
}

export function isBackendError(e: unknown, code?: BackendErrorCode): e is BackendError {
  return e instanceof BackendError && (code === undefined || e.backendCode === code);
}
