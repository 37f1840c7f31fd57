import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { actorOf, type Principal } from '../access/principal.js';
import { assertCanChange, assertCanRead, assertCanReadMember, requireId, roleReads } from '../access/policy.js';
import type { AccountView } from '../db/views.js';
import type { UpdateAccountInput } from '../services/accounts.js';
import { cleanReason } from '../services/members.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const principalOf = (req: FastifyRequest): Principal => req.principal!;

/** The `/api/v1` routes of product.md §8; every route needs a caller, by token or session (see src/web/server.ts). */
/** What an admin may change on an account; settings (credentials) are write-only. */
const ACCOUNT_PATCH = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    seatLimit: { type: ['integer', 'null'], minimum: 0 },
    syncAt: { type: ['string', 'null'] },
    timezone: { type: 'string' },
    breakerPercent: { type: 'integer', minimum: 0, maximum: 100 },
    breakerMinMembers: { type: 'integer', minimum: 0 },
    requireSignedLinks: { type: 'boolean' },
    surveyAutoAddCap: { type: 'integer', minimum: 0 },
    settings: { type: 'object' },
    notificationEmails: { type: ['array', 'null'], items: { type: 'string', maxLength: 254 }, maxItems: 50 },
    reason: { type: 'string', maxLength: 500 },
  },
} as const;

/** The account record as the caller may read it: whole, or (an employee) its id and name alone. */
const accountShownTo = (p: Principal, a: AccountView): AccountView | Pick<AccountView, 'id' | 'name'> => (roleReads(p, 'account') ? a : { id: a.id, name: a.name });

/** The optional reason an admin gives for an action (kept in the audit trail). */
const REASON = { type: 'string', maxLength: 500 } as const;

