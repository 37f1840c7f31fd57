import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * The employee dashboard over the API and the CLI (issue 18 review): the figures an employee's
 * /me shows, for one engineer — `GET /api/v1/accounts/:id/members/:memberId/dashboard` (an
 * employee only their own member; admins, support, managers within their scope) and
 * `psa-sync ratings dashboard ACCOUNT MEMBER`. Time from the injected clock: 2024-06-15 in Berlin.
 */
const clock = new ManualClock('2024-06-15T10:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
const m: Record<string, string> = {};
const s: Record<'employee' | 'other' | 'manager' | 'narrowed' | 'byClient', TestSession> = {} as never;
let adminToken: string;
let supportToken: string;

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app);
  accountId = (await t.app.accounts.add({ name: 'Dash MSP', integration: 'snippet', settings: {}, timezone: 'Europe/Berlin' })).id;
  await t.app.imports.import(accountId, JSON.stringify(['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay'].map((name) => ({ name: `${name} Tester`, email: `${name.toLowerCase()}@msp.test` }))), 'json', 'test');
  for (const x of await t.app.members.list(accountId, 'all')) m[x.email!.split('@')[0]!] = x.id;
  const row = (who: string, at: string, rating: number, ticket: string, client: string | null, comment?: string) => ({ at, rating, ticket, agentEmail: `${who}@msp.test`, client, comment: comment ?? null });
  await t.app.ratings.import(
    accountId,
    {
      format: 'json',
      rows: [
        row('ann', '2024-06-14T21:30:00Z', 10, 'A1', 'Acme', 'Great'), // 23:30 in Berlin: the 14th
        row('ann', '2024-06-14T23:30:00Z', 6, 'A2', 'Globex'), // 01:30 in Berlin: the 15th
        row('ann', '2024-05-01T10:00:00Z', 2, 'A3', 'Acme', 'Slow'),
        row('ann', '2023-12-01T10:00:00Z', 8, 'A4', null), // older than 90 days: all time only
        row('bob', '2024-06-10T10:00:00Z', 9, 'B1', 'Acme'),
      ],
    },
    'test',
  );
  adminToken = (await t.app.tokens.create({ role: 'admin', accountId })).token;
  supportToken = (await t.app.tokens.create({ role: 'support' })).token;
  s.employee = await signIn(t.app, server, { accountId, memberId: m.ann!, role: 'employee' });
  s.other = await signIn(t.app, server, { accountId, memberId: m.bob!, role: 'employee' });
  s.manager = await signIn(t.app, server, { accountId, memberId: m.cy!, role: 'account_manager' });
  s.narrowed = await signIn(t.app, server, { accountId, memberId: m.dee!, role: 'account_manager', memberScope: [m.bob!] });
  s.byClient = await signIn(t.app, server, { accountId, memberId: m.eve!, role: 'account_manager' });
  const eve = (await t.app.people.list(accountId)).find((p) => p.email === s.byClient.email)!;
  await t.app.people.update(accountId, eve.id, { scope: { clients: { exclude: ['Acme'] } } }, 'test');
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const url = (member: string, query = '') => `/api/v1/accounts/${accountId}/members/${member}/dashboard${query}`;
const as = (who: keyof typeof s | 'admin' | 'support', path: string) =>
  server.inject({ method: 'GET', url: path, headers: who === 'admin' || who === 'support' ? { authorization: `Bearer ${who === 'admin' ? adminToken : supportToken}` } : { cookie: s[who].cookie } });
const figures = (count: number, average: number | null, positiveShare: number | null) => ({ count, average, positiveShare });

