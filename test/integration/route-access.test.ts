import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, signInAgain, type TestSession } from '../helpers/people.js';

/**
 * Every route × every caller (issue 9, items 3 and 4): access is decided for the route Fastify
 * matched, so odd spellings of a path are checked the same or are 404, and bad input is 400.
 */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
/** Session callers: the cookie and the CSRF token each change must carry. */
const sessions: Record<string, TestSession> = {};

/** Every kind of caller: tokens of each role, and people signed in to the console with each role. */
type Caller = 'none' | 'admin' | 'otherAdmin' | 'manager' | 'support' | 'adminPerson' | 'managerPerson' | 'narrowedManager' | 'employee' | 'supportPerson';
const CALLERS: Caller[] = ['none', 'admin', 'otherAdmin', 'manager', 'support', 'adminPerson', 'managerPerson', 'narrowedManager', 'employee', 'supportPerson'];
const ROLE_OF: Record<Exclude<Caller, 'none'>, 'admin' | 'account_manager' | 'narrowed' | 'employee' | 'support'> = {
  admin: 'admin',
  otherAdmin: 'admin',
  manager: 'account_manager',
  support: 'support',
  adminPerson: 'admin',
  managerPerson: 'account_manager',
  narrowedManager: 'narrowed',
  employee: 'employee',
  supportPerson: 'support',
};

