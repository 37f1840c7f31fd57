import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { INTEGRATIONS } from '../connector/contract.js';
import { accountHealthCounts } from '../db/account-repository.js';
import { pendingMigrations } from '../db/orm.js';
import { Metrics } from '../daemon/metrics.js';
import { STALE_AFTER_MS } from '../schedule/backoff.js';
import { registerApiRoutes } from './api-routes.js';
import { DEFAULT_SURVEY_LIMITS, registerSurveyRoutes, type SurveyLimits } from './survey-routes.js';
import { replyError, UnauthenticatedError } from './errors.js';
import { openApiDocument } from './openapi.js';

/** Bodies on this API are tiny; anything larger is refused before parsing. */
const BODY_LIMIT_BYTES = 64 * 1024;
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The HTTP API of product.md §8 on Fastify, sharing the app's pino logger. Public: health,
 * readiness, metrics and the OpenAPI document; everything under `/api/v1` needs a bearer token.
 */
export async function buildServer(app: App, options: { surveyLimits?: Partial<SurveyLimits> } = {}): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: app.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Probes and scrapes would drown the log; every other request is logged (never its headers' tokens).
    logController: new LogController({ disableRequestLogging: (req) => QUIET_PATHS.has((req as { url?: string }).url?.split('?')[0] ?? '') }),
  });

  server.setErrorHandler((err, req, reply) => {
    const { status, body } = replyError(req, reply, err);
    void reply.code(status).send(body);
  });
  server.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  server.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/') || req.url.split('?')[0] === '/api/v1/survey-events') return;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthenticatedError('send a token: Authorization: Bearer <token> (create one with psa-sync tokens create)');
    const principal = await app.tokens.authenticate(match[1]!);
    if (!principal) throw new UnauthenticatedError('unknown or revoked token');
    req.principal = principal;
  });

  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    try {
      const pending = await pendingMigrations(app.orm);
      if (pending.length > 0) return reply.code(503).send({ status: 'not_ready', reason: `${pending.length} database migrations pending` });
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'not_ready', reason: 'database unreachable' });
    }
  });
  server.get('/metrics', async (_req, reply) => {
    const now = app.clock.now();
    const scheduledIntegrations = INTEGRATIONS.filter((i) => app.registry.has(i) && app.registry.get(i).rosterPolicy !== 'none');
    const fleet = await accountHealthCounts(app.orm.em.fork(), { now, staleBefore: new Date(now.getTime() - STALE_AFTER_MS), scheduledIntegrations });
    return reply.type('text/plain; version=0.0.4').send(app.metrics.text() + Metrics.fleetText(fleet));
  });
  server.get('/docs/openapi.json', async () => openApiDocument);

  registerApiRoutes(server, app);
  registerSurveyRoutes(server, app, { ...DEFAULT_SURVEY_LIMITS, ...app.env.survey, ...options.surveyLimits });
  await server.ready();
  return server;
}
