import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { InputError } from '../core/errors.js';
import type { RatingQueryInput } from '../domain/ratings.js';
import type { RatingImportBody } from '../services/ratings.js';
import { principalOf } from './api-routes.js';
import { assertCanChange, requireId } from '../access/policy.js';

/** Largest history import body (CSV or JSON): about 100,000 rows. */
export const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

type Query = { Params: { id: string }; Querystring: RatingQueryInput };

/** A history import as posted: `text/csv`, or JSON `{"rows": [...]}`. */
function importBody(body: unknown): RatingImportBody {
  if (typeof body === 'string') return { format: 'csv', text: body };
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    const rows = (body as { rows?: unknown }).rows;
    if (keys.length === 1 && Array.isArray(rows)) return { format: 'json', rows };
  }
  throw new InputError('send {"rows": [...]} as application/json, or the CSV file as text/csv (header at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name)');
}

/**
 * Ratings (product.md §12, names of §8): the report, the individual ratings, their CSV, and the
 * history import. Every read applies the caller's scope in the service (an employee: their own
 * ratings; a narrowed account manager: the chosen engineers and clients).
 */
export function registerRatingsRoutes(server: FastifyInstance, app: App): void {
  server.get<Query>('/api/v1/accounts/:id/ratings/summary', async (req) => app.ratings.summary(requireId('account', req.params.id), req.query, principalOf(req)));

  server.get<Query>('/api/v1/accounts/:id/ratings', async (req) => {
    const { ratings, nextCursor } = await app.ratings.page(requireId('account', req.params.id), req.query, principalOf(req));
    return { ratings, nextCursor };
  });

  server.get<Query>('/api/v1/accounts/:id/ratings.csv', async (req, reply) => {
    const csv = await app.ratings.csv(requireId('account', req.params.id), req.query, principalOf(req));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${csv.filename}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(Readable.from(csv.chunks));
  });

  // The employee dashboard of one member (what /me shows an employee): its own figures, 90-day trend and ratings, newest first.
  server.get<{ Params: { id: string; memberId: string }; Querystring: Record<string, unknown> }>('/api/v1/accounts/:id/members/:memberId/dashboard', async (req) => {
    const accountId = requireId('account', req.params.id);
    const memberId = requireId('member', req.params.memberId);
    const unknown = Object.keys(req.query).filter((k) => k !== 'limit' && k !== 'cursor');
    if (unknown.length > 0) throw new InputError(`unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')}; the dashboard takes limit and cursor`);
    const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? undefined : String(v));
    return app.ratings.dashboard(accountId, principalOf(req), { memberId, limit: text(req.query.limit), cursor: text(req.query.cursor) });
  });

  void server.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { id: string }; Body: unknown }>('/api/v1/accounts/:id/ratings/import', { bodyLimit: IMPORT_BODY_LIMIT }, async (req) => {
      const accountId = requireId('account', req.params.id);
      const p = principalOf(req);
      assertCanChange(p, accountId, `account ${accountId}`, 'import ratings');
      return app.ratings.import(accountId, importBody(req.body), actorOf(p), p);
    });
  });
}
