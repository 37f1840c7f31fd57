import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchemaValidationError } from 'fastify';
import { InputError } from '../core/errors.js';
import { PUBLIC, type RouteAuthConfig } from '../access/route-auth.js';
import type { App } from '../app.js';
import { INTEGRATIONS } from '../connector/contract.js';
import { accountHealthCounts } from '../db/account-repository.js';
import { pendingMigrations } from '../db/orm.js';
import { Metrics } from '../daemon/metrics.js';
import { STALE_AFTER_MS } from '../schedule/backoff.js';
import { registerApiRoutes } from '../http/api-routes.js';
import { DEFAULT_SURVEY_LIMITS, registerSurveyRoutes, type SurveyLimits } from '../http/survey-routes.js';
import { replyError, UnauthenticatedError } from '../access/http-errors.js';
import { openApiDocument } from '../http/openapi.js';
import { registerFormParser } from '../http/form-body.js';
import fastifyCookie from '@fastify/cookie';
import { registerPeopleRoutes } from '../http/people-routes.js';
import { registerNotifyRoutes } from '../http/notify-routes.js';
import { registerRatingsRoutes } from '../http/ratings-routes.js';
import { registerScopeRoutes } from '../http/scope-routes.js';
import { registerCallbackRoutes } from '../http/callback-routes.js';
import { logRequest } from '../access/request-log.js';
import { registerConsole } from '../console/routes.js';
import { isHtmx, sendHtml } from '../console/reply.js';
import { errorPage, notFoundPage, wantsPage } from '../console/error-page.js';
import { htmxReturnPath } from '../console/auth-pages.js';
import { alert } from '../console/layout.js';
import { html } from '../console/html.js';
import { SESSION_COOKIE } from '../access/session-cookie.js';
import { AuthService } from '../services/auth.js';
import { ForbiddenError } from '../access/http-errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Browsers say where a request comes from; anything but this site (or a typed URL) is refused for changes. */
const crossSite = (req: { headers: Record<string, unknown> }) => {
  const site = req.headers['sec-fetch-site'];
  return typeof site === 'string' && site !== 'same-origin' && site !== 'none';
};

/** Trusts the nearest `hops` proxies in X-Forwarded-For. */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** A registered route and who may call it. */
export interface RouteEntry {
  method: string;
  url: string;
  auth: 'public' | 'caller' | 'console';
  /** A console page (HTML for people), not part of the JSON API and its OpenAPI document. */
  page: boolean;
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

  // One line per request, saying only what a log may hold (request-log.ts): no query string, no
  // header, and the route's pattern instead of a path that carries a link's secret.
  server.addHook('onResponse', (req, reply, done) => {
    logRequest(req, reply);
    done();
  });
  // Console forms and the no-script button of a survey page; repeated fields keep every value.
  registerFormParser(server, BODY_LIMIT_BYTES);

