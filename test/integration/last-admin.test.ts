import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { signIn, signInAgain, TEST_PASSWORD, type TestSession } from '../helpers/people.js';

/** Deprovisioning follows the member, and every account keeps an admin who can sign in (issue 10, items 5 and 6). */
let t: TestApp;
let server: FastifyInstance;
const servers: Awaited<ReturnType<typeof serveFake>>[] = [];

beforeAll(async () => {
  t = await createTestApp();
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  for (const s of servers) await s.close();
  await t.close();
});

/** A fresh account on its own ConnectWise with `n` members (ids from `from`), synced; member ids by identifier. */
async function account(n: number, from: number): Promise<{ accountId: string; m: Record<string, string>; fake: ConnectWiseFake }> {
  const fake = new ConnectWiseFake(cwMembers(n, from));
  const cw = await serveFake(fake);
  servers.push(cw);
  const accountId = (await addCwAccount(t.app, cw.url, { breakerMinMembers: 1000 })).id;
  if (n > 0) await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  const m: Record<string, string> = {};
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  return { accountId, m, fake };
}

const me = (s: TestSession) => server.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } });
const as = (s: TestSession, method: 'PATCH' | 'POST' | 'DELETE', url: string, payload?: object) =>
  server.inject({ method, url, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, ...(payload ? { payload } : {}) });
const personOf = async (accountId: string, memberId: string) => (await t.app.people.list(accountId)).find((p) => p.memberId === memberId)!;
const sync = (accountId: string) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });

describe('deprovisioning follows the member', () => {
  it('a ConnectWise sync that makes a member inactive ends their session at once; Active again lifts the suspension', async () => {
    const { accountId, m, fake } = await account(6, 100);
    const employee = await signIn(t.app, server, { accountId, memberId: m.user100!, role: 'employee' });
    expect((await me(employee)).statusCode).toBe(200);

    fake.update(100, { inactiveFlag: true });
    const run = await sync(accountId);
    expect(run.run.status).toBe('succeeded');
    expect((await me(employee)).statusCode).toBe(401);
    // Suspended and ended in the sync's own transaction: both carry the commit's time, with the member's change.
    const [row] = await query(t.url, `select p.suspended_at, s.ended_at, s.end_reason from person p join person_session s on s.person_id = p.id where p.member_id = $1`, [m.user100]);
    expect(row).toMatchObject({ end_reason: 'member_inactive' });
    expect(row!.suspended_at).toEqual(row!.ended_at);
    expect((await personOf(accountId, m.user100!)).state).toBe('suspended');
    const login = await server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: employee.email, password: TEST_PASSWORD } });
    expect(login.statusCode).toBe(403);
    expect(login.json().error.message).toContain('not Active');

    fake.update(100, { inactiveFlag: false });
    await sync(accountId);
    expect((await personOf(accountId, m.user100!)).state).toBe('active');
    expect((await me(employee)).statusCode).toBe(401); // the old session stays ended
    expect((await me(await signInAgain(server, employee))).statusCode).toBe(200);
  });

  it('an admin unchecking the member, and the member vanishing from the PSA, end sessions too', async () => {
    const { accountId, m, fake } = await account(6, 200);
    const a = await signIn(t.app, server, { accountId, memberId: m.user200!, role: 'employee' });
    const b = await signIn(t.app, server, { accountId, memberId: m.user201!, role: 'employee' });
    await t.app.members.setActive(accountId, m.user200!, false, 'test');
    expect((await me(a)).statusCode).toBe(401);
    fake.remove(201);
    await sync(accountId);
    expect((await me(b)).statusCode).toBe(401);
    expect((await personOf(accountId, m.user201!)).state).toBe('suspended');
  });

  it('a first admin invited by email before their member exists is linked when the member appears', async () => {
    const { accountId, fake } = await account(0, 0);
    const { person } = await t.app.people.invite(accountId, { email: 'Boss@Acme.test', role: 'admin' }, 'cli');
    expect(person).toMatchObject({ memberId: null, email: 'boss@acme.test', role: 'admin', state: 'invited' });
    fake.setMembers([...cwMembers(3, 301), cwMember(300, { officeEmail: 'boss@acme.test' })]);
    await sync(accountId);
    const boss = (await t.app.members.list(accountId, 'all')).find((x) => x.email === 'boss@acme.test')!;
    expect((await t.app.people.list(accountId))[0]).toMatchObject({ id: person.id, memberId: boss.id });
    // Only the first admin: anyone else needs a member.
    await expect(t.app.people.invite(accountId, { email: 'later@acme.test', role: 'admin' }, 'cli')).rejects.toThrow(/no member .* has the email later@acme.test/);
  });
});

