/**
 * The small, named error set of psa-sync. Every error carries a message a person can act on,
 * and wraps what caused it with `cause`. None of them ever carries a credential.
 */
export class AppError extends Error {
  /** A stable machine-readable code, used in JSON error bodies and logs. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The caller asked for something malformed (bad flag, bad config file, bad value). */
export class InputError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_input', message, options);
  }
}

/** The thing named does not exist (or is not visible to the caller). */
export class NotFoundError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options);
  }
}

/** The request is valid but refused by a product rule (seat limit, PSA-inactive member, run state). */
export class ConflictError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

/** 401: no token, or one we do not know. */
export class UnauthenticatedError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unauthenticated', message, options);
  }
}

/** 403: a known token whose role may not do this. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/**
 * 502: the PSA could not answer a request made for the caller (such as reading the sync scope's
 * choices). `kind` says how it failed (a SyncErrorKind); the message never carries a credential.
 */
export class PsaUnavailableError extends AppError {
  constructor(
    message: string,
    readonly kind: string,
    options?: { cause?: unknown },
  ) {
    super('psa_unavailable', message, options);
  }
}

/** 429: too many requests from one caller or for one account; try again after `retryAfterS`. */
export class RateLimitedError extends AppError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super('rate_limited', message);
  }
}

/** Error kinds of a failed sync run (product.md §5). */
export const SYNC_ERROR_KINDS = [
  'auth',
  'rate_limited',
  'network',
  'remote_error',
  'bad_response',
  'incomplete_read',
  'config',
  'internal',
  'interrupted',
] as const;
export type SyncErrorKind = (typeof SYNC_ERROR_KINDS)[number];

/**
 * A sync could not complete. `kind` classifies it for support and for back-off; the message
 * says what happened and what to do, and never includes keys, tokens or passwords.
 */
export class SyncError extends AppError {
  readonly kind: SyncErrorKind;
  /** For an `internal` failure: the id of the server log line that holds the detail. */
  readonly errorId?: string;
  constructor(kind: SyncErrorKind, message: string, options?: { cause?: unknown; errorId?: string }) {
    super(`sync_${kind}`, message, options);
    this.kind = kind;
    if (options?.errorId) this.errorId = options.errorId;
  }
}

/** The words shown for an unexpected failure: what to do, and the id that finds the detail in the server log. */
export function internalErrorMessage(errorId: string, what = 'an internal error stopped this'): string {
  return `${what} (error id ${errorId}); nothing was changed. It is not caused by the account's settings: retry, and if it persists give support the error id, which marks the server log line with the detail`;
}

/**
 * Reduces any thrown value to a SyncError, keeping known kinds. An unexpected error (a database
 * failure, a bug) keeps its detail only as the `cause`, which is logged under `errorId`: its
 * message may quote SQL and row data, so it never reaches the run, the API or the CLI.
 */
export function toSyncError(err: unknown, errorId: () => string): SyncError {
  if (err instanceof SyncError) return err;
  if (err instanceof InputError) return new SyncError('config', err.message, { cause: err });
  const id = errorId();
  return new SyncError('internal', internalErrorMessage(id, 'an internal error stopped this sync'), { cause: err, errorId: id });
}
