import { AppError } from '../core/errors.js';

export { ForbiddenError, UnauthenticatedError } from '../core/errors.js';

const STATUS_BY_CODE: Record<string, number> = {
  invalid_input: 400,
  rate_limited: 429,
  too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
};

/** Maps an error to the HTTP status and JSON body of the API (`{error: {code, message}}`). */
export function httpError(err: unknown): { status: number; body: { error: { code: string; message: string } } } {
  if (err instanceof AppError) {
    return { status: STATUS_BY_CODE[err.code] ?? 500, body: { error: { code: err.code, message: err.message } } };
  }
  const fastify = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: { error: { code: fastify.validation ? 'invalid_input' : (fastify.code ?? 'bad_request').toLowerCase(), message: fastify.message ?? 'bad request' } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error; see the server log' } } };
}
