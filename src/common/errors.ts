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

/**
 * How a completion backend failed (see BackendError). 'engine-crashed': the llama.cpp process died
 * (a native abort on a bad model, out of memory, killed).
 */
export const BACKEND_ERROR_CODES = ['model-missing', 'model-corrupt', 'model-no-fim', 'server-down', 'timeout', 'http', 'malformed', 'truncated', 'unsupported', 'engine-crashed', 'aborted'] as const;
export type BackendErrorCode = (typeof BACKEND_ERROR_CODES)[number];

/** `code` when it is a BackendErrorCode (e.g. from another process), else `fallback`. */
export function asBackendErrorCode(code: string, fallback: BackendErrorCode): BackendErrorCode {
  return (BACKEND_ERROR_CODES as readonly string[]).includes(code) ? (code as BackendErrorCode) : fallback;
}

export interface KindedErrorOptions {
  readonly cause?: unknown;
  /** The HTTP status, when an HTTP response caused the error. */
  readonly status?: number;
}

/**
 * The shape of every error family with its own closed set of kinds (BackendError, DownloadError,
 * HttpFailure): `kind` is typed for the family's callers, `code` is `${family}-${kind}` for generic
 * ones. A family is declared as `class XError extends kindedError<Kinds>('XError', 'x') {}`.
 */
export abstract class KindedError<K extends string> extends TokenscopeError {
  readonly status: number | undefined;

  protected constructor(
    name: string,
    family: string,
    readonly kind: K,
    message: string,
    options?: KindedErrorOptions,
  ) {
    super(`${family}-${kind}`, message, options);
    this.name = name;
    this.status = options?.status;
  }
}

/** The base class of one KindedError family: `name` for stack traces, `family` as the code prefix. */
export function kindedError<K extends string>(name: string, family: string): new (kind: K, message: string, options?: KindedErrorOptions) => KindedError<K> {
  return class extends KindedError<K> {
    constructor(kind: K, message: string, options?: KindedErrorOptions) {
      super(name, family, kind, message, options);
    }
  };
}

/** A type guard for one KindedError family, optionally of one kind. */
export function kindGuard<E extends KindedError<string>>(family: abstract new (...args: never[]) => E): (e: unknown, kind?: E['kind']) => e is E {
  return (e: unknown, kind?: E['kind']): e is E => e instanceof family && (kind === undefined || e.kind === kind);
}

/**
 * A completion backend failed in a known way. `code` drives the status bar state and its action
 * ("Pick model…", "Show log"); `detail` goes to the log.
 */
export class BackendError extends kindedError<BackendErrorCode>('BackendError', 'backend') {
  get backendCode(): BackendErrorCode {
    return this.kind;
  }
}

export const isBackendError: (e: unknown, code?: BackendErrorCode) => e is BackendError = kindGuard(BackendError);

/** A cancelled operation: an AbortError, or a backend request that ended 'aborted' (superseded or cancelled). */
export function isCancellation(e: unknown): boolean {
  return isAbortError(e) || isBackendError(e, 'aborted');
}