  server.setErrorHandler((err, req, reply) => {
    const { status, body } = replyError(req, reply, err);
    // A console page answers in HTML: a page, or for htmx the message alone, swapped in place.
    if ((req.routeOptions.config as RouteAuthConfig | undefined)?.page) return void sendHtml(reply, errorPage(req, status, body.error.message), status);
    void reply.code(status).send(body);
  });
  // A browser's navigation to an address no route has gets a page (a reload, an old link); the API and scripts get JSON.
  server.setNotFoundHandler(async (req, reply) => {
    if (wantsPage(req)) return sendHtml(reply, await notFoundPage(app, req), 404);
    return reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  await server.register(fastifyCookie);

  // Who may call a route is part of the route (config.auth), decided for the route Fastify matched,
  // never from the raw URL: an encoded or odd path either matches a route and is checked, or is a 404.
  // A route that does not say it is public needs a caller: a bearer token or a console session.
  const routes: RouteEntry[] = [];
  server.decorate('routeTable', routes);
  server.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as RouteAuthConfig;
    if (config.auth !== 'public' && config.auth !== 'caller' && config.auth !== 'console') route.config = { ...config, auth: 'caller' };
    const final = route.config as RouteAuthConfig;
    const page = Boolean(final.page) || route.url.startsWith('/assets/');
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, auth: final.auth!, page });
  });
  // One access check for both kinds of caller: the Principal a token or a session stands for.
  // Callback style: a public route (the survey intake, at thousands a second) pays for no promise.
  server.addHook('onRequest', (req, reply, done) => {
    const config = req.routeOptions.config as RouteAuthConfig;
    if (config.sameSiteOnly && !SAFE_METHODS.has(req.method) && crossSite(req)) return done(new ForbiddenError('this request came from another site; sign in from the console itself'));
    if (req.is404 || config.auth === 'public') return done();
    // A console page (cookie only) sends the browser to sign in, and back; the API answers 401.
    const page = config.auth === 'console';
    const authorization = req.headers.authorization;
    if (!page && authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) return done(new UnauthenticatedError('the Authorization header must be "Bearer <token>"'));
      app.tokens.authenticate(match[1]!).then((principal) => {
        if (!principal) return done(new UnauthenticatedError('unknown, expired or revoked token'));
        req.principal = principal;
        done();
      }, done);
      return;
    }
    const noSession = (ended: boolean) => {
      // htmx follows a 303 itself and would swap the sign-in page into the table; HX-Redirect makes
      // it load the sign-in page instead (htmx 2 reads it before any swap, whatever the status).
      if (page && isHtmx(req)) {
        const next = htmxReturnPath(req.headers['hx-current-url'] as string | undefined, app.env.publicUrl, `${req.protocol}://${req.host}`);
        return void sendHtml(reply.header('hx-redirect', `/login?next=${encodeURIComponent(next)}`), alert('error', html`${ended ? 'Your session has ended.' : 'Please sign in.'} <a href="/login">Sign in</a>.`), 401);
      }
      if (page) return void reply.code(303).header('location', `/login${SAFE_METHODS.has(req.method) ? `?next=${encodeURIComponent(req.url)}` : ''}`).send();
      done(
        new UnauthenticatedError(
          ended ? 'your session has ended (signed out, expired, or your access changed); sign in again' : 'sign in (POST /api/v1/auth/login) or send a token: Authorization: Bearer <token> (create one with psa-sync tokens create)',
        ),
      );
    };
    const cookie = req.cookies[SESSION_COOKIE];
    if (!cookie) return noSession(false);
    app.auth.authenticate(cookie).then((principal) => {
      if (!principal) return noSession(true);
      if (!SAFE_METHODS.has(req.method) && crossSite(req)) return done(new ForbiddenError('this request came from another site; changes are made from the console itself'));
      req.principal = principal;
      done();
    }, done);
  });
  // A cookie is sent by the browser whoever made the page, so a session's changes must also carry
  // its CSRF token: the x-csrf-token header (console scripts) or a _csrf form field (plain forms).
  // Checked before validation, so a form's _csrf is taken out of the body first.
  server.addHook('preValidation', (req, _reply, done) => {
    const p = req.principal;
    if (!p || p.kind !== 'session' || SAFE_METHODS.has(req.method)) return done();
    const body = req.body as Record<string, unknown> | undefined;
    const fromForm = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') && body && typeof body._csrf === 'string' ? (body._csrf as string) : undefined;
    if (fromForm !== undefined) delete body!._csrf;
    const header = req.headers['x-csrf-token'];
    if (!AuthService.csrfMatches(p, typeof header === 'string' ? header : fromForm)) return done(new ForbiddenError('missing or wrong CSRF token: send the x-csrf-token header that GET /api/v1/me gives'));
    done();
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
  registerPeopleRoutes(server, app);
  registerNotifyRoutes(server, app);
  registerCallbackRoutes(server, app);
  registerRatingsRoutes(server, app);
  registerScopeRoutes(server, app);
  registerConsole(server, app);
  registerSurveyRoutes(server, app, { ...DEFAULT_SURVEY_LIMITS, ...app.env.survey, ...options.surveyLimits });
  await server.ready();
  return server;
}
