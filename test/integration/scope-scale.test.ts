import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Scopes at real sizes (issue 18 review): an account of 1,000 engineers and 1,000 clients. An
 * "all except" list is applied by the database, never resolved into every other member's id; a
 * scope longer than the limit is refused, naming it; the People page's scope editor shows a page
 * of each list at a time, finds by search, and a save keeps the boxes of the pages it did not show.
 */
const clock = new ManualClock('2026-03-10T12:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
let ids: string[];
let admin: TestSession;
let manager: TestSession;
let managerId: string;
const N = 1_000;
const pad = (i: number) => String(i).padStart(4, '0');

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app);
  accountId = (await t.app.accounts.add({ name: 'Big MSP', integration: 'snippet', settings: {} })).id;
  await t.app.imports.import(accountId, JSON.stringify(Array.from({ length: N }, (_, i) => ({ name: `Engineer ${pad(i)}`, email: `e${i}@msp.test` }))), 'json', 'test');
  ids = (await t.app.members.list(accountId, 'all')).sort((a, b) => a.name.localeCompare(b.name)).map((m) => m.id);
  // 1,000 clients, one rating each (Engineer 0000 rates Client 0000, and so on).
  await t.app.ratings.import(accountId, { format: 'json', rows: Array.from({ length: N }, (_, i) => ({ at: '2026-03-09T10:00:00Z', rating: 8, ticket: `T${i}`, agentEmail: `e${i}@msp.test`, client: `Client ${pad(i)}` })) }, 'test');
  admin = await signIn(t.app, server, { accountId, memberId: ids[N - 1]!, role: 'admin' });
  manager = await signIn(t.app, server, { accountId, memberId: ids[N - 2]!, role: 'account_manager' });
  managerId = (await t.app.people.list(accountId)).find((p) => p.email === manager.email)!.id;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const api = (method: 'GET' | 'PATCH', url: string, who: TestSession, payload?: object) =>
  server.inject({ method, url: `/api/v1/accounts/${accountId}${url}`, headers: { cookie: who.cookie, ...(method === 'PATCH' ? { 'x-csrf-token': who.csrf } : {}) }, ...(payload ? { payload } : {}) });
const get = (url: string) => server.inject({ method: 'GET', url, headers: { cookie: admin.cookie } });
const post = (url: string, form: Record<string, string>) =>
  server.inject({ method: 'POST', url, headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: admin.csrf, ...form }).toString() });
const scope = async () => (await t.app.people.list(accountId)).find((p) => p.id === managerId)!.scope;

describe('an "all except" scope at 1,000 engineers', () => {
  it('is carried as the exclude list and applied by the database: lists, ratings, survey events, one member', async () => {
    await t.app.people.update(accountId, managerId, { scope: { members: { exclude: [ids[0]!, ids[1]!] } } }, 'test');
    const principal = await t.app.auth.authenticate(manager.cookie.replace(/^psa_session=/, ''));
    expect(principal!.memberScope).toEqual({ mode: 'exclude', ids: expect.arrayContaining([ids[0], ids[1]]) });
    expect(principal!.memberScope!.ids).toHaveLength(2);
    expect((await api('GET', '/members?list=all&limit=1', manager)).json().total).toBe(N - 2);
    expect((await api('GET', '/ratings/summary?from=2026-03-01&to=2026-03-10', manager)).json().overall.count).toBe(N - 2);
    const events = (await api('GET', '/survey-events?limit=500', manager)).json().events as { memberId: string }[];
    expect(events.some((e) => e.memberId === ids[0] || e.memberId === ids[1])).toBe(false);
    expect((await api('GET', `/members/${ids[0]}/explain`, manager)).statusCode).toBe(404);
    expect((await api('GET', `/members/${ids[2]}/explain`, manager)).statusCode).toBe(200);
  });
});

