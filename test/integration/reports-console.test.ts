import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * The console's ratings pages (issue 18): the reports page for each role, its figures against sums
 * worked out by hand, filters in the URL, scopes applied on the page and in its CSV, comments
 * escaped; an employee's /me; the People page's scope editor. Time comes from the injected clock;
 * the account is in New York (UTC-5 in January), so "today" is 2026-01-14 there.
 */
const clock = new ManualClock('2026-01-14T17:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
let otherId: string;
const NAMES = ['Ann Archer', 'Bob Baker', 'Cy Cole', 'Dee Dunn', 'Eve Elm', 'Fay Fox', 'Gus Gray', 'Hal Hill'] as const;
const m: Record<string, string> = {};
const s: Record<'admin' | 'manager' | 'annOnly' | 'employee' | 'support' | 'otherAdmin' | 'editee', TestSession> = {} as never;

/** [engineer, client, rating, instant, ticket, comment]: the ratings of 4–13 January (New York days). */
const JANUARY: [string, string | null, number, string, string, string?][] = [
  ['ann', 'Acme', 10, '2026-01-05T15:00:00Z', 'T1'],
  ['ann', 'Acme', 8, '2026-01-06T04:30:00Z', 'T2', '<script>alert(1)</script>'], // 23:30 on the 5th in New York
  ['ann', 'Globex', 3, '2026-01-07T14:00:00Z', 'T3', 'Slow, again'],
  ['bob', 'Acme', 5, '2026-01-06T17:00:00Z', 'T4'],
  ['bob', null, 7, '2026-01-12T13:00:00Z', 'T5'],
  ['bob', 'Globex', 0, '2026-01-13T15:00:00Z', 'T6', 'Never fixed'],
  ['cy', 'Initech', 6, '2026-01-12T20:00:00Z', 'T7'],
  ['cy', 'Acme', 9, '2026-01-04T16:00:00Z', 'T8'],
];
const RANGE = 'from=2026-01-04&to=2026-01-13';

const row = (who: string, client: string | null, rating: number, at: string, ticket: string, comment?: string) => ({ at, rating, ticket, respondent: 'pat@customer.test', client, comment: comment ?? null, agentEmail: `${who}@msp.test` });

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app);
  const account = await t.app.accounts.add({ name: 'Reports MSP', integration: 'snippet', settings: {}, timezone: 'America/New_York' });
  accountId = account.id;
  otherId = (await t.app.accounts.add({ name: 'Other MSP', integration: 'snippet', settings: {} })).id;
  await t.app.imports.import(accountId, JSON.stringify(NAMES.map((name) => ({ name, email: `${name.split(' ')[0]!.toLowerCase()}@msp.test` }))), 'json', 'test');
  for (const x of await t.app.members.list(accountId, 'all')) m[x.email!.split('@')[0]!] = x.id;
  // Eve, the employee: 27 ratings of 8 in December (Hooli), one with markup in its comment.
  const december = Array.from({ length: 27 }, (_, i) => row('eve', 'Hooli', 8, `2025-12-${String(i + 1).padStart(2, '0')}T15:00:00Z`, `E${String(i + 1).padStart(2, '0')}`, i === 26 ? '<img src=x onerror=alert(2)>' : undefined));
  const result = await t.app.ratings.import(accountId, { format: 'json', rows: [...JANUARY.map((r) => row(...r)), ...december] }, 'test');
  expect(result).toMatchObject({ imported: 35, matched: 35 });
  await t.app.imports.import(otherId, JSON.stringify([{ name: 'Zed Zu', email: 'zed@other.test' }]), 'json', 'test');
  s.admin = await signIn(t.app, server, { accountId, memberId: m.gus!, role: 'admin' });
  s.manager = await signIn(t.app, server, { accountId, memberId: m.dee!, role: 'account_manager' });
  s.annOnly = await signIn(t.app, server, { accountId, memberId: m.fay!, role: 'account_manager', memberScope: [m.ann!] });
  s.employee = await signIn(t.app, server, { accountId, memberId: m.eve!, role: 'employee' });
  s.editee = await signIn(t.app, server, { accountId, memberId: m.hal!, role: 'account_manager' });
  s.support = await signIn(t.app, server, { support: true });
  s.otherAdmin = await signIn(t.app, server, { accountId: otherId, memberId: (await t.app.members.list(otherId, 'all'))[0]!.id, role: 'admin' });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