beforeAll(async () => {
  t = await createTestApp({ env: { PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  cw = await serveFake(new ConnectWiseFake(cwMembers(8)));
  ids.account = (await addCwAccount(t.app, cw.url)).id;
  ids.other = (await addCwAccount(t.app, cw.url)).id;
  ids.run = (await t.app.engine.sync(ids.account, { trigger: 'manual', requestedBy: 'setup' })).run.id!;
  const members = await t.app.members.list(ids.account);
  ids.member = members[0]!.id;
  tokens.admin = (await t.app.tokens.create({ role: 'admin', accountId: ids.account })).token;
  tokens.otherAdmin = (await t.app.tokens.create({ role: 'admin', accountId: ids.other })).token;
  tokens.manager = (await t.app.tokens.create({ role: 'account_manager', accountId: ids.account })).token;
  tokens.support = (await t.app.tokens.create({ role: 'support' })).token;
  ids.token = (await t.app.tokens.create({ role: 'admin', accountId: ids.account, name: 'to revoke' })).record.id;
  server = await buildServer(t.app);
  sessions.adminPerson = await signIn(t.app, server, { accountId: ids.account, memberId: members[1]!.id, role: 'admin' });
  sessions.managerPerson = await signIn(t.app, server, { accountId: ids.account, memberId: members[2]!.id, role: 'account_manager' });
  sessions.narrowedManager = await signIn(t.app, server, { accountId: ids.account, memberId: members[3]!.id, role: 'account_manager', memberScope: [ids.member] });
  sessions.employee = await signIn(t.app, server, { accountId: ids.account, memberId: members[4]!.id, role: 'employee' });
  sessions.supportPerson = await signIn(t.app, server, { support: true });
  ids.employeeMember = members[4]!.id;
  ids.pending = (await t.app.people.invite(ids.account, { memberId: members[5]!.id, role: 'employee' }, 'cli')).person.id;
  ids.inviteMember = members[6]!.id;
  ids.spareMember = members[7]!.id;
  ids.webhook = (await t.app.webhooks.add(ids.account, 'http://127.0.0.1:9/a', 'setup')).endpoint.id;
  ids.webhook2 = (await t.app.webhooks.add(ids.account, 'http://127.0.0.1:9/b', 'setup')).endpoint.id;
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

/** How a route is reached, and what it reads (or that it changes something). */
/** `settings`: the account's own settings (the sync scope): everyone who reads the account record, never an employee. */
type Access = 'change' | 'account' | 'settings' | 'members' | 'member' | 'runs' | 'audit' | 'survey' | 'people' | 'tokens' | 'any';
interface RouteCase {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  path: () => string | Promise<string>;
  access: Access;
  payload?: object;
  /** Not tied to one account: another account's admin is answered for its own (not 404). */
  accountless?: boolean;
  except?: Partial<Record<Caller, 'allowed' | 400 | 403 | 404>>;
}

/** A fresh pending person to remove, so every allowed DELETE has something to remove. */
const freshPending = async () => {
  const member = ids.spareMember!;
  const existing = (await t.app.people.list(ids.account!)).find((p) => p.memberId === member);
  const person = existing ?? (await t.app.people.invite(ids.account!, { memberId: member, role: 'employee' }, 'cli')).person;
  return `/api/v1/accounts/${ids.account}/people/${person.id}`;
};

const ROUTES: RouteCase[] = [
  { method: 'POST', url: '/api/v1/accounts/:id/sync', path: () => `/api/v1/accounts/${ids.account}/sync?dryRun=true`, access: 'change' },
  { method: 'GET', url: '/api/v1/accounts/:id/runs', path: () => `/api/v1/accounts/${ids.account}/runs`, access: 'runs' },
  { method: 'GET', url: '/api/v1/runs/:id', path: () => `/api/v1/runs/${ids.run}`, access: 'runs' },
  { method: 'POST', url: '/api/v1/runs/:id/approve', path: () => `/api/v1/runs/${ids.run}/approve`, access: 'change' },
  { method: 'POST', url: '/api/v1/runs/:id/reject', path: () => `/api/v1/runs/${ids.run}/reject`, access: 'change' },
  { method: 'GET', url: '/api/v1/accounts/:id/members', path: () => `/api/v1/accounts/${ids.account}/members`, access: 'members' },
  { method: 'PATCH', url: '/api/v1/accounts/:id/members/:memberId', path: () => `/api/v1/accounts/${ids.account}/members/${ids.member}`, access: 'change', payload: { active: true } },
  { method: 'GET', url: '/api/v1/accounts/:id/survey-events', path: () => `/api/v1/accounts/${ids.account}/survey-events`, access: 'survey' },
  // ids.member is in the narrowed manager's scope, and is not the employee's own member.
  { method: 'GET', url: '/api/v1/accounts/:id/members/:memberId/explain', path: () => `/api/v1/accounts/${ids.account}/members/${ids.member}/explain`, access: 'member', except: { employee: 404 } },
  { method: 'POST', url: '/api/v1/accounts/:id/members/bulk', path: () => `/api/v1/accounts/${ids.account}/members/bulk`, access: 'change', payload: { active: true, memberIds: ['3f2a9c1e-0000-4000-8000-000000000000'] } },
  { method: 'GET', url: '/api/v1/accounts/:id/audit', path: () => `/api/v1/accounts/${ids.account}/audit`, access: 'audit' },
  // Every caller lists the accounts it may see (support: all; anyone else: its own).
  { method: 'GET', url: '/api/v1/accounts', path: () => '/api/v1/accounts', access: 'any', accountless: true },
  { method: 'GET', url: '/api/v1/accounts/:id', path: () => `/api/v1/accounts/${ids.account}`, access: 'account' },
  { method: 'PATCH', url: '/api/v1/accounts/:id', path: () => `/api/v1/accounts/${ids.account}`, access: 'change', payload: { surveyAutoAddCap: 25 } },
  // Tokens are managed by an account's admins and by support (product.md §7).
  { method: 'GET', url: '/api/v1/tokens', path: () => '/api/v1/tokens', access: 'tokens', accountless: true },
  { method: 'DELETE', url: '/api/v1/tokens/:id', path: () => `/api/v1/tokens/${ids.token}`, access: 'tokens' },
  { method: 'GET', url: '/api/v1/accounts/:id/people', path: () => `/api/v1/accounts/${ids.account}/people`, access: 'people' },
  // Support may invite only an account's first admin; this account has one.
  { method: 'POST', url: '/api/v1/accounts/:id/people', path: () => `/api/v1/accounts/${ids.account}/people`, access: 'change', payload: { memberId: '', role: 'employee' } },
  { method: 'PATCH', url: '/api/v1/accounts/:id/people/:personId', path: () => `/api/v1/accounts/${ids.account}/people/${ids.pending}`, access: 'change', payload: { role: 'employee' } },
  { method: 'DELETE', url: '/api/v1/accounts/:id/people/:personId', path: freshPending, access: 'change' },
  { method: 'POST', url: '/api/v1/accounts/:id/people/:personId/invitation', path: () => `/api/v1/accounts/${ids.account}/people/${ids.pending}/invitation`, access: 'change' },
  { method: 'GET', url: '/api/v1/me', path: () => '/api/v1/me', access: 'any', accountless: true },
  { method: 'POST', url: '/api/v1/accounts/:id/callbacks', path: () => `/api/v1/accounts/${ids.account}/callbacks`, access: 'change', payload: { url: 'https://reviews.example.test' } },
  { method: 'DELETE', url: '/api/v1/accounts/:id/callbacks', path: () => `/api/v1/accounts/${ids.account}/callbacks`, access: 'change' },
  { method: 'GET', url: '/api/v1/accounts/:id/webhooks', path: () => `/api/v1/accounts/${ids.account}/webhooks`, access: 'audit' },
  { method: 'POST', url: '/api/v1/accounts/:id/webhooks', path: () => `/api/v1/accounts/${ids.account}/webhooks`, access: 'change', payload: { url: 'http://127.0.0.1:9/hook' } },
  { method: 'DELETE', url: '/api/v1/accounts/:id/webhooks/:webhookId', path: () => `/api/v1/accounts/${ids.account}/webhooks/${ids.webhook}`, access: 'change', except: { admin: 'allowed', adminPerson: 404 } },
  { method: 'POST', url: '/api/v1/accounts/:id/webhooks/:webhookId/test', path: () => `/api/v1/accounts/${ids.account}/webhooks/${ids.webhook2}/test`, access: 'change' },
  // Ratings (issue 18): every role reads them (scoped to what it may see); only an admin imports.
  { method: 'GET', url: '/api/v1/accounts/:id/ratings/summary', path: () => `/api/v1/accounts/${ids.account}/ratings/summary?groupBy=day`, access: 'survey' },
  { method: 'GET', url: '/api/v1/accounts/:id/ratings', path: () => `/api/v1/accounts/${ids.account}/ratings`, access: 'survey' },
  { method: 'GET', url: '/api/v1/accounts/:id/ratings.csv', path: () => `/api/v1/accounts/${ids.account}/ratings.csv`, access: 'survey' },
  // An engineer's dashboard (what /me shows): ids.member is in the narrowed manager's scope, and is not the employee's own.
  { method: 'GET', url: '/api/v1/accounts/:id/members/:memberId/dashboard', path: () => `/api/v1/accounts/${ids.account}/members/${ids.member}/dashboard`, access: 'member', except: { employee: 404 } },
  { method: 'POST', url: '/api/v1/accounts/:id/ratings/import', path: () => `/api/v1/accounts/${ids.account}/ratings/import`, access: 'change', payload: { rows: [{ at: '2026-01-05', rating: 9, ticket: 'R-1', agentEmail: 'someone@acme.test' }] } },
  // The sync scope (issue 17): read with its choices by whoever reads the account record; set by an admin.
  { method: 'GET', url: '/api/v1/accounts/:id/scope', path: () => `/api/v1/accounts/${ids.account}/scope`, access: 'settings' },
  { method: 'PUT', url: '/api/v1/accounts/:id/scope', path: () => `/api/v1/accounts/${ids.account}/scope`, access: 'change', payload: { departments: [], locations: [] } },
  // Sign-out ends a console session; a token has none to end (it is revoked instead).
  { method: 'POST', url: '/api/v1/auth/logout', path: () => '/api/v1/auth/logout', access: 'any', accountless: true, except: { admin: 400, otherAdmin: 400, manager: 400, support: 400 } },
];

const isSession = (c: Caller) => c in sessions;

async function call(method: string, url: string, caller: Caller, payload?: object) {
  const headers: Record<string, string> = {};
  if (isSession(caller)) Object.assign(headers, { cookie: sessions[caller]!.cookie, 'x-csrf-token': sessions[caller]!.csrf });
  else if (caller !== 'none') headers.authorization = `Bearer ${tokens[caller]}`;
  const body = payload && 'memberId' in payload && (payload as { memberId: string }).memberId === '' ? { ...payload, memberId: ids.inviteMember } : payload;
  return server.inject({ method: method as 'GET', url, headers, ...(body ? { payload: body } : {}) });
}

/** What each caller must get: 401 without credentials, 404 for another account, 403 where its role stops it. */
function expected(caller: Caller, route: RouteCase): 'allowed' | 400 | 401 | 403 | 404 {
  if (caller === 'none') return 401;
  if (caller === 'otherAdmin' && !route.accountless) return 404;
  const role = ROLE_OF[caller];
  if (route.access === 'any') return 'allowed';
  if (route.access === 'change') return role === 'admin' ? 'allowed' : 403;
  if (role === 'admin' || role === 'support') return 'allowed';
  if (route.access === 'tokens') return 403;
  if (role === 'account_manager') return 'allowed';
  const narrowedReads: Access[] = ['account', 'settings', 'members', 'member', 'runs', 'survey'];
  const employeeReads: Access[] = ['account', 'members', 'member', 'survey'];
  return (role === 'narrowed' ? narrowedReads : employeeReads).includes(route.access) ? 'allowed' : 403;
}

describe('access is decided per route', () => {
  it('the table covers every registered route, and only the survey intake, sign-in and probes are public', () => {
    const callerRoutes = server.routeTable.filter((r) => r.auth === 'caller').map((r) => `${r.method} ${r.url}`).sort();
    expect(callerRoutes).toEqual(ROUTES.map((r) => `${r.method} ${r.url}`).sort());
    const publicRoutes = server.routeTable.filter((r) => r.auth === 'public' && !r.page).map((r) => `${r.method} ${r.url}`).sort();
    expect(publicRoutes).toEqual(
      [
        'GET /docs/openapi.json',
        'GET /healthz',
        'GET /metrics',
        'GET /readyz',
        'GET /s/:accountKey',
        'POST /s/:accountKey',
        'GET /s/assets/record.js',
        'GET /s/assets/survey.css',
        'POST /api/v1/survey-events',
        'POST /api/v1/auth/activate',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/forgot',
        'POST /api/v1/auth/reset',
        'POST /hooks/connectwise/:accountKey',
      ].sort(),
    );
  });

  it('the OpenAPI document describes every route, with the access it really has', async () => {
    const doc = (await call('GET', '/docs/openapi.json', 'none')).json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const route of server.routeTable.filter((r) => !r.page)) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.url} is not in the OpenAPI document`).toBeDefined();
      expect(Array.isArray(op!.security) && op!.security.length === 0, `${route.method} ${route.url}: documented as ${route.auth === 'public' ? 'needing a caller' : 'public'}`).toBe(route.auth === 'public');
    }
  });

  for (const route of ROUTES) {
    it(`${route.method} ${route.url}: every caller gets what its role allows`, async () => {
      for (const caller of CALLERS) {
        // Sign-out would end the shared session: each session caller signs out a session of its own.
        const saved = sessions[caller];
        if (route.url === '/api/v1/auth/logout' && saved) sessions[caller] = await signInAgain(server, saved);
        try {
          const res = await call(route.method, await route.path(), caller, route.payload);
          const want = route.except?.[caller] ?? expected(caller, route);
          if (want === 'allowed') {
            // Allowed through the access check: a success, or a rule's refusal (approving a run that is not held is 409).
            expect([200, 201, 202, 409], `${caller}: ${res.body}`).toContain(res.statusCode);
          } else {
            expect(res.statusCode, `${caller}: ${res.body}`).toBe(want);
          }
        } finally {
          if (saved) sessions[caller] = saved;
        }
      }
    });
  }

  it('an employee reads their own member, and the members list shows only them', async () => {
    expect((await call('GET', `/api/v1/accounts/${ids.account}/members/${ids.employeeMember}/explain`, 'employee')).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/accounts/${ids.account}/members/${ids.employeeMember}/dashboard`, 'employee')).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/accounts/${ids.account}/members/${ids.employeeMember}/dashboard`, 'narrowedManager')).statusCode).toBe(404);
    const list = (await call('GET', `/api/v1/accounts/${ids.account}/members?list=all`, 'employee')).json();
    expect(list.members.map((m: { id: string }) => m.id)).toEqual([ids.employeeMember]);
    expect(list.total).toBe(1);
  });

  it("an employee reads the account's name and nothing else of its record (issue 16, item 7)", async () => {
    await t.app.accounts.setNotificationEmails(ids.account!, ['owner@acme.test'], 'test');
    const whole = (await call('GET', `/api/v1/accounts/${ids.account}`, 'adminPerson')).json().account;
    expect(whole.notificationEmails).toEqual(['owner@acme.test']);
    expect(whole.settings.site).toBeDefined();
    const one = await call('GET', `/api/v1/accounts/${ids.account}`, 'employee');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ account: { id: ids.account, name: whole.name } });
    expect((await call('GET', '/api/v1/accounts', 'employee')).json()).toEqual({ accounts: [{ id: ids.account, name: whole.name }] });
    // Their members list holds only their own member, and not the account's seat limit.
    expect((await call('GET', `/api/v1/accounts/${ids.account}/members`, 'employee')).json().seatLimit).toBeNull();
    expect(JSON.stringify((await call('GET', `/api/v1/accounts/${ids.account}/members/${ids.employeeMember}/explain`, 'employee')).json())).not.toContain('owner@acme.test');
    // Every other caller allowed to read the account reads all of it.
    for (const caller of ['admin', 'manager', 'support', 'managerPerson', 'narrowedManager', 'supportPerson'] as const) {
      expect((await call('GET', `/api/v1/accounts/${ids.account}`, caller)).json().account, caller).toEqual(whole);
    }
  });

  it('a narrowed account manager sees only the chosen members, in lists and in a run\'s changes', async () => {
    const list = (await call('GET', `/api/v1/accounts/${ids.account}/members?list=all`, 'narrowedManager')).json();
    expect(list.members.map((m: { id: string }) => m.id)).toEqual([ids.member]);
    const run = (await call('GET', `/api/v1/runs/${ids.run}`, 'narrowedManager')).json();
    expect(run.changes.length).toBe(1);
    expect(run.changes[0].memberId).toBe(ids.member);
    expect((await call('GET', `/api/v1/runs/${ids.run}`, 'managerPerson')).json().changes.length).toBe(8);
    expect((await call('GET', `/api/v1/accounts/${ids.account}/members/${ids.employeeMember}/explain`, 'narrowedManager')).statusCode).toBe(404);
  });

  it('encoded, doubled-slash and odd spellings of a path are checked like the route they match, or are 404; never 500', async () => {
    const runs = `v1/accounts/${ids.account}/runs`;
    const variants = [
      `/%61pi/${runs}`,
      `/api/%761/accounts/${ids.account}/runs`,
      `/api/v1/%61ccounts/${ids.account}/runs`,
      `//api/${runs}`,
      `/api//${runs}`,
      `/api/${runs}/`,
      `/API/${runs}`,
      `/api/./${runs}`,
      `/api/v1/accounts/${ids.other}/../${ids.account}/runs`,
      `/api/${runs}%00`,
      `/api/${runs};x=1`,
      `/s/../api/${runs}`,
    ];
    for (const url of variants) {
      const anonymous = await call('GET', url, 'none');
      expect([401, 404], `${url}: ${anonymous.statusCode} ${anonymous.body}`).toContain(anonymous.statusCode);
      const asOtherAdmin = await call('GET', url, 'otherAdmin');
      expect([400, 404], `${url} as another account's admin: ${asOtherAdmin.statusCode}`).toContain(asOtherAdmin.statusCode);
    }
    // An encoded spelling that matches a route serves that route to a caller allowed to use it.
    expect((await call('GET', `/%61pi/${runs}`, 'admin')).statusCode).toBe(200);
  });
});