describe('scope sizes', () => {
  const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

  it('a scope of more than 1,000 engineers or clients is refused, naming the limit; 1,000 is taken', async () => {
    const extra = '3f2a9c1e-0000-4000-8000-000000000000';
    const cases: object[] = [
      { scope: { members: { include: [...ids, extra] } } },
      { scope: { members: { exclude: [...ids, extra] } } },
      { memberScope: [...ids, extra] },
      { scope: { clients: { exclude: many(N + 1, (i) => `Client ${i}`) } } },
    ];
    for (const payload of cases) {
      const res = await api('PATCH', `/people/${managerId}`, admin, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(res.json().error.message).toMatch(/lists 1,001 (engineers|clients); a scope lists at most 1,000/);
    }
    expect((await api('PATCH', `/people/${managerId}`, admin, { scope: { members: { include: ids }, clients: { include: many(N, (i) => `Client ${pad(i)}`) } } })).statusCode).toBe(200);
    expect((await api('GET', '/ratings/summary?from=2026-03-01&to=2026-03-10', manager)).json().overall.count).toBe(N);
  });
});

describe("the People page's scope editor at 1,000 engineers and clients", () => {
  const url = () => `/accounts/${accountId}/people/${managerId}/scope`;
  const boxes = (body: string, kind: 'member' | 'client') => [...body.matchAll(new RegExp(`type="checkbox" name="${kind}_\\d+" value="([^"]+)"( checked)?`, 'g'))].map((x) => ({ value: x[1]!, checked: Boolean(x[2]) }));

  it('shows a page of each, finds by search, turns pages, and a save keeps the boxes of other pages', async () => {
    await t.app.people.update(accountId, managerId, { scope: { members: null, clients: null } }, 'test');
    const first = await get(url());
    expect(first.statusCode).toBe(200);
    expect(boxes(first.body, 'member')).toHaveLength(50);
    expect(boxes(first.body, 'client')).toHaveLength(50);
    expect(first.body.length).toBeLessThan(120_000);
    expect(first.body).toContain('Showing 1–50 of 1,000 engineers');
    expect(first.body).toContain('Showing 1–50 of 1,000 clients');
    // Search finds one engineer and one client among the thousand.
    const found = await get(`${url()}?mq=${encodeURIComponent('Engineer 0777')}&cq=${encodeURIComponent('client 0888')}`);
    expect(boxes(found.body, 'member').map((b) => b.value)).toEqual([ids[777]]);
    expect(boxes(found.body, 'client').map((b) => b.value)).toEqual(['Client 0888']);
    // Tick engineers on the first page and save: "only the checked".
    const page1 = boxes(first.body, 'member');
    const form = (body: string) => Object.fromEntries([...body.matchAll(/name="(shown_(?:member|client)_\d+)" value="([^"]+)"/g)].map((x) => [x[1]!, x[2]!.replace(/&amp;/g, '&')]));
    const saved = await post(url(), { ...form(first.body), membersMode: 'include', member_0: page1[0]!.value, member_1: page1[1]!.value, clientsMode: 'exclude', client_3: 'Client 0003' });
    expect(saved.statusCode, saved.body.slice(0, 500)).toBe(303);
    expect(await scope()).toEqual({ members: { include: [ids[0], ids[1]].sort() }, clients: { exclude: ['Client 0003'] } });
    // The next page, by its link; ticking one there keeps the first page's ticks.
    const nextLink = /<a href="([^"]+)">Next 50<\/a>/.exec(first.body)![1]!.replace(/&amp;/g, '&');
    const page2 = await get(nextLink);
    expect(page2.body).toContain('Showing 51–100 of 1,000 engineers');
    const second = boxes(page2.body, 'member');
    expect(second[0]!.value).toBe(ids[50]);
    expect(second.some((b) => b.checked)).toBe(false);
    const again = await post(nextLink.replace(/saved=1&?/, ''), { ...form(page2.body), membersMode: 'include', member_0: ids[50]!, clientsMode: 'exclude', client_3: 'Client 0003' });
    expect(again.statusCode, again.body.slice(0, 500)).toBe(303);
    expect((await scope()).members).toEqual({ include: [ids[0], ids[1], ids[50]].sort() });
    // Only the checked: the three engineers, checked; unticking one there drops just that one.
    const checked = await get(`${url()}?mchecked=1`);
    expect(boxes(checked.body, 'member')).toEqual([ids[0], ids[1], ids[50]].map((value) => ({ value, checked: true })));
    expect(checked.body).toContain('3 engineers checked');
    const untick = await post(`${url()}?mchecked=1`, { ...form(checked.body), membersMode: 'include', member_0: ids[0]!, member_2: ids[50]!, clientsMode: 'exclude', client_3: 'Client 0003' });
    expect(untick.statusCode).toBe(303);
    expect((await scope()).members).toEqual({ include: [ids[0], ids[50]].sort() });
    expect((await scope()).clients).toEqual({ exclude: ['Client 0003'] });
    // The words name the chosen engineers.
    expect((await get(url())).body).toContain('only these engineers: Engineer 0000 and Engineer 0050, and every client except Client 0003');
  });
});