describe('GET …/members/:memberId/dashboard', () => {
  it("an employee reads their own: the figures /me shows, worked out by hand", async () => {
    const res = await as('employee', url(m.ann!));
    expect(res.statusCode, res.body).toBe(200);
    const d = res.json();
    expect(d.member).toEqual({ id: m.ann, name: 'Ann Tester' });
    expect(d.today).toBe('2024-06-15');
    expect(d.overall).toEqual(figures(4, 6.5, 0.5)); // 10 6 2 8
    expect(d.last90Days).toEqual(figures(3, 6, 0.3333)); // 10 6 2
    expect(d.trend).toHaveLength(90);
    expect(d.trend.at(-1)).toMatchObject({ key: '2024-06-15', ...figures(1, 6, 0) });
    expect(d.trend.at(-2)).toMatchObject({ key: '2024-06-14', ...figures(1, 10, 1) });
    expect(d.ratings.map((r: { ticket: string }) => r.ticket)).toEqual(['A2', 'A1', 'A3', 'A4']);
    expect(d.ratings[1]).toMatchObject({ client: 'Acme', comment: 'Great', rating: 10, sentiment: 'positive' });
    // The same as the service gives /me.
    const me = await t.app.ratings.dashboard(accountId, (await t.app.auth.authenticate(s.employee.cookie.replace(/^psa_session=/, '')))!, {});
    expect(d).toEqual(JSON.parse(JSON.stringify(me)));
  });

  it('pages the ratings by limit and cursor; bad values are refused, naming them', async () => {
    const first = (await as('admin', url(m.ann!, '?limit=3'))).json();
    expect(first.ratings.map((r: { ticket: string }) => r.ticket)).toEqual(['A2', 'A1', 'A3']);
    const second = (await as('admin', url(m.ann!, `?limit=3&cursor=${first.nextCursor}`))).json();
    expect(second).toMatchObject({ nextCursor: null, ratings: [expect.objectContaining({ ticket: 'A4' })] });
    const bad = await as('admin', url(m.ann!, '?limit=0&colour=red'));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('"colour"');
    expect((await as('admin', url(m.ann!, '?limit=9999'))).statusCode).toBe(400);
  });

  it('who may read whose: an employee only their own; managers within their scope; another account not at all', async () => {
    expect((await as('employee', url(m.bob!))).statusCode).toBe(404);
    expect((await as('other', url(m.bob!))).json().overall).toEqual(figures(1, 9, 1));
    for (const who of ['admin', 'support', 'manager'] as const) expect((await as(who, url(m.ann!))).json().overall, who).toEqual(figures(4, 6.5, 0.5));
    expect((await as('narrowed', url(m.bob!))).statusCode).toBe(200);
    expect((await as('narrowed', url(m.ann!))).statusCode).toBe(404);
    // A manager who does not see Acme reads Ann's other ratings only.
    const byClient = (await as('byClient', url(m.ann!))).json();
    expect(byClient.overall).toEqual(figures(2, 7, 0.5)); // 6 8
    expect(byClient.ratings.map((r: { ticket: string }) => r.ticket)).toEqual(['A2', 'A4']);
    expect(JSON.stringify(byClient)).not.toContain('Acme');
    const other = (await t.app.accounts.add({ name: 'Other', integration: 'snippet', settings: {} })).id;
    const otherAdmin = (await t.app.tokens.create({ role: 'admin', accountId: other })).token;
    expect((await server.inject({ method: 'GET', url: url(m.ann!), headers: { authorization: `Bearer ${otherAdmin}` } })).statusCode).toBe(404);
    expect((await as('admin', `/api/v1/accounts/${accountId}/members/3f2a9c1e-0000-4000-8000-000000000000/dashboard`)).statusCode).toBe(404);
  });
});

describe('psa-sync ratings dashboard ACCOUNT MEMBER', () => {
  it('prints the same figures as the API, as text and with --json', async () => {
    const env = { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
    const api = (await as('admin', url(m.ann!))).json();
    // The CLI runs on the machine's clock, long after these ratings: all-time figures and the list match; nothing is in its last 90 days.
    const json = await runCli(['ratings', 'dashboard', accountId, m.ann!, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout);
    expect(printed.member).toEqual(api.member);
    expect(printed.overall).toEqual(api.overall);
    expect(printed.ratings).toEqual(api.ratings);
    expect(printed.last90Days).toEqual(figures(0, null, null));
    const text = await runCli(['ratings', 'dashboard', accountId, m.ann!, '--limit', '2'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Ann Tester');
    expect(text.stdout).toContain('All time: 4 ratings, average 6.50, 50.0% positive');
    expect(text.stdout).toMatch(/2024-06-14 23:30\s+6\s+Globex\s+A2/);
    expect(text.stdout).toContain('More: --cursor ');
    const missing = await runCli(['ratings', 'dashboard', accountId, '3f2a9c1e-0000-4000-8000-000000000000'], env);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('not found');
  }, 120_000);
});
