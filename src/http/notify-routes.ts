import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { principalOf } from './api-routes.js';
import { assertCanChange, requireId } from '../access/policy.js';

/** Webhook endpoints of an account (product.md §10): list with state and attempts, add, remove, send a test event. */
export function registerNotifyRoutes(server: FastifyInstance, app: App): void {
  server.get<{ Params: { id: string } }>('/api/v1/accounts/:id/webhooks', async (req) => ({ webhooks: await app.webhooks.list(requireId('account', req.params.id), principalOf(req)) }));

  server.post<{ Params: { id: string }; Body: { url: string } }>(
    '/api/v1/accounts/:id/webhooks',
    { schema: { body: { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string', minLength: 1, maxLength: 2000 } } } } },
    async (req, reply) => {
      const p = principalOf(req);
      return reply.code(201).send(await app.webhooks.add(requireId('account', req.params.id), req.body.url, actorOf(p), p));
    },
  );

  server.delete<{ Params: { id: string; webhookId: string } }>('/api/v1/accounts/:id/webhooks/:webhookId', async (req) => {
    const p = principalOf(req);
    await app.webhooks.remove(requireId('account', req.params.id), req.params.webhookId, actorOf(p), p);
    return { removed: true };
  });

  // ConnectWise callbacks: register psa-sync's own (idempotent), or remove it (admin).
  server.post<{ Params: { id: string }; Body: { url: string } }>(
    '/api/v1/accounts/:id/callbacks',
    { schema: { body: { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string', pattern: '^https?://', maxLength: 2000 } } } } },
    async (req) => {
      const p = principalOf(req);
      const accountId = requireId('account', req.params.id);
      assertCanChange(p, accountId, `account ${accountId}`, 'register callbacks');
      return app.callbacks.register(accountId, req.body.url, actorOf(p));
    },
  );
  server.delete<{ Params: { id: string } }>('/api/v1/accounts/:id/callbacks', async (req) => {
    const p = principalOf(req);
    const accountId = requireId('account', req.params.id);
    assertCanChange(p, accountId, `account ${accountId}`, 'remove callbacks');
    return app.callbacks.unregister(accountId, actorOf(p));
  });

  server.post<{ Params: { id: string; webhookId: string } }>('/api/v1/accounts/:id/webhooks/:webhookId/test', async (req, reply) => {
    const p = principalOf(req);
    await app.webhooks.test(requireId('account', req.params.id), req.params.webhookId, actorOf(p), p);
    return reply.code(202).send({ queued: true });
  });
}
