import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, TEST_PASSWORD, type TestSession } from '../helpers/people.js';

/**
 * A client hidden from an account manager disappears for them completely (product.md §12): no API
 * answer, console page or sign-in answer carries its name — not the ratings, survey events or
 * reports, and not the scopes other people were given (people list, audit trail, a member's
 * history, `/me`). Each reader is a manager narrowed by clients only, so it may read the People
 * list and the audit trail; the hidden client is rated, named in another manager's scope, and in
 * the reader's own exclude list.
 */
const clock = new ManualClock('2026-03-10T12:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
const m: Record<string, string> = {};
const s: Record<'excluder' | 'includer' | 'employee', TestSession> = {} as never;
let adminToken: string;

/** The hidden client, as ratings and scopes spell it (case and spaces vary). */
const HIDDEN = /secret\s*co/i;

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 10_000, perAccountPerMinute: 10_000 } });
  const account = await t.app.accounts.add({ name: 'Names MSP', integration: 'snippet', settings: {} });
  accountId = account.id;
  await t.app.accounts.update(accountId, { surveyAutoAddCap: 0 });
  await t.app.imports.import(accountId, JSON.stringify(['Ann Archer', 'Bob Baker', 'Cy Cole', 'Dee Dunn', 'Eve Elm', 'Fay Fox'].map((name) => ({ name, email: `${name.split(' ')[0]!.toLowerCase()}@msp.test` }))), 'json', 'test');
  for (const x of await t.app.members.list(accountId, 'all')) m[x.email!.split('@')[0]!] = x.id;
  const rows = [
    { at: '2026-03-02T10:00:00Z', rating: 9, ticket: 'T1', agentEmail: 'ann@msp.test', client: 'Secret Co' },
    { at: '2026-03-03T10:00:00Z', rating: 3, ticket: 'T2', agentEmail: 'ann@msp.test', client: 'SECRET  co', comment: 'bad' },
    { at: '2026-03-04T10:00:00Z', rating: 8, ticket: 'T3', agentEmail: 'bob@msp.test', client: 'Open Co' },
    { at: '2026-03-05T10:00:00Z', rating: 7, ticket: 'T4', agentEmail: 'bob@msp.test' },
    // Unmatched (no such agent): the survey events' Unmatched list.
    { at: '2026-03-06T10:00:00Z', rating: 1, ticket: 'T5', agentEmail: 'stranger@elsewhere.test', client: 'Secret Co' },
  ];
  await t.app.ratings.import(accountId, { format: 'json', rows }, 'test');
  adminToken = (await t.app.tokens.create({ role: 'admin', accountId })).token;
  // Another manager whose scope names the hidden client: their scope change is in the audit trail and in Dee's history.
  const dee = await t.app.people.invite(accountId, { memberId: m.dee!, role: 'account_manager' }, 'test');
  await t.app.people.update(accountId, dee.person.id, { scope: { clients: { include: ['Secret Co', 'Open Co'] } }, reason: 'pilot' }, 'test');
  s.excluder = await signIn(t.app, server, { accountId, memberId: m.cy!, role: 'account_manager' });
  s.includer = await signIn(t.app, server, { accountId, memberId: m.eve!, role: 'account_manager' });
  s.employee = await signIn(t.app, server, { accountId, memberId: m.fay!, role: 'employee' });
  const people = await t.app.people.list(accountId);
  const personOf = (email: string) => people.find((p) => p.email === email)!.id;
  await t.app.people.update(accountId, personOf(s.excluder.email), { scope: { clients: { exclude: ['Secret Co'] } } }, 'test');
  await t.app.people.update(accountId, personOf(s.includer.email), { scope: { clients: { include: ['Open Co'] } } }, 'test');
  // Fay was a manager who saw the hidden client before she became an employee.
  const fay = personOf(s.employee.email);
  await t.app.people.update(accountId, fay, { role: 'account_manager', scope: { clients: { include: ['Secret Co'] } } }, 'test');
  await t.app.people.update(accountId, fay, { role: 'employee' }, 'test');
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const get = (url: string, who: keyof typeof s) => server.inject({ method: 'GET', url, headers: { cookie: s[who].cookie } });