type Who = keyof typeof s | 'none';
const get = (url: string, who: Who) => server.inject({ method: 'GET', url, headers: who === 'none' ? {} : { cookie: s[who].cookie } });
const post = (url: string, who: Who, form: Record<string, string>) =>
  server.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(who === 'none' ? {} : { cookie: s[who].cookie }) }, payload: new URLSearchParams(who === 'none' ? form : { _csrf: s[who].csrf, ...form }).toString() });
const reports = (query: string, who: Who = 'admin') => get(`/accounts/${accountId}/reports?${query}`, who);

/** The three figures at the top of a page: count, average, positive share. */
const figuresOf = (body: string) => [...body.matchAll(/<div class="figure"><dt>[^<]*<\/dt><dd>([^<]*)/g)].map((x) => x[1]!.trim());
/** A row of a figures table (engineer, client, day or week): its count, average and positive share. */
function tableRow(body: string, label: string): string[] | undefined {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`<th scope="row">(?:<a [^>]*>)?${escaped}(?:</a>)?</th><td class="num">(\\d+)</td><td class="num">([^<]+)</td><td class="num">([^<]+)</td>`).exec(body);
  return match ? [match[1]!, match[2]!, match[3]!] : undefined;
}

describe('the reports page, for each role', () => {
  it('admins, managers (narrowed too) and support read it; an employee is refused; another account is not found; no session signs in first', async () => {
    for (const who of ['admin', 'manager', 'annOnly', 'support'] as const) {
      const res = await reports(RANGE, who);
      expect(res.statusCode, `${who}: ${res.body.slice(0, 300)}`).toBe(200);
      expect(res.body).toContain('<h1>Ratings report</h1>');
      expect(res.body).toContain(`href="/accounts/${accountId}/reports" aria-current="page"`);
    }
    const employee = await reports(RANGE, 'employee');
    expect(employee.statusCode).toBe(403);
    expect(employee.body).toContain('an employee sees only their own ratings');
    expect(employee.body).not.toContain('Ann Archer');
    expect((await reports(RANGE, 'otherAdmin')).statusCode).toBe(404);
    const none = await reports(RANGE, 'none');
    expect(none.statusCode).toBe(303);
    expect(none.headers.location).toMatch(/^\/login\?next=/);
    // The navigation offers it to the roles that may read it, never to an employee.
    expect((await get(`/accounts/${accountId}/members`, 'manager')).body).toContain(`href="/accounts/${accountId}/reports"`);
    expect((await get('/me', 'employee')).body).not.toContain('/reports');
  });

  it('figures, both charts and their tables agree with sums worked out by hand', async () => {
    const res = await reports(RANGE);
    expect(figuresOf(res.body)).toEqual(['8', '6.00', '50%']); // 10 8 3 5 7 0 6 9: 48 / 8; 4 of 8 are 7 or more
    expect(tableRow(res.body, 'Ann Archer')).toEqual(['3', '7.00', '67%']);
    expect(tableRow(res.body, 'Bob Baker')).toEqual(['3', '4.00', '33%']);
    expect(tableRow(res.body, 'Cy Cole')).toEqual(['2', '7.50', '50%']);
    // Ten days: the trend is per day, its table listing the days with ratings.
    expect(res.body).toContain('<h2 id="trend">Trend per day</h2>');
    expect(tableRow(res.body, '5 Jan 2026')).toEqual(['2', '9.00', '100%']); // 10:00 and 23:30 New York time
    expect(tableRow(res.body, '12 Jan 2026')).toEqual(['2', '6.50', '50%']);
    expect(tableRow(res.body, '8 Jan 2026')).toBeUndefined();
    // Two accessible SVG charts, each named by its title and described.
    for (const id of ['trend-chart', 'engineer-chart']) {
      expect(res.body).toContain(`<svg class="chart" id="${id}" role="img" aria-labelledby="${id}-title ${id}-desc"`);
      expect(res.body).toMatch(new RegExp(`<title id="${id}-title">[^<]+</title>`));
      expect(res.body).toMatch(new RegExp(`<desc id="${id}-desc">[^<]+</desc>`));
    }
    expect(res.body).toContain('Highest Cy Cole: 7.50 from 2 ratings; lowest Bob Baker: 4.00 from 3 ratings.');
    // Per week, and per client (a rating naming no client is its own group).
    const weeks = await reports(`${RANGE}&groupBy=week`);
    expect(weeks.body).toContain('<h2 id="trend">Trend per week</h2>');
    expect(tableRow(weeks.body, 'Week of 5 Jan 2026')).toEqual(['4', '6.50', '50%']);
    expect(tableRow(weeks.body, 'Week of 29 Dec 2025')).toEqual(['1', '9.00', '100%']);
    const clients = await reports(`${RANGE}&groupBy=client`);
    expect(clients.body).toContain('<h2 id="clients">Per client</h2>');
    expect(tableRow(clients.body, 'Acme')).toEqual(['4', '8.00', '75%']); // 10 8 5 9
    expect(tableRow(clients.body, 'Globex')).toEqual(['2', '1.50', '0%']);
    expect(tableRow(clients.body, '(no client)')).toEqual(['1', '7.00', '100%']);
  });

  it('opens on the last 90 days in the account time zone, and the individual ratings list newest first, in pages', async () => {
    const res = await get(`/accounts/${accountId}/reports`, 'admin');
    expect(res.body).toContain('id="from" name="from" value="2025-10-17"');
    expect(res.body).toContain('id="to" name="to" value="2026-01-14"');
    expect(res.body).toContain('<h2 id="trend">Trend per week</h2>');
    // 8 in January and Eve's 27: (48 + 27 × 8) / 35 = 7.54; 31 of 35 positive.
    expect(figuresOf(res.body)).toEqual(['35', '7.54', '89%']);
    const tickets = (body: string) => [...body.matchAll(/<td>(T\d|E\d\d)<\/td><td class="comment">/g)].map((x) => x[1]);
    expect(tickets(res.body).slice(0, 4)).toEqual(['T6', 'T7', 'T5', 'T3']);
    expect(tickets(res.body)).toHaveLength(25);
    const older = /href="([^"]+)#ratings">Older<\/a>/.exec(res.body)![1]!.replace(/&amp;/g, '&');
    const page2 = await get(older, 'admin');
    expect(tickets(page2.body)).toHaveLength(10);
    expect(page2.body).toContain('>Newest</a>');
    expect(page2.body).not.toContain('>Older</a>');
  });

  it('the view lives in the URL: ticked engineers and clients, only or except, reach every figure and the CSV link', async () => {
    const only = await reports(`${RANGE}&member=${m.ann}&member=${m.cy}`);
    expect(figuresOf(only.body)).toEqual(['5', '7.20', '60%']); // 10 8 3 6 9
    expect(only.body).toContain(`name="member" value="${m.ann}" checked`);
    expect(only.body).not.toContain(`name="member" value="${m.bob}" checked`);
    expect(tableRow(only.body, 'Bob Baker')).toBeUndefined();
    const notBob = await reports(`${RANGE}&member=${m.bob}&memberMode=except`);
    expect(figuresOf(notBob.body)).toEqual(['5', '7.20', '60%']);
    expect(notBob.body).toContain('engineers: all engineers except Bob Baker');
    const someClients = await reports(`${RANGE}&client=Acme&client=Initech`);
    expect(figuresOf(someClients.body)).toEqual(['5', '7.60', '60%']); // 10 8 5 9 6
    const notGlobex = await reports(`${RANGE}&client=Globex&clientMode=except`);
    expect(figuresOf(notGlobex.body)).toEqual(['6', '7.50', '67%']); // 10 8 5 7 6 9
    const csv = /href="(\/api\/v1\/accounts\/[^"]+\/ratings\.csv\?[^"]+)"/.exec(notGlobex.body)![1]!.replace(/&amp;/g, '&');
    expect(csv).toBe(`/api/v1/accounts/${accountId}/ratings.csv?from=2026-01-04&to=2026-01-13&excludeClients=Globex`);
    const file = await get(csv, 'admin');
    expect(file.statusCode).toBe(200);
    expect(file.body.trimEnd().split('\n')).toHaveLength(7);
    expect(file.body).not.toContain('Globex');
  });

  it('a range the service refuses is said on the page, with the form to fix it', async () => {
    const res = await reports('from=2026-01-10&to=2026-01-01');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('role="alert"');
    expect(res.body).toContain('from (2026-01-10) is after to (2026-01-01)');
    expect(res.body).toContain('id="from" name="from" value="2026-01-10"');
    expect((await reports(`${RANGE}&member=bob`)).body).toContain('is not a member id');
    const odd = await reports(`${RANGE}&groupBy=year&memberMode=sometimes`);
    expect(odd.statusCode).toBe(400);
    expect(odd.body).toContain('groupBy must be one of member, client, day, week (got &quot;year&quot;); memberMode must be only or except');
  });

  it('comments render inert, under the strict CSP, without inline style or handlers', async () => {
    const res = await reports(RANGE);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).not.toMatch(/<script>(?!<\/script>)/);
    expect(res.body).not.toMatch(/ style="/);
    expect(res.body).not.toMatch(/ on[a-z]+="/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const css = await get('/assets/console.css', 'none');
    expect(css.body).toContain('svg.chart .trend-line');
  });
});

