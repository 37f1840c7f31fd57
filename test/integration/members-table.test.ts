import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import type { MemberView } from '../../src/db/views.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** The members table of the API (issue 10, item 8): search, filters, sort, cursor pages, totals. */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
const fake = new ConnectWiseFake();
let accountId: string;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(fake);
  const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth', 'Margaret Hamilton', 'Ken Thompson'];
  fake.setMembers([
    ...names.map((n, i) => cwMember(i + 1, { firstName: n.split(' ')[0]!, lastName: n.split(' ')[1]!, officeEmail: `${n.split(' ')[0]!.toLowerCase()}@acme.test` })),
    ...cwMembers(30, 100),
    cwMember(200, { firstName: 'Retired', lastName: 'Person', inactiveFlag: true }),
  ]);
  accountId = (await addCwAccount(t.app, cw.url, { seatLimit: 50 })).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'setup' });
  const grace = (await t.app.members.list(accountId)).find((m) => m.name === 'Grace Hopper')!;
  await t.app.members.setActive(accountId, grace.id, false, 'admin');
  token = (await t.app.tokens.create({ role: 'account_manager', accountId })).token;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

type Page = { members: MemberView[]; total: number; activeCount: number; seatLimit: number | null; nextCursor: string | null };
const page = async (query: string): Promise<Page> => {
  const res = await server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/members?${query}`, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
};
async function all(query: string): Promise<MemberView[]> {
  const out: MemberView[] = [];
  let cursor: string | null = '';
  do {
    const p: Page = await page(`${query}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...p.members);
    cursor = p.nextCursor;
  } while (cursor);
  return out;
}

describe('GET /api/v1/accounts/:id/members', () => {
  it('answers a page with the totals of the whole filter and the seat limit', async () => {
    const p = await page('limit=5');
    expect(p.members).toHaveLength(5);
    expect(p).toMatchObject({ total: 38, activeCount: 37, seatLimit: 50, nextCursor: expect.any(String) });
  });

  it('searches name or email by fragment, case-insensitively', async () => {
    expect((await page('q=HOP')).members.map((m) => m.name)).toEqual(['Grace Hopper']);
    expect((await page('q=margaret%40')).members.map((m) => m.name)).toEqual(['Margaret Hamilton']);
    expect((await page('q=100%25')).total).toBe(0); // a literal %, not a wildcard
  });

  it('filters by Active, list and source', async () => {
    expect((await page('active=false')).members.map((m) => m.name)).toEqual(['Grace Hopper']);
    expect((await page('list=inactive')).members.map((m) => m.name)).toEqual(['Retired Person']);
    expect((await page('list=all&limit=500')).total).toBe(39);
    expect((await page('source=survey')).total).toBe(0);
    expect((await page('source=psa')).total).toBe(38);
  });

  it('filters by the role of the person tied to the member (none: no sign-in)', async () => {
    const members = await t.app.members.list(accountId);
    const [ada, alan] = ['Ada Lovelace', 'Alan Turing'].map((n) => members.find((m) => m.name === n)!);
    await t.app.people.invite(accountId, { memberId: ada!.id, role: 'admin' }, 'cli');
    await t.app.people.invite(accountId, { memberId: alan!.id, role: 'employee' }, 'cli');
    expect((await page('role=admin')).members.map((m) => m.name)).toEqual(['Ada Lovelace']);
    const employees = await page('role=employee');
    expect(employees.members.map((m) => m.name)).toEqual(['Alan Turing']);
    expect(employees.members[0]).toMatchObject({ role: 'employee' });
    expect((await page('role=account_manager')).total).toBe(0);
    expect((await page('role=none')).total).toBe(36);
  });

  it('sorts by any column, either way', async () => {
    const byName = await all('sort=name');
    expect(byName.map((m) => m.name.toLowerCase())).toEqual([...byName.map((m) => m.name.toLowerCase())].sort());
    const desc = await all('sort=name&order=desc');
    expect(desc.map((m) => m.id)).toEqual([...byName].reverse().map((m) => m.id));
    const byActive = await all('sort=active&order=asc');
    expect(byActive[0]!.name).toBe('Grace Hopper');
    const byEmail = await all('sort=email');
    expect(byEmail.map((m) => (m.email ?? '').toLowerCase())).toEqual([...byEmail.map((m) => (m.email ?? '').toLowerCase())].sort());
    const bySeen = await all('sort=firstSeenAt&order=desc');
    expect(bySeen).toHaveLength(38);
  });

  it('cursor pages return every member exactly once, even while members change and arrive between pages', async () => {
    const seen: string[] = [];
    let p = await page('sort=name&limit=6');
    seen.push(...p.members.map((m) => m.id));
    // Between pages: an admin toggles a member further down, and a sync adds members on both sides of the cursor.
    const later = (await t.app.members.list(accountId)).find((m) => m.name === 'Margaret Hamilton')!;
    await t.app.members.setActive(accountId, later.id, false, 'admin');
    fake.setMembers([...fake.members, cwMember(300, { firstName: 'Aaron', lastName: 'Early' }), cwMember(301, { firstName: 'Zed', lastName: 'Late' })]);
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    while (p.nextCursor) {
      p = await page(`sort=name&limit=6&cursor=${p.nextCursor}`);
      seen.push(...p.members.map((m) => m.id));
    }
    expect(new Set(seen).size).toBe(seen.length); // nothing repeated
    const before = (await t.app.members.list(accountId)).filter((m) => !['Aaron Early', 'Zed Late'].includes(m.name));
    for (const m of before) expect(seen, m.name).toContain(m.id); // nothing that existed was skipped
    expect(seen).toContain((await t.app.members.list(accountId)).find((m) => m.name === 'Zed Late')!.id); // one after the cursor shows up
  });

  it('names every bad parameter; a forged cursor is refused', async () => {
    const res = await server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/members?sort=salary&limit=0&active=maybe&page=2`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(400);
    const message = res.json().error.message as string;
    for (const part of ['sort must be one of', 'limit must be a whole number from 1 to 500', 'active must be one of true, false', 'unknown query parameter "page"']) expect(message).toContain(part);
    const forged = await server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/members?cursor=bm9wZQ`, headers: { authorization: `Bearer ${token}` } });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.message).toContain('cursor');
  });
});
