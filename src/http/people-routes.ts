import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { clientScopeSeenBy } from '../access/client-names.js';
import { InputError } from '../core/errors.js';
import type { SignIn } from '../services/auth.js';
import type { PersonScopeInput } from '../domain/person-scope.js';
import { principalOf } from './api-routes.js';
import { requireId } from '../access/policy.js';
import { AUTH_ROUTE, clearSessionCookie, setSessionCookie } from '../access/session-cookie.js';

const REASON = { type: 'string', maxLength: 500 } as const;
/** An account manager's scope: each part `{include: [...]}`, `{exclude: [...]}` or null (checked in full by the service, its length too). */
const SCOPE_PART = { type: ['object', 'null'], maxProperties: 1, properties: { include: { type: 'array', items: { type: 'string', maxLength: 200 } }, exclude: { type: 'array', items: { type: 'string', maxLength: 200 } } }, additionalProperties: false } as const;
const SCOPE = { type: 'object', additionalProperties: false, minProperties: 1, properties: { members: SCOPE_PART, clients: SCOPE_PART } } as const;
const body = (properties: Record<string, object>, required: string[] = []) => ({ type: 'object', additionalProperties: false, required, properties }) as const;
const PASSWORD = { type: 'string', maxLength: 1000 } as const;
const TOKEN = { type: 'string', minLength: 1, maxLength: 200 } as const;
const EMAIL = { type: 'string', minLength: 1, maxLength: 254 } as const;

/** What a sign-in answers: who, the CSRF token for changes, and when the session ends (the cookie carries the rest). */
function signedIn(reply: FastifyReply, app: App, s: SignIn) {
  setSessionCookie(reply, app, s);
  return { person: s.person, csrfToken: s.csrfToken, expiresAt: s.expiresAt.toISOString() };
}

const clientOf = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'] });

/**
 * People and sign-in (product.md §7, names of §8): an account's people and roles, activation and
 * reset links, password sign-in and sign-out, and `GET /api/v1/me`.
 */
export function registerPeopleRoutes(server: FastifyInstance, app: App): void {
  server.get<{ Params: { id: string } }>('/api/v1/accounts/:id/people', async (req) => ({ people: await app.people.list(requireId('account', req.params.id), principalOf(req)) }));

  server.post<{ Params: { id: string }; Body: { memberId?: string; email?: string; role: string; reason?: string } }>(
    '/api/v1/accounts/:id/people',
    { schema: { body: body({ memberId: { type: 'string' }, email: EMAIL, role: { type: 'string' }, reason: REASON }, ['role']) } },
    async (req, reply) => {
      const p = principalOf(req);
      const result = await app.people.invite(requireId('account', req.params.id), req.body, actorOf(p), p);
      return reply.code(201).send(result);
    },
  );

  server.patch<{ Params: { id: string; personId: string }; Body: { role?: string; memberScope?: string[] | null; scope?: PersonScopeInput; reason?: string } }>(
    '/api/v1/accounts/:id/people/:personId',
    { schema: { body: { ...body({ role: { type: 'string' }, memberScope: { type: ['array', 'null'], items: { type: 'string' } }, scope: SCOPE, reason: REASON }), minProperties: 1 } } },
    async (req) => {
      const p = principalOf(req);
      return { person: await app.people.update(requireId('account', req.params.id), req.params.personId, req.body, actorOf(p), p) };
    },
  );

  server.delete<{ Params: { id: string; personId: string }; Querystring: { reason?: string } }>('/api/v1/accounts/:id/people/:personId', async (req) => {
    const p = principalOf(req);
    return { person: await app.people.remove(requireId('account', req.params.id), req.params.personId, actorOf(p), p, req.query.reason) };
  });

  server.post<{ Params: { id: string; personId: string } }>('/api/v1/accounts/:id/people/:personId/invitation', async (req) => {
    const p = principalOf(req);
    return app.people.resend(requireId('account', req.params.id), req.params.personId, actorOf(p), p);
  });

  server.get('/api/v1/me', async (req) => {
    const p = principalOf(req);
    const { person, account } = await app.auth.me(p);
    // memberScope: an include list (an employee's own member, a manager's chosen ones), as people show it; scope.members: include or exclude.
    const members = p.memberScope && (p.memberScope.mode === 'include' ? { include: [...p.memberScope.ids] } : { exclude: [...p.memberScope.ids] });
    const clients = p.clientScope ? clientScopeSeenBy(p, p.clientScope) : null;
    const scope = { members, clients: clients && { [clients.mode]: clients.names, ...(clients.hidden ? { hidden: clients.hidden } : {}) } };
    return { kind: p.kind, role: p.role, account, person, memberScope: p.memberScope?.mode === 'include' ? p.memberScope.ids : null, scope, clientScope: clients, ...(p.kind === 'session' ? { csrfToken: p.csrfToken } : { token: { id: p.id, name: p.name } }) };
  });

  server.post<{ Body: { token: string; password: string } }>('/api/v1/auth/activate', { ...AUTH_ROUTE, schema: { body: body({ token: TOKEN, password: PASSWORD }, ['token', 'password']) } }, async (req, reply) =>
    signedIn(reply, app, await app.auth.activate(req.body.token, req.body.password, clientOf(req))),
  );

  server.post<{ Body: { token: string; password: string } }>('/api/v1/auth/reset', { ...AUTH_ROUTE, schema: { body: body({ token: TOKEN, password: PASSWORD }, ['token', 'password']) } }, async (req, reply) =>
    signedIn(reply, app, await app.auth.reset(req.body.token, req.body.password, clientOf(req))),
  );

  server.post<{ Body: { email: string; password: string } }>('/api/v1/auth/login', { ...AUTH_ROUTE, schema: { body: body({ email: EMAIL, password: PASSWORD }, ['email', 'password']) } }, async (req, reply) =>
    signedIn(reply, app, await app.auth.login(req.body.email, req.body.password, clientOf(req))),
  );

  server.post<{ Body: { email: string } }>('/api/v1/auth/forgot', { ...AUTH_ROUTE, schema: { body: body({ email: EMAIL }, ['email']) } }, async (req, reply) => {
    app.auth.forgot(req.body.email);
    return reply.code(202).send({ status: 'accepted', message: 'if this email can sign in, a reset link valid for 1 hour is on its way' });
  });

  server.post('/api/v1/auth/logout', async (req, reply) => {
    const p = principalOf(req);
    if (p.kind !== 'session') throw new InputError('sign-out ends a console session; a token is revoked with DELETE /api/v1/tokens/:id');
    await app.auth.logout(p.sessionId!);
    clearSessionCookie(reply, app);
    return reply.code(200).send({ status: 'signed_out' });
  });
}