export function registerApiRoutes(server: FastifyInstance, app: App): void {
  server.get('/api/v1/accounts', async (req) => {
    const p = principalOf(req);
    // Support sees every account; anyone else only their own.
    return { accounts: (await app.accounts.list(p.role === 'support' ? undefined : p.accountId!)).map((a) => accountShownTo(p, a)) };
  });

  server.get<{ Params: { id: string } }>('/api/v1/accounts/:id', async (req) => {
    const accountId = requireId('account', req.params.id);
    const p = principalOf(req);
    assertCanRead(p, accountId, `account ${accountId}`, 'name');
    return { account: accountShownTo(p, await app.accounts.get(accountId)) };
  });

  server.patch<{ Params: { id: string }; Body: UpdateAccountInput & { reason?: string } }>('/api/v1/accounts/:id', { schema: { body: ACCOUNT_PATCH } }, async (req) => {
    const accountId = requireId('account', req.params.id);
    const p = principalOf(req);
    assertCanChange(p, accountId, `account ${accountId}`, 'change account settings');
    const { reason, notificationEmails, ...input } = req.body as UpdateAccountInput & { reason?: string; notificationEmails?: string[] | null };
    if (notificationEmails !== undefined) await app.accounts.setNotificationEmails(accountId, notificationEmails, actorOf(p), cleanReason(reason));
    if (Object.keys(input).length === 0) return { account: await app.accounts.get(accountId) };
    return { account: await app.accounts.update(accountId, input, actorOf(p), cleanReason(reason)) };
  });

  server.post<{ Params: { id: string }; Querystring: { dryRun?: string } }>('/api/v1/accounts/:id/sync', async (req, reply) => {
    const accountId = requireId('account', req.params.id);
    const p = principalOf(req);
    assertCanChange(p, accountId, `account ${accountId}`, 'trigger a sync');
    if (req.query.dryRun === 'true' || req.query.dryRun === '1') {
      const result = await app.engine.sync(accountId, { trigger: 'manual', requestedBy: actorOf(p), dryRun: true });
      return reply.code(200).send({ run: result.run, changes: result.changes });
    }
    const { run, created } = await app.engine.queue(accountId, 'manual', actorOf(p));
    return reply.code(202).send({ run, joined: !created });
  });

  server.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/v1/accounts/:id/runs', async (req) => {
    const accountId = requireId('account', req.params.id);
    assertCanRead(principalOf(req), accountId, `account ${accountId}`, 'runs');
    return app.runs.page(accountId, req.query);
  });

  server.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/v1/runs/:id', async (req) => {
    const runId = requireId('run', req.params.id);
    const p = principalOf(req);
    assertCanRead(p, (await app.runs.get(runId)).accountId, `run ${runId}`, 'runs');
    return app.runs.showPage(runId, req.query, p.memberScope);
  });

  for (const verb of ['approve', 'reject'] as const) {
    // The body is optional: {"reason": "…"} is recorded in the audit trail.
    server.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(`/api/v1/runs/:id/${verb}`, { schema: { body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: REASON } } } }, async (req) => {
      const runId = requireId('run', req.params.id);
      const run = await app.runs.get(runId);
      const p = principalOf(req);
      assertCanChange(p, run.accountId, `run ${runId}`, `${verb} a held run`);
      const reason = cleanReason(req.body?.reason);
      const result = verb === 'approve' ? await app.engine.approve(runId, actorOf(p), reason) : await app.engine.reject(runId, actorOf(p), reason);
      return { run: result.run, changes: result.changes };
    });
  }

  server.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/v1/accounts/:id/audit', async (req) => {
    const accountId = requireId('account', req.params.id);
    const p = principalOf(req);
    assertCanRead(p, accountId, `account ${accountId}`, 'audit');
    return app.members.audit(accountId, req.query, p);
  });

  server.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/v1/accounts/:id/members', async (req) => {
    const accountId = requireId('account', req.params.id);
    const p = principalOf(req);
    assertCanRead(p, accountId, `account ${accountId}`, 'members');
    const page = await app.members.page(accountId, req.query, p.memberScope);
    // The seat limit is the account's, not the member's: an employee reads their own member alone.
    return roleReads(p, 'account') ? page : { ...page, seatLimit: null };
  });

  server.patch<{ Params: { id: string; memberId: string }; Body: { active: boolean; reason?: string } }>(
    '/api/v1/accounts/:id/members/:memberId',
    {
      schema: {
        body: { type: 'object', required: ['active'], additionalProperties: false, properties: { active: { type: 'boolean' }, reason: REASON } },
      },
    },
    async (req) => {
      const accountId = requireId('account', req.params.id);
      const memberId = requireId('member', req.params.memberId);
      const p = principalOf(req);
      assertCanChange(p, accountId, `account ${accountId}`, 'change members');
      return { member: await app.members.setActive(accountId, memberId, req.body.active, actorOf(p), req.body.reason) };
    },
  );

  server.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/v1/accounts/:id/survey-events', async (req) => {
    const accountId = requireId('account', req.params.id);
    const p = principalOf(req);
    assertCanRead(p, accountId, `account ${accountId}`, 'survey');
    return app.survey.page(accountId, req.query, p.memberScope, p.clientScope ?? null);
  });

  server.get<{ Querystring: { account?: string } }>('/api/v1/tokens', async (req) => ({
    tokens: await app.tokens.list({ accountId: req.query.account, caller: principalOf(req) }),
  }));

  server.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', async (req) => {
    const p = principalOf(req);
    return { token: await app.tokens.revoke(req.params.id, actorOf(p), p) };
  });

  server.post<{ Params: { id: string }; Body: { active: boolean; memberIds?: string[]; filter?: Record<string, string>; reason?: string } }>(
    '/api/v1/accounts/:id/members/bulk',
    {
      schema: {
        body: {
          type: 'object',
          required: ['active'],
          additionalProperties: false,
          properties: {
            active: { type: 'boolean' },
            memberIds: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100_000 },
            filter: { type: 'object', additionalProperties: { type: 'string' } },
            reason: REASON,
          },
        },
      },
    },
    async (req) => {
      const accountId = requireId('account', req.params.id);
      const p = principalOf(req);
      assertCanChange(p, accountId, `account ${accountId}`, 'change members');
      return app.members.bulkSetActive(accountId, req.body, actorOf(p));
    },
  );

  server.get<{ Params: { id: string; memberId: string } }>('/api/v1/accounts/:id/members/:memberId/explain', async (req) => {
    const accountId = requireId('account', req.params.id);
    const memberId = requireId('member', req.params.memberId);
    const p = principalOf(req);
    assertCanReadMember(p, accountId, memberId);
    return app.members.explain(accountId, memberId, p);
  });
}