describe('strict input (issue 9, item 4)', () => {
  const patch = (payload: object) => call('PATCH', `/api/v1/accounts/${ids.account}/members/${ids.member}`, 'admin', payload);

  it('refuses a string where a boolean belongs, naming the field, and changes nothing', async () => {
    const before = (await t.app.members.list(ids.account!, 'all')).find((m) => m.id === ids.member)!;
    const res = await patch({ active: 'false' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('body.active must be boolean') });
    expect((await t.app.members.list(ids.account!, 'all')).find((m) => m.id === ids.member)).toEqual(before);
  });

  it('refuses unknown fields, naming each', async () => {
    const res = await patch({ active: false, comment: 'left', note: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('body has unknown field "comment"');
    expect(res.json().error.message).toContain('body has unknown field "note"');
  });

  it('a form body keeps every value of a repeated field, so an API field that takes one value refuses it by name (issue 16, item 2)', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40acme.test&email=b%40acme.test&password=x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('body.email must be string');
  });

  it('refuses a missing field by name', async () => {
    const res = await patch({});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('body.active is required');
  });

  it('malformed ids on every route answer 400 or 404, never 500', async () => {
    const bad = ['not-a-uuid', '1', "x'or'1'='1", '%00', 'ffffffff-ffff-ffff-ffff-fffffffffffffff'];
    for (const route of ROUTES) {
      for (const id of bad) {
        for (const slot of [ids.account!, ids.run!, ids.member!, ids.token!]) {
          const path = await route.path();
          if (!path.includes(slot)) continue;
          const res = await call(route.method, path.replace(slot, id), 'support', route.payload);
          expect([400, 404], `${route.method} ${path.replace(slot, id)}: ${res.statusCode} ${res.body}`).toContain(res.statusCode);
          const asAdmin = await call(route.method, path.replace(slot, id), 'admin', route.payload);
          expect([400, 404], `${route.method} ${path.replace(slot, id)} as admin: ${asAdmin.statusCode} ${asAdmin.body}`).toContain(asAdmin.statusCode);
        }
      }
    }
  });
});
