import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Every route × every caller (issue 9, items 3 and 4): access is decided for the route Fastify
 * matched, so odd spellings of a path are checked the same or are 404, and bad input is 400.
 */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(new ConnectWiseFake(cwMembers(4)));
  ids.account = (await addCwAccount(t.app, cw.url)).id;
  ids.other = (await addCwAccount(t.app, cw.url)).id;
  ids.run = (await t.app.engine.sync(ids.account, { trigger: 'manual', requestedBy: 'setup' })).run.id!;
  ids.member = (await t.app.members.list(ids.account))[0]!.id;
  tokens.admin = (await t.app.tokens.create({ role: 'admin', accountId: ids.account })).token;
  tokens.otherAdmin = (await t.app.tokens.create({ role: 'admin', accountId: ids.other })).token;
  tokens.manager = (await t.app.tokens.create({ role: 'account_manager', accountId: ids.account })).token;
  tokens.support = (await t.app.tokens.create({ role: 'support' })).token;
  ids.token = (await t.app.tokens.create({ role: 'admin', accountId: ids.account, name: 'to revoke' })).record.id;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

type Caller = 'none' | 'admin' | 'otherAdmin' | 'manager' | 'support';
const CALLERS: Caller[] = ['none', 'admin', 'otherAdmin', 'manager', 'support'];

/** The routes that need a token, how to call them, and whether they change anything. */
const TOKEN_ROUTES: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; path: () => string; changes: boolean; payload?: object; except?: Partial<Record<Caller, 'allowed' | 403>> }[] = [
  { method: 'POST', url: '/api/v1/accounts/:id/sync', path: () => `/api/v1/accounts/${ids.account}/sync?dryRun=true`, changes: true },
  { method: 'GET', url: '/api/v1/accounts/:id/runs', path: () => `/api/v1/accounts/${ids.account}/runs`, changes: false },
  { method: 'GET', url: '/api/v1/runs/:id', path: () => `/api/v1/runs/${ids.run}`, changes: false },
  { method: 'POST', url: '/api/v1/runs/:id/approve', path: () => `/api/v1/runs/${ids.run}/approve`, changes: true },
  { method: 'POST', url: '/api/v1/runs/:id/reject', path: () => `/api/v1/runs/${ids.run}/reject`, changes: true },
  { method: 'GET', url: '/api/v1/accounts/:id/members', path: () => `/api/v1/accounts/${ids.account}/members`, changes: false },
  { method: 'PATCH', url: '/api/v1/accounts/:id/members/:memberId', path: () => `/api/v1/accounts/${ids.account}/members/${ids.member}`, changes: true, payload: { active: true } },
  { method: 'GET', url: '/api/v1/accounts/:id/survey-events', path: () => `/api/v1/accounts/${ids.account}/survey-events`, changes: false },
  { method: 'GET', url: '/api/v1/accounts/:id/members/:memberId/explain', path: () => `/api/v1/accounts/${ids.account}/members/${ids.member}/explain`, changes: false },
  { method: 'POST', url: '/api/v1/accounts/:id/members/bulk', path: () => `/api/v1/accounts/${ids.account}/members/bulk`, changes: true, payload: { active: true, memberIds: ['3f2a9c1e-0000-4000-8000-000000000000'] } },
  { method: 'GET', url: '/api/v1/accounts/:id/audit', path: () => `/api/v1/accounts/${ids.account}/audit`, changes: false },
  // Every caller lists the accounts it may see (support: all; anyone else: its own).
  { method: 'GET', url: '/api/v1/accounts', path: () => '/api/v1/accounts', changes: false, except: { otherAdmin: 'allowed' } },
  { method: 'GET', url: '/api/v1/accounts/:id', path: () => `/api/v1/accounts/${ids.account}`, changes: false },
  { method: 'PATCH', url: '/api/v1/accounts/:id', path: () => `/api/v1/accounts/${ids.account}`, changes: true, payload: { surveyAutoAddCap: 25 } },
  // Tokens are managed by an account's admins and by support (product.md §7), not read by managers.
  { method: 'GET', url: '/api/v1/tokens', path: () => '/api/v1/tokens', changes: false, except: { manager: 403, otherAdmin: 'allowed' } },
  { method: 'DELETE', url: '/api/v1/tokens/:id', path: () => `/api/v1/tokens/${ids.token}`, changes: true, except: { support: 'allowed' } },
];

const call = (method: string, url: string, caller: Caller, payload?: object) =>
  server.inject({ method: method as 'GET', url, headers: caller === 'none' ? {} : { authorization: `Bearer ${tokens[caller]}` }, ...(payload ? { payload } : {}) });

/** What each caller must get: 401 without a token, 404 for another account, 403 for a read-only role on a change. */
function expected(caller: Caller, changes: boolean): 'allowed' | 401 | 403 | 404 {
  if (caller === 'none') return 401;
  if (caller === 'otherAdmin') return 404;
  if (changes && (caller === 'manager' || caller === 'support')) return 403;
  return 'allowed';
}

describe('access is decided per route', () => {
  it('the table covers every registered route, and only the survey intake and probes are public', () => {
    const tokenRoutes = server.routeTable.filter((r) => r.auth === 'caller').map((r) => `${r.method} ${r.url}`).sort();
    expect(tokenRoutes).toEqual(TOKEN_ROUTES.map((r) => `${r.method} ${r.url}`).sort());
    const publicRoutes = server.routeTable.filter((r) => r.auth === 'public').map((r) => `${r.method} ${r.url}`).sort();
    expect(publicRoutes).toEqual(
      ['GET /docs/openapi.json', 'GET /healthz', 'GET /metrics', 'GET /readyz', 'GET /s/:accountKey', 'POST /s/:accountKey', 'GET /s/assets/record.js', 'GET /s/assets/survey.css', 'POST /api/v1/survey-events'].sort(),
    );
  });

  it('the OpenAPI document describes every route, with the access it really has', async () => {
    const doc = (await call('GET', '/docs/openapi.json', 'none')).json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const route of server.routeTable) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.url} is not in the OpenAPI document`).toBeDefined();
      expect(Array.isArray(op!.security) && op!.security.length === 0, `${route.method} ${route.url}: documented as ${route.auth === 'public' ? 'needing a token' : 'public'}`).toBe(route.auth === 'public');
    }
  });

  for (const route of TOKEN_ROUTES) {
    it(`${route.method} ${route.url}: every caller gets what its role allows`, async () => {
      for (const caller of CALLERS) {
        const res = await call(route.method, route.path(), caller, route.payload);
        const want = route.except?.[caller] ?? expected(caller, route.changes);
        if (want === 'allowed') {
          // Allowed through the access check: a success, or a rule's refusal (approving a run that is not held is 409).
          expect([200, 202, 409], `${caller}: ${res.body}`).toContain(res.statusCode);
        } else {
          expect(res.statusCode, `${caller}: ${res.body}`).toBe(want);
        }
      }
    });
  }

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

  it('refuses a missing field by name', async () => {
    const res = await patch({});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('body.active is required');
  });

  it('malformed ids on every route answer 400 or 404, never 500', async () => {
    const bad = ['not-a-uuid', '1', "x'or'1'='1", '%00', 'ffffffff-ffff-ffff-ffff-fffffffffffffff'];
    for (const route of TOKEN_ROUTES) {
      for (const id of bad) {
        for (const slot of [ids.account!, ids.run!, ids.member!, ids.token!]) {
          const path = route.path();
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