describe('scopes on the reports page', () => {
  const person = async (session: TestSession) => (await t.app.people.list(accountId)).find((p) => p.email === session.email)!;

  it('a hidden client vanishes from every figure, chart, table, picker, list and the CSV', async () => {
    const dee = await person(s.manager);
    await t.app.people.update(accountId, dee.id, { scope: { clients: { exclude: ['globex'] } } }, 'test');
    for (const query of [RANGE, `${RANGE}&groupBy=client`, `${RANGE}&groupBy=week`, '']) {
      const res = await reports(query, 'manager');
      expect(res.statusCode).toBe(200);
      expect(res.body.toLowerCase(), query).not.toContain('globex');
      expect(res.body).not.toContain('Slow, again');
      expect(res.body).not.toContain('Never fixed');
    }
    const res = await reports(RANGE, 'manager');
    expect(figuresOf(res.body)).toEqual(['6', '7.50', '67%']);
    expect(tableRow(res.body, 'Ann Archer')).toEqual(['2', '9.00', '100%']);
    expect(tableRow(res.body, 'Bob Baker')).toEqual(['2', '6.00', '50%']);
    expect(res.body).toContain('An admin has narrowed your view');
    const csv = /href="(\/api\/v1\/accounts\/[^"]+\/ratings\.csv\?[^"]+)"/.exec(res.body)![1]!.replace(/&amp;/g, '&');
    const file = await get(csv, 'manager');
    expect(file.body.trimEnd().split('\n')).toHaveLength(7);
    expect(file.body.toLowerCase()).not.toContain('globex');
    // Nor does the People page, which a manager narrowed by client alone still reads, name it.
    const people = await get(`/accounts/${accountId}/people`, 'manager');
    expect(people.statusCode).toBe(200);
    expect(people.body).toContain('sees every engineer; every client but 1');
    expect(people.body.toLowerCase()).not.toContain('globex');
    // Nor their own member page, whose history records the scope change (an admin reads it whole).
    const own = await get(`/accounts/${accountId}/members/${m.dee}`, 'manager');
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('chosen clients');
    expect(own.body.toLowerCase()).not.toContain('globex');
    expect((await get(`/accounts/${accountId}/members/${m.dee}`, 'admin')).body).toContain('globex');
    // Asking for it by name brings nothing back.
    expect(figuresOf((await reports(`${RANGE}&client=Globex`, 'manager')).body)).toEqual(['0', '—', '—']);
    // With Bob hidden too, he is gone from the figures, the bars, the pickers and the list.
    await t.app.people.update(accountId, dee.id, { scope: { members: { exclude: [m.bob!] } } }, 'test');
    const both = await reports(RANGE, 'manager');
    expect(both.body).not.toContain('Bob Baker');
    expect(both.body).not.toContain(m.bob);
    expect(figuresOf(both.body)).toEqual(['4', '8.25', '75%']); // 10 8 6 9
    await t.app.people.update(accountId, dee.id, { scope: { members: null, clients: null } }, 'test');
    expect(figuresOf((await reports(RANGE, 'manager')).body)).toEqual(['8', '6.00', '50%']);
  });

  it('a manager narrowed to one engineer sees that engineer only, whatever the URL asks', async () => {
    const res = await reports(RANGE, 'annOnly');
    expect(figuresOf(res.body)).toEqual(['3', '7.00', '67%']);
    for (const hidden of ['Bob Baker', 'Cy Cole', 'Eve Elm', m.bob!, m.cy!]) expect(res.body).not.toContain(hidden);
    const asked = await reports(`${RANGE}&member=${m.bob}`, 'annOnly');
    expect(figuresOf(asked.body)).toEqual(['0', '—', '—']);
    expect(asked.body).not.toContain('Bob Baker');
  });
});

