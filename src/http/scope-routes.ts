import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { assertCanChange, assertCanRead, requireId } from '../access/policy.js';
import { MAX_SCOPE_IDS } from '../domain/scope.js';
import { cleanReason } from '../services/members.js';
import { principalOf } from './api-routes.js';

const IDS = { type: ['array', 'null'], items: { anyOf: [{ type: 'string', maxLength: 64 }, { type: 'integer' }] }, maxItems: MAX_SCOPE_IDS } as const;
/** The scope as `PUT` takes it; the service checks every id against the PSA's choices. */
const SCOPE_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: { memberTypes: IDS, departments: IDS, locations: IDS, reason: { type: 'string', maxLength: 500 } },
} as const;

type ScopeBody = { memberTypes?: unknown; departments?: unknown; locations?: unknown; reason?: string };

/**
 * The sync scope of an account (product.md §2, names of §8): `GET` answers the stored scope and
 * the choices read live from the PSA (admins, account managers and support read it); `PUT` stores
 * a new one (admins). With `?dryRun=true`, `PUT` stores nothing and answers what a sync would do.
 */
export function registerScopeRoutes(server: FastifyInstance, app: App): void {
  server.get<{ Params: { id: string } }>('/api/v1/accounts/:id/scope', async (req) => {
    const accountId = requireId('account', req.params.id);
    assertCanRead(principalOf(req), accountId, `account ${accountId}`, 'account');
    return app.syncScope.get(accountId);
  });

  server.put<{ Params: { id: string }; Querystring: { dryRun?: string }; Body: ScopeBody }>('/api/v1/accounts/:id/scope', { schema: { body: SCOPE_BODY } }, async (req) => {
    const accountId = requireId('account', req.params.id);
    const p = principalOf(req);
    assertCanChange(p, accountId, `account ${accountId}`, 'change the sync scope');
    const { reason, ...scope } = req.body ?? {};
    if (req.query.dryRun === 'true' || req.query.dryRun === '1') return app.syncScope.preview(accountId, scope, actorOf(p));
    return app.syncScope.set(accountId, scope, actorOf(p), cleanReason(reason));
  });
}
