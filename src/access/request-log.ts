import type { FastifyReply, FastifyRequest } from 'fastify';

/** Route config of a route whose path carries a secret (an activation or reset link's token). */
export interface RequestLogConfig {
  /** The request line names the route's pattern (`/activate/:token`), never the path as sent. */
  secretPath?: boolean;
}

/** Probes and scrapes would drown the log. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** A path segment that could be a link's secret (32 random bytes are 43 base64url characters). */
const OPAQUE_SEGMENT = /^[A-Za-z0-9_~.%=+-]{32,}$/;

/**
 * The path a request's log line shows. Never the query string: survey links carry respondents'
 * and agents' emails. A route marked `secretPath` shows its pattern; a path no route matched (a
 * mistyped link) shows its long opaque segments as `:redacted`.
 */
export function loggedPath(req: FastifyRequest): string {
  const path = req.url.split('?')[0]!;
  const route = req.routeOptions.url;
  if (route && (req.routeOptions.config as RequestLogConfig | undefined)?.secretPath) return route;
  if (route) return path;
  return path
    .split('/')
    .map((segment) => (OPAQUE_SEGMENT.test(segment) ? ':redacted' : segment))
    .join('/');
}

/** One line per request, as the server's onResponse hook writes it; no header (tokens, cookies) is ever logged. */
export function logRequest(req: FastifyRequest, reply: FastifyReply): void {
  const path = loggedPath(req);
  if (QUIET_PATHS.has(path)) return;
  req.log.info({ method: req.method, path, route: req.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
}