describe("an employee's dashboard (/me)", () => {
  it('their figures, 90-day trend and their ratings newest first, in pages; comments inert', async () => {
    const res = await get('/me', 'employee');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Eve Elm');
    expect(figuresOf(res.body)).toEqual(['27', '8.00', '100%']);
    expect(res.body).toContain('<svg class="chart" id="my-trend" role="img" aria-labelledby="my-trend-title my-trend-desc"');
    expect(res.body).toContain('17 Oct 2025 to 14 Jan 2026');
    expect(tableRow(res.body, '27 Dec 2025')).toEqual(['1', '8.00', '100%']);
    expect(res.body).toContain('Hooli');
    expect(res.body).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(res.body).not.toContain('<img src=x');
    for (const other of ['Ann Archer', 'Acme', 'T1<']) expect(res.body).not.toContain(other);
    const tickets = (body: string) => [...body.matchAll(/<td>(E\d\d)<\/td>/g)].map((x) => x[1]);
    expect(tickets(res.body).slice(0, 2)).toEqual(['E27', 'E26']);
    expect(tickets(res.body)).toHaveLength(25);
    const older = /href="([^"]+)#ratings">Older<\/a>/.exec(res.body)![1]!.replace(/&amp;/g, '&');
    expect(tickets((await get(older, 'employee')).body)).toEqual(['E02', 'E01']);
  });

  it('everyone else is sent to their own landing page', async () => {
    for (const who of ['admin', 'manager', 'support'] as const) {
      const res = await get('/me', who);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/');
    }
  });
});