describe('last admin', () => {
  it('unchecking, demoting or removing the last admin who can sign in is refused with a clear message', async () => {
    const { accountId, m } = await account(5, 400);
    const admin1 = await signIn(t.app, server, { accountId, memberId: m.user400!, role: 'admin' });
    await signIn(t.app, server, { accountId, memberId: m.user401!, role: 'admin' });
    // Two admins: one may go.
    const uncheck = await as(admin1, 'PATCH', `/api/v1/accounts/${accountId}/members/${m.user401}`, { active: false });
    expect(uncheck.statusCode, uncheck.body).toBe(200);
    // Now admin1 is the last: unchecking, demoting and removing them are refused, and nothing changes.
    const self = await as(admin1, 'PATCH', `/api/v1/accounts/${accountId}/members/${m.user400}`, { active: false });
    expect(self.statusCode).toBe(409);
    expect(self.json().error.message).toMatch(/last admin who can sign in; make another Active member an admin first/);
    const p1 = await personOf(accountId, m.user400!);
    const demote = await as(admin1, 'PATCH', `/api/v1/accounts/${accountId}/people/${p1.id}`, { role: 'employee' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.message).toContain('last admin');
    expect((await as(admin1, 'DELETE', `/api/v1/accounts/${accountId}/people/${p1.id}`)).statusCode).toBe(409);
    expect(await personOf(accountId, m.user400!)).toMatchObject({ role: 'admin', state: 'active' });
    expect((await me(admin1)).statusCode).toBe(200);
    // CLI too: the same rule, the same words.
    await expect(t.app.members.setActive(accountId, m.user400!, false, 'cli')).rejects.toThrow(/last admin/);
  });

  it('a bulk uncheck skips the last admin and says so', async () => {
    const { accountId, m } = await account(6, 500);
    const admin1 = await signIn(t.app, server, { accountId, memberId: m.user500!, role: 'admin' });
    await signIn(t.app, server, { accountId, memberId: m.user503!, role: 'admin' });
    const res = await as(admin1, 'POST', `/api/v1/accounts/${accountId}/members/bulk`, { active: false, filter: { list: 'all' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.changed).toBe(5);
    expect(body.refused).toHaveLength(1);
    expect(body.refused[0]).toMatchObject({ code: 'last_admin', reason: expect.stringContaining('last admin who can sign in') });
    const kept = body.refused[0].memberId;
    expect([m.user500, m.user503]).toContain(kept);
    expect((await t.app.accounts.get(accountId)).admins).toBe(1);
  });

  it('two admins demoting each other at once leave one admin', async () => {
    const { accountId, m } = await account(4, 600);
    const a = await signIn(t.app, server, { accountId, memberId: m.user600!, role: 'admin' });
    const b = await signIn(t.app, server, { accountId, memberId: m.user601!, role: 'admin' });
    const pa = await personOf(accountId, m.user600!);
    const pb = await personOf(accountId, m.user601!);
    const [ra, rb] = await Promise.all([
      as(a, 'PATCH', `/api/v1/accounts/${accountId}/people/${pb.id}`, { role: 'account_manager' }),
      as(b, 'PATCH', `/api/v1/accounts/${accountId}/people/${pa.id}`, { role: 'account_manager' }),
    ]);
    // One wins; the loser is refused (its admin was demoted under it: 403, or it was the last: 409).
    expect([ra.statusCode, rb.statusCode].sort()).toContain(200);
    expect([ra.statusCode, rb.statusCode].filter((s) => s === 200)).toHaveLength(1);
    const admins = (await t.app.people.list(accountId)).filter((p) => p.role === 'admin');
    expect(admins).toHaveLength(1);
  });

  it('parallel unchecks and demotions of every admin still leave one', async () => {
    const { accountId, m } = await account(6, 700);
    const ids = ['user700', 'user701', 'user702'].map((k) => m[k]!);
    for (const id of ids) await signIn(t.app, server, { accountId, memberId: id, role: 'admin' });
    const people = await Promise.all(ids.map((id) => personOf(accountId, id)));
    await Promise.allSettled([
      ...ids.map((id) => t.app.members.setActive(accountId, id, false, 'cli')),
      ...people.map((p) => t.app.people.update(accountId, p.id, { role: 'employee' }, 'cli')),
      ...people.map((p) => t.app.people.remove(accountId, p.id, 'cli')),
    ]);
    expect((await t.app.accounts.get(accountId)).admins).toBe(1);
  });

  it('a sync that deactivates the last admin applies, and the account is flagged "no admin"', async () => {
    const { accountId, m, fake } = await account(5, 800);
    const admin = await signIn(t.app, server, { accountId, memberId: m.user800!, role: 'admin' });
    expect((await t.app.accounts.get(accountId)).noAdmin).toBe(false);
    fake.update(800, { inactiveFlag: true });
    const run = await sync(accountId);
    expect(run.run.status).toBe('succeeded');
    expect((await t.app.members.list(accountId, 'inactive')).map((x) => x.id)).toContain(m.user800);
    expect(await t.app.accounts.get(accountId)).toMatchObject({ admins: 0, noAdmin: true });
    expect((await me(admin)).statusCode).toBe(401);
    // Support names a new first admin for such an account.
    const support = await signIn(t.app, server, { support: true });
    const res = await as(support, 'POST', `/api/v1/accounts/${accountId}/people`, { memberId: m.user801, role: 'admin' });
    expect(res.statusCode, res.body).toBe(201);
    expect((await as(support, 'POST', `/api/v1/accounts/${accountId}/people`, { memberId: m.user802, role: 'employee' })).statusCode).toBe(403);
  });
});
