import type { FastifyReply, FastifyRequest } from 'fastify';
import { newErrorId } from '../core/error-id.js';
import { AppError, internalErrorMessage, RateLimitedError } from '../core/errors.js';

export { ForbiddenError, UnauthenticatedError } from '../core/errors.js';

const STATUS_BY_CODE: Record<string, number> = {
  invalid_input: 400,
  link_invalid: 400,
  rate_limited: 429,
  too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  psa_unavailable: 502,
};

/** The API's error body. `errorId` (5xx only) marks the server log line that holds the detail. */
export interface ErrorBody {
  error: { code: string; message: string; errorId?: string };
}

/**
 * Maps an error to the HTTP status and JSON body of the API (`{error: {code, message}}`). A 5xx
 * carries no detail of its own (it could quote SQL or row data): only `errorId`, which the caller
 * logs beside the error.
 */
export function httpError(err: unknown, errorId: () => string = newErrorId): { status: number; body: ErrorBody } {
  if (err instanceof AppError && STATUS_BY_CODE[err.code] !== undefined) {
    return { status: STATUS_BY_CODE[err.code]!, body: { error: { code: err.code, message: err.message } } };
  }
  const fastify = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (!(err instanceof AppError) && fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: { error: { code: fastify.validation ? 'invalid_input' : (fastify.code ?? 'bad_request').toLowerCase(), message: fastify.message ?? 'bad request' } } };
  }
  const id = errorId();
  return { status: 500, body: { error: { code: 'internal', message: internalErrorMessage(id, 'an internal error stopped this request'), errorId: id } } };
}

/** Answers a failed request; a 5xx is logged with its error id and detail. Returns the body sent. */
export function replyError(req: FastifyRequest, reply: FastifyReply, err: unknown): { status: number; body: ErrorBody } {
  const result = httpError(err);
  if (result.body.error.errorId) req.log.error({ err, errorId: result.body.error.errorId }, 'request failed');
  if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterS));
  return result;
}