describe("the People page's scope editor", () => {
  const scopeUrl = async () => `/accounts/${accountId}/people/${(await t.app.people.list(accountId)).find((p) => p.email === s.editee.email)!.id}/scope`;

  it('an admin narrows a manager to chosen engineers and clients, as include or exclude, and reads it in words', async () => {
    const url = await scopeUrl();
    const page = await get(url, 'admin');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('sees every engineer, and every client');
    const box = (name: string) => new RegExp(`name="(member_\\d+|client_\\d+)" value="${name}"`).exec(page.body)![1]!;
    const saved = await post(url, 'admin', { membersMode: 'exclude', [box(m.bob!)]: m.bob!, [box(m.cy!)]: m.cy!, clientsMode: 'include', [box('Acme')]: 'Acme', moreClients: 'Initech\r\nNew Co\r\n', reason: 'client split' });
    expect(saved.statusCode, saved.body).toBe(303);
    expect(saved.headers.location).toBe(`${url}?saved=1`);
    const editee = (await t.app.people.list(accountId)).find((p) => p.email === s.editee.email)!;
    expect(editee.scope).toEqual({ members: { exclude: [m.bob, m.cy].sort() }, clients: { include: ['Acme', 'Initech', 'New Co'] } });
    const after = await get(`${url}?saved=1`, 'admin');
    expect(after.body).toContain('sees every engineer except Bob Baker and Cy Cole, and only these clients: Acme, Initech and New Co');
    expect(after.body).toContain(`name="${box(m.bob!)}" value="${m.bob}" checked`);
    expect(after.body).toMatch(/name="membersMode" value="exclude" checked/);
    const people = await get(`/accounts/${accountId}/people`, 'admin');
    expect(people.body).toContain('sees every engineer but 2; only these clients: Acme, Initech and New Co');
    expect(people.body).toContain(`href="${url}"`);
    // The manager's report follows at once.
    const report = await reports(RANGE, 'editee');
    expect(figuresOf(report.body)).toEqual(['2', '9.00', '100%']); // Ann's Acme ratings, 10 and 8 (Bob and Cy hidden; Globex is not chosen)
    // Back to all.
    expect((await post(url, 'admin', { membersMode: 'all', clientsMode: 'all' })).statusCode).toBe(303);
    expect((await t.app.people.list(accountId)).find((p) => p.email === s.editee.email)!.scope).toEqual({ members: null, clients: null });
  });

  it('refuses what makes no sense, saying why, and anyone but the account admin', async () => {
    const url = await scopeUrl();
    const none = await post(url, 'admin', { membersMode: 'include', clientsMode: 'all' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('check at least one engineer');
    for (const who of ['manager', 'support'] as const) {
      expect((await get(url, who)).statusCode).toBe(403);
      expect((await post(url, who, { membersMode: 'all', clientsMode: 'all' })).statusCode).toBe(403);
    }
    expect((await get(url, 'otherAdmin')).statusCode).toBe(404);
    const noCsrf = await server.inject({ method: 'POST', url, headers: { cookie: s.admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'membersMode=all&clientsMode=all' });
    expect(noCsrf.statusCode).toBe(403);
    // An employee's view is their own: it is not narrowed here.
    const eve = (await t.app.people.list(accountId)).find((p) => p.email === s.employee.email)!;
    const employeePage = await get(`/accounts/${accountId}/people/${eve.id}/scope`, 'admin');
    expect(employeePage.body).toContain('is not an account manager');
    const refused = await post(`/accounts/${accountId}/people/${eve.id}/scope`, 'admin', { membersMode: 'all', clientsMode: 'exclude', client_0: 'Acme' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('only an account manager can be narrowed');
  });
});
