import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Ratings reports (product.md §12, issue 18): figures checked against sums worked out by hand, per
 * engineer, client, day and week, with and without filters; the list, its pages and the CSV; and
 * every role's scope in summary, list, CSV and totals. Times come from the injected clock; the
 * account is in New York, so a rating at 23:30 local is on that local day though UTC has moved on.
 */
const clock = new ManualClock('2026-01-01T12:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
let publicKey: string;
const m: Record<'ann' | 'bob' | 'cy' | 'dee' | 'eve', string> = { ann: '', bob: '', cy: '', dee: '', eve: '' };
let admin: string;
const sessions: Record<string, TestSession> = {};

/** [who, client, rating, instant (UTC), ticket, comment] — local days in America/New_York (UTC-5 in January). */
const DATA: [keyof typeof m, string | null, number, string, string, string?][] = [
  ['ann', 'Acme', 10, '2026-01-05T15:00:00Z', 'T1'], // Mon 01-05 10:00
  ['ann', 'acme', 8, '2026-01-06T04:30:00Z', 'T2', 'Fast, "friendly", fixed it'], // Mon 01-05 23:30 local (UTC: Tuesday)
  ['ann', 'Globex', 3, '2026-01-07T14:00:00Z', 'T3', '=HYPERLINK("http://evil.test","click")'], // Wed 01-07
  ['bob', 'Acme', 5, '2026-01-06T17:00:00Z', 'T4'], // Tue 01-06
  ['bob', null, 7, '2026-01-12T13:00:00Z', 'T5'], // Mon 01-12 08:00
  ['bob', 'Globex', 0, '2026-01-13T15:00:00Z', 'T6', '<script>alert(1)</script>'], // Tue 01-13
  ['cy', 'Initech', 6, '2026-01-12T20:00:00Z', 'T7'], // Mon 01-12 15:00
  ['cy', '+Acme Labs', 9, '2026-01-04T16:00:00Z', 'T8'], // Sun 01-04 (week of Mon 2025-12-29)
];

async function record(who: keyof typeof m | 'stranger', client: string | null, rating: number, at: string, ticket: string, comment?: string) {
  clock.set(at);
  const res = await server.inject({
    method: 'POST',
    url: '/api/v1/survey-events',
    payload: { accountKey: publicKey, rating, ticket, respondent: 'pat@customer.test', agentEmail: `${who}@msp.test`, ...(client ? { client } : {}), ...(comment ? { comment } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().events[0];
}

const bearer = () => ({ authorization: `Bearer ${admin}` });
async function get(path: string, who: 'admin' | string = 'admin') {
  const headers = who === 'admin' ? bearer() : { cookie: sessions[who]!.cookie };
  return server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}${path}`, headers });
}
const summary = async (query: string, who = 'admin') => {
  const res = await get(`/ratings/summary?${query}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const RANGE = 'from=2026-01-04&to=2026-01-13';

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 10_000, perAccountPerMinute: 10_000 } });
  const account = await t.app.accounts.add({ name: 'Ratings MSP', integration: 'snippet', settings: {}, timezone: 'America/New_York' });
  accountId = account.id;
  publicKey = account.publicKey;
  await t.app.imports.import(accountId, JSON.stringify(['Ann Archer', 'Bob Baker', 'Cy Cole', 'Dee Dunn', 'Eve Elm'].map((name) => ({ name, email: `${name.split(' ')[0]!.toLowerCase()}@msp.test` }))), 'json', 'test');
  for (const member of await t.app.members.list(accountId, 'all')) m[member.email!.split('@')[0] as keyof typeof m] = member.id;
  // No member is added for an unknown agent today: its rating stays unmatched, and is no rating of anyone.
  await t.app.accounts.update(accountId, { surveyAutoAddCap: 0 });
  for (const row of DATA) await record(...row);
  await record('stranger', 'Acme', 1, '2026-01-05T16:00:00Z', 'T9');
  clock.set('2026-01-14T17:00:00Z');
  admin = (await t.app.tokens.create({ role: 'admin', accountId })).token;
  sessions.support = await signIn(t.app, server, { support: true });
  sessions.employee = await signIn(t.app, server, { accountId, memberId: m.cy, role: 'employee' });
  sessions.annOnly = await signIn(t.app, server, { accountId, memberId: m.dee, role: 'account_manager', memberScope: [m.ann] });
  sessions.notBob = await signIn(t.app, server, { accountId, memberId: m.eve, role: 'account_manager' });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

/** Narrows a signed-in manager (through the API, as an admin would). */
async function narrow(who: string, scope: object) {
  const person = (await t.app.people.list(accountId)).find((p) => p.email === sessions[who]!.email)!;
  const res = await server.inject({ method: 'PATCH', url: `/api/v1/accounts/${accountId}/people/${person.id}`, headers: bearer(), payload: { scope } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().person;
}

const figures = (count: number, average: number | null, positiveShare: number | null) => ({ count, average, positiveShare });

describe('ratings summary: figures worked out by hand', () => {
  it('per engineer, with the overall figures', async () => {
    const s = await summary(`${RANGE}&groupBy=member`);
    expect(s).toMatchObject({ from: '2026-01-04', to: '2026-01-13', groupBy: 'member', overall: { ...figures(8, 6, 0.5), positive: 4, neutral: 2, negative: 2 } });
    expect(s.groups).toEqual([
      { key: m.ann, label: 'Ann Archer', ...figures(3, 7, 0.6667), positive: 2, neutral: 0, negative: 1 },
      { key: m.bob, label: 'Bob Baker', ...figures(3, 4, 0.3333), positive: 1, neutral: 1, negative: 1 },
      { key: m.cy, label: 'Cy Cole', ...figures(2, 7.5, 0.5), positive: 1, neutral: 1, negative: 0 },
    ]);
  });

  it('per client: names compare case-insensitively; a rating naming no client is its own group', async () => {
    const s = await summary(`${RANGE}&groupBy=client`);
    const by = Object.fromEntries(s.groups.map((g: { label: string }) => [g.label, g]));
    expect(Object.keys(by).sort()).toEqual(['(no client)', '+Acme Labs', 'Acme', 'Globex', 'Initech'].sort());
    expect(by.Acme).toMatchObject({ key: 'Acme', ...figures(3, 7.67, 0.6667) });
    expect(by.Globex).toMatchObject({ key: 'Globex', ...figures(2, 1.5, 0) });
    expect(by.Initech).toMatchObject(figures(1, 6, 0));
    expect(by['+Acme Labs']).toMatchObject(figures(1, 9, 1));
    expect(by['(no client)']).toMatchObject({ key: '', ...figures(1, 7, 1) });
  });

  it('per local day, every day of the range in order (empty days count 0)', async () => {
    const s = await summary(`${RANGE}&groupBy=day`);
    expect(s.groups.map((g: { key: string }) => g.key)).toEqual(['2026-01-04', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10', '2026-01-11', '2026-01-12', '2026-01-13']);
    const day = (key: string) => s.groups.find((g: { key: string }) => g.key === key);
    expect(day('2026-01-04')).toMatchObject(figures(1, 9, 1));
    // 10:00 and 23:30 New York time: both on Monday, though the second is Tuesday in UTC.
    expect(day('2026-01-05')).toMatchObject(figures(2, 9, 1));
    expect(day('2026-01-06')).toMatchObject(figures(1, 5, 0));
    expect(day('2026-01-07')).toMatchObject(figures(1, 3, 0));
    expect(day('2026-01-08')).toMatchObject(figures(0, null, null));
    expect(day('2026-01-12')).toMatchObject(figures(2, 6.5, 0.5));
    expect(day('2026-01-13')).toMatchObject(figures(1, 0, 0));
  });

  it('per ISO week (Monday to Sunday)', async () => {
    const s = await summary(`${RANGE}&groupBy=week`);
    expect(s.groups).toEqual([
      expect.objectContaining({ key: '2025-12-29', label: '2026-W01', ...figures(1, 9, 1) }),
      expect.objectContaining({ key: '2026-01-05', label: '2026-W02', ...figures(4, 6.5, 0.5) }),
      expect.objectContaining({ key: '2026-01-12', label: '2026-W03', ...figures(3, 4.33, 0.3333) }),
    ]);
  });

  it('include and exclude filters on engineers and clients, and a narrower range', async () => {
    expect((await summary(`${RANGE}&members=${m.ann},${m.cy}`)).overall).toMatchObject(figures(5, 7.2, 0.6)); // 10 8 3 6 9
    expect((await summary(`${RANGE}&excludeMembers=${m.bob}`)).overall).toMatchObject(figures(5, 7.2, 0.6));
    expect((await summary(`${RANGE}&clients=ACME`)).overall).toMatchObject(figures(3, 7.67, 0.6667)); // 10 8 5
    expect((await summary(`${RANGE}&clients=Acme,Initech&groupBy=client`)).groups.map((g: { label: string }) => g.label)).toEqual(['Acme', 'Initech']);
    expect((await summary(`${RANGE}&excludeClients=acme`)).overall).toMatchObject(figures(5, 5, 0.4)); // 3 7 0 6 9
    expect((await summary(`${RANGE}&members=${m.ann}&excludeClients=Globex`)).overall).toMatchObject(figures(2, 9, 1));
    expect((await summary(`from=2026-01-05&to=2026-01-06`)).overall).toMatchObject(figures(3, 7.67, 0.6667)); // 10 8 5
    expect((await summary(`${RANGE}&clients=${encodeURIComponent('+Acme Labs')}&groupBy=day`)).overall).toMatchObject(figures(1, 9, 1));
    // Without a range: the last 30 days up to today (2026-01-14 in New York).
    expect(await summary('')).toMatchObject({ from: '2025-12-16', to: '2026-01-14', overall: figures(8, 6, 0.5) });
  });

  it('bad filters are refused, each named', async () => {
    const res = await get('/ratings/summary?from=2026-02-30&groupBy=year&members=bob&colour=red');
    expect(res.statusCode).toBe(400);
    const message = res.json().error.message as string;
    for (const part of ['unknown query parameter "colour"', 'from must be a date', 'groupBy must be one of member, client, day, week', 'members: "bob" is not a member id']) expect(message).toContain(part);
    expect((await get('/ratings/summary?from=2026-01-10&to=2026-01-01')).json().error.message).toContain('from (2026-01-10) is after to (2026-01-01)');
  });
});

describe('the individual ratings and their CSV', () => {
  it('newest first in pages, with member, client, ticket and comment', async () => {
    const first = await get(`/ratings?${RANGE}&limit=3`);
    expect(first.statusCode, first.body).toBe(200);
    const page1 = first.json();
    expect(page1.ratings.map((r: { ticket: string }) => r.ticket)).toEqual(['T6', 'T7', 'T5']);
    expect(page1.ratings[0]).toEqual({ id: expect.any(String), at: '2026-01-13T15:00:00.000Z', rating: 0, sentiment: 'negative', memberId: m.bob, memberName: 'Bob Baker', client: 'Globex', ticket: 'T6', comment: '<script>alert(1)</script>' });
    const page2 = (await get(`/ratings?${RANGE}&limit=3&cursor=${page1.nextCursor}`)).json();
    expect(page2.ratings.map((r: { ticket: string }) => r.ticket)).toEqual(['T3', 'T4', 'T2']);
    const page3 = (await get(`/ratings?${RANGE}&limit=3&cursor=${page2.nextCursor}`)).json();
    expect(page3).toMatchObject({ nextCursor: null });
    expect(page3.ratings.map((r: { ticket: string }) => r.ticket)).toEqual(['T1', 'T8']);
    // The unmatched event (T9) is no one's rating.
    expect((await get(`/ratings?${RANGE}&limit=500`)).json().ratings).toHaveLength(8);
    expect((await get(`/ratings?${RANGE}&clients=globex`)).json().ratings.map((r: { ticket: string }) => r.ticket)).toEqual(['T6', 'T3']);
  });

  it('the CSV holds the same ratings; cells a spreadsheet would run as formulas are defused', async () => {
    const res = await get(`/ratings.csv?${RANGE}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ratings-2026-01-04-to-2026-01-13.csv"');
    const lines = res.body.trimEnd().split('\n');
    expect(lines[0]).toBe('at,rating,sentiment,member_id,member_name,client,ticket,comment');
    expect(lines).toHaveLength(9);
    expect(lines).toContain(`2026-01-07T14:00:00.000Z,3,negative,${m.ann},Ann Archer,Globex,T3,"'=HYPERLINK(""http://evil.test"",""click"")"`);
    expect(lines).toContain(`2026-01-04T16:00:00.000Z,9,positive,${m.cy},Cy Cole,'+Acme Labs,T8,`);
    expect(lines).toContain(`2026-01-06T04:30:00.000Z,8,positive,${m.ann},Ann Archer,acme,T2,"Fast, ""friendly"", fixed it"`);
  });
});

describe('scopes: every role sees what it may, in summary, list, CSV and totals', () => {
  const tickets = async (who: string, query = RANGE) => (await get(`/ratings?${query}&limit=500`, who)).json().ratings.map((r: { ticket: string }) => r.ticket).sort();
  const csvTickets = async (who: string, query = RANGE) =>
    (await get(`/ratings.csv?${query}`, who)).body
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => /,(T\d),/.exec(l)![1])
      .sort();

  it('admin and support see every rating', async () => {
    expect((await summary(RANGE, 'support')).overall).toMatchObject(figures(8, 6, 0.5));
    expect(await tickets('support')).toEqual(['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8']);
  });

  it('an employee sees only their own ratings, and filters cannot widen that', async () => {
    expect((await summary(RANGE, 'employee')).overall).toMatchObject(figures(2, 7.5, 0.5));
    expect((await summary(`${RANGE}&members=${m.ann},${m.bob}`, 'employee')).overall).toMatchObject(figures(0, null, null));
    expect((await summary(`${RANGE}&groupBy=member`, 'employee')).groups.map((g: { key: string }) => g.key)).toEqual([m.cy]);
    expect(await tickets('employee')).toEqual(['T7', 'T8']);
    expect(await csvTickets('employee')).toEqual(['T7', 'T8']);
  });

  it('a manager narrowed to an engineer (the existing --members) sees that engineer only', async () => {
    expect((await summary(RANGE, 'annOnly')).overall).toMatchObject(figures(3, 7, 0.6667));
    expect((await summary(`${RANGE}&members=${m.bob}`, 'annOnly')).overall.count).toBe(0);
    expect(await tickets('annOnly')).toEqual(['T1', 'T2', 'T3']);
    expect(await csvTickets('annOnly')).toEqual(['T1', 'T2', 'T3']);
  });

  it('engineers and clients excluded or included by an admin disappear from every figure, list and export', async () => {
    // Everyone but Bob.
    await narrow('notBob', { members: { exclude: [m.bob] } });
    expect((await summary(RANGE, 'notBob')).overall).toMatchObject(figures(5, 7.2, 0.6));
    expect(await tickets('notBob')).toEqual(['T1', 'T2', 'T3', 'T7', 'T8']);
    // …and no Acme either (the scope's client part added; its member part stays).
    const person = await narrow('notBob', { clients: { exclude: ['ACME'] } });
    expect(person.scope).toEqual({ members: { exclude: [m.bob] }, clients: { exclude: ['ACME'] } });
    const s = await summary(`${RANGE}&groupBy=client`, 'notBob');
    expect(s.overall).toMatchObject(figures(3, 6, 0.3333)); // 3 6 9
    expect(s.groups.map((g: { label: string }) => g.label).sort()).toEqual(['+Acme Labs', 'Globex', 'Initech']);
    expect(await tickets('notBob')).toEqual(['T3', 'T7', 'T8']);
    expect(await csvTickets('notBob')).toEqual(['T3', 'T7', 'T8']);
    // Asking for Acme does not bring it back.
    expect((await summary(`${RANGE}&clients=Acme`, 'notBob')).overall.count).toBe(0);
    // Only Globex and Initech, every engineer.
    await narrow('notBob', { members: null, clients: { include: ['globex', 'Initech'] } });
    expect((await summary(RANGE, 'notBob')).overall).toMatchObject(figures(3, 3, 0)); // 3 0 6
    expect(await tickets('notBob')).toEqual(['T3', 'T6', 'T7']);
    // An engineer's dashboard, seen by this manager: only the clients it may see (Ann: T3 at Globex).
    const asManager = { kind: 'token' as const, id: 'x', name: 'm', role: 'account_manager' as const, accountId, memberScope: null, clientScope: { mode: 'include' as const, names: ['globex', 'Initech'] } };
    const annForManager = await t.app.ratings.dashboard(accountId, asManager, { memberId: m.ann });
    expect(annForManager.overall).toEqual(figures(1, 3, 0));
    expect(annForManager.trend.find((g) => g.key === '2026-01-07')).toMatchObject(figures(1, 3, 0));
    expect(annForManager.ratings.map((r) => r.ticket)).toEqual(['T3']);
    expect((await t.app.ratings.dashboard(accountId, undefined, { memberId: m.ann })).overall).toEqual(figures(3, 7, 0.6667));
    // The survey events list hides them too (the unmatched T9 names Acme).
    const events = (await get('/survey-events?limit=500', 'notBob')).json().events.map((e: { ticket: string }) => e.ticket).sort();
    expect(events).toEqual(['T3', 'T6', 'T7']);
    // Widened again: all.
    await narrow('notBob', { members: null, clients: null });
    expect((await summary(RANGE, 'notBob')).overall.count).toBe(8);
  });

  it('the employee dashboard: own figures, a 90-day trend ending today, own ratings newest first', async () => {
    const d = await t.app.ratings.dashboard(accountId, { kind: 'session', id: 'x', name: 'cy@msp.test', role: 'employee', accountId, memberScope: { mode: 'include', ids: [m.cy] } });
    expect(d.member).toEqual({ id: m.cy, name: 'Cy Cole' });
    expect(d.today).toBe('2026-01-14');
    expect(d.overall).toEqual(figures(2, 7.5, 0.5));
    expect(d.last90Days).toEqual(figures(2, 7.5, 0.5));
    expect(d.trend).toHaveLength(90);
    expect(d.trend[0]!.key).toBe('2025-10-17');
    expect(d.trend.at(-1)!.key).toBe('2026-01-14');
    expect(d.trend.find((g) => g.key === '2026-01-12')).toMatchObject(figures(1, 6, 0));
    expect(d.ratings.map((r) => r.ticket)).toEqual(['T7', 'T8']);
    // An employee cannot open another engineer's dashboard.
    await expect(t.app.ratings.dashboard(accountId, { kind: 'session', id: 'x', name: 'cy@msp.test', role: 'employee', accountId, memberScope: { mode: 'include', ids: [m.cy] } }, { memberId: m.ann })).rejects.toThrow(/not found/);
  });
});
