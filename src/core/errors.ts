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
  constructor(message: string) {
    super('unauthenticated', message);
  }
}

/** 403: a known token whose role may not do this. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message);
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
  constructor(kind: SyncErrorKind, message: string, options?: { cause?: unknown }) {
    super(`sync_${kind}`, message, options);
    this.kind = kind;
  }
}

/** Reduces any thrown value to a SyncError, keeping known kinds and hiding internals' detail. */
export function toSyncError(err: unknown): SyncError {
  if (err instanceof SyncError) return err;
  if (err instanceof InputError) return new SyncError('config', err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new SyncError('internal', `internal error: ${message}`, { cause: err });
}