/** Every path that shows survey-event clients or people's scopes, to a reader of this account. */
const paths = () => [
  '/api/v1/me',
  `/api/v1/accounts/${accountId}/people`,
  `/api/v1/accounts/${accountId}/audit`,
  `/api/v1/accounts/${accountId}/members/${m.dee}/explain`,
  `/api/v1/accounts/${accountId}/members/${m.fay}/explain`,
  `/api/v1/accounts/${accountId}/members/${m.ann}/explain`,
  `/api/v1/accounts/${accountId}/members/${m.ann}/dashboard`,
  `/api/v1/accounts/${accountId}/survey-events?limit=500`,
  `/api/v1/accounts/${accountId}/survey-events?unmatched=true`,
  `/api/v1/accounts/${accountId}/ratings?from=2026-03-01&to=2026-03-10`,
  `/api/v1/accounts/${accountId}/ratings.csv?from=2026-03-01&to=2026-03-10`,
  `/api/v1/accounts/${accountId}/ratings/summary?from=2026-03-01&to=2026-03-10&groupBy=client`,
  `/accounts/${accountId}/people`,
  `/accounts/${accountId}/members/${m.dee}`,
  `/accounts/${accountId}/members/${m.ann}`,
  `/accounts/${accountId}/survey`,
  `/accounts/${accountId}/survey?tab=unmatched`,
  `/accounts/${accountId}/reports?from=2026-03-01&to=2026-03-10&groupBy=client`,
];

describe('a client hidden from a manager', () => {
  it('is named nowhere a manager narrowed by "all clients except" can read', async () => {
    for (const url of paths()) {
      const res = await get(url, 'excluder');
      expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBeLessThan(400);
      expect(res.body, url).not.toMatch(HIDDEN);
    }
    // What they may see is still there.
    expect((await get(`/api/v1/accounts/${accountId}/ratings?from=2026-03-01&to=2026-03-10`, 'excluder')).json().ratings.map((r: { ticket: string }) => r.ticket).sort()).toEqual(['T3', 'T4']);
  });

  it('is named nowhere a manager narrowed to "only these clients" can read', async () => {
    for (const url of paths()) {
      const res = await get(url, 'includer');
      expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBeLessThan(400);
      expect(res.body, url).not.toMatch(HIDDEN);
    }
  });

  it('is named nowhere an employee can read (their history keeps their own scope change, without names)', async () => {
    for (const url of ['/api/v1/me', `/api/v1/accounts/${accountId}/members/${m.fay}/explain`, `/accounts/${accountId}/members/${m.fay}`, '/me']) {
      const res = await get(url, 'employee');
      expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBeLessThan(400);
      expect(res.body, url).not.toMatch(HIDDEN);
    }
  });

  it('nor in the answer to signing in', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: s.excluder.email, password: TEST_PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(HIDDEN);
  });

  it('other scopes read as far as the reader may see them: visible names, and how many are hidden', async () => {
    const people = (await get(`/api/v1/accounts/${accountId}/people`, 'excluder')).json().people as { email: string; scope: { clients: unknown } }[];
    expect(people.find((p) => p.email === 'dee@msp.test')!.scope.clients).toEqual({ include: ['Open Co'], hidden: 1 });
    expect(people.find((p) => p.email === s.excluder.email)!.scope.clients).toEqual({ exclude: [], hidden: 1 });
    const me = (await get('/api/v1/me', 'excluder')).json();
    expect(me.clientScope).toEqual({ mode: 'exclude', names: [], hidden: 1 });
    const audit = (await get(`/api/v1/accounts/${accountId}/audit`, 'includer')).json().entries as { action: string; after: { scope?: { clients: unknown } } }[];
    expect(audit.filter((e) => e.action === 'person.scope_changed').map((e) => e.after.scope!.clients)).toContainEqual({ include: ['Open Co'], hidden: 1 });
    // Admins read every name.
    const whole = await server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/people`, headers: { authorization: `Bearer ${adminToken}` } });
    expect(whole.json().people.find((p: { email: string }) => p.email === 'dee@msp.test').scope.clients).toEqual({ include: ['Open Co', 'Secret Co'] });
  });
});
