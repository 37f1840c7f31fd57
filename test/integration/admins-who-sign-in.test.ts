import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Who counts as an admin (issue 16, item 4): an admin who can sign in has activated and is not
 * suspended. A pending invitation is not one, for the last-admin rule, the count, "no admin" and
 * its notification alike.
 */
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

/** A synced account with `n` members from `from`, one activated admin (the first member) and one admin only invited (the second). */
async function accountWithPendingAdmin(n: number, from: number) {
  const fake = new ConnectWiseFake(cwMembers(n, from));
  const cw = await serveFake(fake);
  servers.push(cw);
  const accountId = (await addCwAccount(t.app, cw.url, { breakerMinMembers: 1000 })).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  const m: Record<string, string> = {};
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  const admin = await signIn(t.app, server, { accountId, memberId: m[`user${from}`]!, role: 'admin' });
  const { person: pending } = await t.app.people.invite(accountId, { memberId: m[`user${from + 1}`]!, role: 'admin' }, 'cli');
  return { accountId, m, fake, admin, pending };
}

const as = (s: TestSession, method: 'PATCH' | 'POST' | 'DELETE', url: string, payload?: object) =>
  server.inject({ method, url, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, ...(payload ? { payload } : {}) });

describe('a pending invitation is not an admin who can sign in', () => {
  it('the only activated admin cannot uncheck, demote or remove themselves while the other admin is only invited', async () => {
    const { accountId, m, admin, pending } = await accountWithPendingAdmin(5, 100);
    const self = await as(admin, 'PATCH', `/api/v1/accounts/${accountId}/members/${m.user100}`, { active: false });
    expect(self.statusCode, self.body).toBe(409);
    expect(self.json().error.message).toContain('last admin who can sign in');
    const bulk = await as(admin, 'POST', `/api/v1/accounts/${accountId}/members/bulk`, { active: false, memberIds: [m.user100, m.user102] });
    expect(bulk.json()).toMatchObject({ changed: 1, refused: [{ memberId: m.user100, code: 'last_admin' }] });
    const me = (await t.app.people.list(accountId)).find((p) => p.memberId === m.user100)!;
    expect((await as(admin, 'PATCH', `/api/v1/accounts/${accountId}/people/${me.id}`, { role: 'account_manager' })).statusCode).toBe(409);
    expect((await as(admin, 'DELETE', `/api/v1/accounts/${accountId}/people/${me.id}`)).statusCode).toBe(409);
    expect(await t.app.accounts.get(accountId)).toMatchObject({ admins: 1, pendingAdmins: 1, noAdmin: false });
    // The invitation itself may always be withdrawn: it takes no one's sign-in away.
    expect((await as(admin, 'DELETE', `/api/v1/accounts/${accountId}/people/${pending.id}`)).statusCode).toBe(200);
  });

  it('a sync deactivating the last activated admin flags "no admin" and raises account.no_admin, though another admin is invited', async () => {
    const { accountId, fake } = await accountWithPendingAdmin(5, 200);
    expect(await t.app.accounts.get(accountId)).toMatchObject({ admins: 1, pendingAdmins: 1, noAdmin: false });
    fake.update(200, { inactiveFlag: true });
    expect((await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.status).toBe('succeeded');
    expect(await t.app.accounts.get(accountId)).toMatchObject({ admins: 0, pendingAdmins: 1, noAdmin: true });
    expect(await query(t.url, `select 1 from notification where event = 'account.no_admin' and account_id = $1`, [accountId])).toHaveLength(1);
  });

  it('a sync suspending an admin who never signed in raises nothing: the account had no admin who could sign in before', async () => {
    const { accountId, fake } = await accountWithPendingAdmin(5, 300);
    fake.update(301, { inactiveFlag: true });
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    expect(await t.app.accounts.get(accountId)).toMatchObject({ admins: 1, pendingAdmins: 0, noAdmin: false });
    expect(await query(t.url, `select 1 from notification where event = 'account.no_admin' and account_id = $1`, [accountId])).toHaveLength(0);
  });

  it('the overview shows admins who can sign in and pending admin invitations apart', async () => {
    const { accountId, admin } = await accountWithPendingAdmin(4, 400);
    const page = await server.inject({ method: 'GET', url: `/accounts/${accountId}`, headers: { cookie: admin.cookie } });
    expect(page.statusCode).toBe(200);
    const facts = Object.fromEntries([...page.body.matchAll(/<dt>([^<]+)<\/dt>\s*<dd>([^<]*)/g)].map((x) => [x[1]!.trim(), x[2]!.trim()]));
    expect(facts['Admins who can sign in']).toBe('1');
    expect(facts['Admins invited, not signed in yet']).toBe('1');
  });
});
