import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchemaValidationError } from 'fastify';
import { InputError } from '../core/errors.js';
import { PUBLIC, type RouteAuthConfig } from './route-auth.js';
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

/** Trusts the nearest `hops` proxies in X-Forwarded-For. */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** A registered route and who may call it. */
export interface RouteEntry {
  method: string;
  url: string;
  auth: 'public' | 'token';
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access rule, for the OpenAPI check and the access tests. */
    routeTable: RouteEntry[];
  }
}

/** "body.active must be boolean; body has unknown field \"extra\"": every problem, each naming its field. */
function describeSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): string {
  const problems = errors.map((e) => {
    const at = `${dataVar}${e.instancePath.replace(/\//g, '.')}`;
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') return `${at} has unknown field "${String(params.additionalProperty)}"`;
    if (e.keyword === 'required') return `${at}.${String(params.missingProperty)} is required`;
    return `${at} ${e.message ?? 'is invalid'}`;
  });
  return [...new Set(problems)].join('; ');
}

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
    trustProxy: typeof app.env.trustProxy === 'number' ? trustHops(app.env.trustProxy) : app.env.trustProxy,
    // Bodies are taken as sent: no type coercion ("false" is not false), no silently dropped fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
    schemaErrorFormatter: (errors, dataVar) => new InputError(describeSchemaErrors(errors, dataVar)),
    // Requests are logged by the onResponse hook below, which decides what a log line may hold.
    logController: new LogController({ disableRequestLogging: true }),
  });

  // One line per request, without the query string: survey links carry respondents' and agents'
  // emails, and no header (tokens, cookies) is ever logged. Probes and scrapes would drown the log.
  server.addHook('onResponse', (req, reply, done) => {
    const path = req.url.split('?')[0]!;
    if (!QUIET_PATHS.has(path)) req.log.info({ method: req.method, path, route: req.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });
  // The no-script button of a survey page posts an (empty) form.
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  server.setErrorHandler((err, req, reply) => {
    const { status, body } = replyError(req, reply, err);
    void reply.code(status).send(body);
  });
  server.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  // Who may call a route is part of the route (config.auth), decided for the route Fastify matched,
  // never from the raw URL: an encoded or odd path either matches a route and is checked, or is a 404.
  // A route that does not say it is public needs a bearer token.
  const routes: RouteEntry[] = [];
  server.decorate('routeTable', routes);
  server.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as RouteAuthConfig;
    if (config.auth !== 'public' && config.auth !== 'token') route.config = { ...config, auth: 'token' };
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, auth: (route.config as RouteAuthConfig).auth! });
  });
  // Callback style: a public route (the survey intake, at thousands a second) pays for no promise.
  server.addHook('onRequest', (req, _reply, done) => {
    if (req.is404 || (req.routeOptions.config as RouteAuthConfig).auth === 'public') return done();
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) return done(new UnauthenticatedError('send a token: Authorization: Bearer <token> (create one with psa-sync tokens create)'));
    app.tokens.authenticate(match[1]!).then((principal) => {
      if (!principal) return done(new UnauthenticatedError('unknown or revoked token'));
      req.principal = principal;
      done();
    }, done);
  });

  server.get('/healthz', PUBLIC, async () => ({ status: 'ok' }));
  server.get('/readyz', PUBLIC, async (_req, reply) => {
    try {
      const pending = await pendingMigrations(app.orm);
      if (pending.length > 0) return reply.code(503).send({ status: 'not_ready', reason: `${pending.length} database migrations pending` });
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'not_ready', reason: 'database unreachable' });
    }
  });
  server.get('/metrics', PUBLIC, async (_req, reply) => {
    const now = app.clock.now();
    const scheduledIntegrations = INTEGRATIONS.filter((i) => app.registry.has(i) && app.registry.get(i).rosterPolicy !== 'none');
    const fleet = await accountHealthCounts(app.orm.em.fork(), { now, staleBefore: new Date(now.getTime() - STALE_AFTER_MS), scheduledIntegrations });
    return reply.type('text/plain; version=0.0.4').send(app.metrics.text() + Metrics.fleetText(fleet));
  });
  server.get('/docs/openapi.json', PUBLIC, async () => openApiDocument);

  registerApiRoutes(server, app);
  registerSurveyRoutes(server, app, { ...DEFAULT_SURVEY_LIMITS, ...app.env.survey, ...options.surveyLimits });
  await server.ready();
  return server;
}
