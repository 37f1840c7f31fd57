import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/** ConnectWise callbacks (issue 12): registration, signed intake, coalesced runs, the member rules. */
let t: TestApp;
let server: FastifyInstance;
let fake: ConnectWiseFake;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
let accountKey: string;
let message = 0;
const m: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  fake = new ConnectWiseFake(cwMembers(20));
  cw = await serveFake(fake);
  const account = await addCwAccount(t.app, cw.url, { seatLimit: 20 });
  accountId = account.id;
  accountKey = account.publicKey;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

/** POSTs a callback as ConnectWise would; `tamper` changes the body after signing. */
async function callback(memberId: number, action: 'added' | 'updated' | 'deleted', opts: { messageId?: string; keyUrl?: string; tamper?: boolean; signature?: string | null; key?: string } = {}) {
  const { body, signature } = fake.callback(cw.url, memberId, action, opts.messageId ?? `msg-${++message}`, opts.keyUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.signature !== null) headers['x-content-signature'] = opts.signature ?? signature;
  return server.inject({ method: 'POST', url: `/hooks/connectwise/${opts.key ?? accountKey}`, headers, payload: opts.tamper ? body.replace('"updated"', '"added"') : body });
}
const member = async (identifier: string) => (await t.app.members.explain(accountId, m[identifier]!)).member;
const queued = async () => (await query(t.url, 'select count(*)::int as n from callback_request where account_id = $1', [accountId]))[0]!.n as number;

describe('registering the callback', () => {
  it('registers a member/owner callback once, reuses its own entry, and removes only its own', async () => {
    fake.callbacks.push({ id: 7, url: 'https://other-tool.example/cw', description: 'another integration', type: 'member', level: 'owner', objectId: 1, inactiveFlag: false });
    const first = await t.app.callbacks.register(accountId, 'https://reviews.example.test', 'test');
    expect(first.reused).toBe(false);
    expect(first.callback.url).toBe(`https://reviews.example.test/hooks/connectwise/${accountKey}`);
    expect(fake.callbacks.find((c) => c.id === first.callback.id)).toMatchObject({ type: 'member', level: 'owner', objectId: 1 });
    const again = await t.app.callbacks.register(accountId, 'https://reviews.example.test', 'test');
    expect(again).toMatchObject({ reused: true, callback: { id: first.callback.id } });
    expect(fake.callbacks).toHaveLength(2);
    expect((await t.app.accounts.get(accountId)).callback).toMatchObject({ registered: true, url: first.callback.url });
    expect((await t.app.callbacks.unregister(accountId, 'test')).removed).toEqual([first.callback.id]);
    expect(fake.callbacks.map((c) => c.id)).toEqual([7]);
    expect((await t.app.accounts.get(accountId)).callback.registered).toBe(false);
  });
});

describe('taking callbacks in', () => {
  it('a good signature is applied: the member is re-read and the §2 rules applied, as a callback run', async () => {
    fake.update(3, { inactiveFlag: true });
    const res = await callback(3, 'updated');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'queued' });
    expect((await member('user3')).active).toBe(true); // queued, not yet read
    expect((await t.app.callbacks.processQueue()).runs).toBe(1);
    expect(await member('user3')).toMatchObject({ active: false, list: 'inactive_synced', inactiveReason: 'psa_inactive' });
    const [run] = (await t.app.runs.page(accountId, { trigger: 'callback' })).runs;
    expect(run).toMatchObject({ trigger: 'callback', status: 'succeeded' });
    expect((await t.app.accounts.get(accountId)).callback.lastReceivedAt).not.toBeNull();
  });

  it('refuses a missing (before any lookup), bad or tampered signature, and drops a replay; nothing changes', async () => {
    const before = await queued();
    const missing = await callback(4, 'updated', { signature: null, key: 'no-such-account-key' });
    expect(missing.statusCode).toBe(401); // not 404: refused before the account was looked up
    expect((await callback(4, 'updated', { signature: Buffer.alloc(32, 1).toString('base64') })).statusCode).toBe(401);
    expect((await callback(4, 'updated', { tamper: true })).statusCode).toBe(401);
    expect(await queued()).toBe(before);
    const first = await callback(4, 'updated', { messageId: 'replayed-1' });
    const replay = await callback(4, 'updated', { messageId: 'replayed-1' });
    expect(first.json().status).toBe('queued');
    expect(replay.statusCode).toBe(200);
    expect(replay.json().status).toBe('duplicate');
    expect(await queued()).toBe(before + 1);
    await t.app.callbacks.processQueue();
    const bad = await server.inject({ method: 'POST', url: `/hooks/connectwise/${accountKey}`, headers: { 'content-type': 'application/json', 'x-content-signature': 'abc' }, payload: '{not json' });
    expect(bad.statusCode).toBe(400);
  });

  it('a key_url on another host is refused without being fetched', async () => {
    const evil = new ConnectWiseFake([]);
    const evilServer = await serveFake(evil);
    try {
      const res = await callback(5, 'updated', { keyUrl: `${evilServer.url}/${evil.codebase}system/callbackkey/index.rails?id=1` });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toContain("not on this account's ConnectWise host");
      expect(evil.keyFetches).toBe(0);
      expect(evil.requests).toHaveLength(0);
    } finally {
      await evilServer.close();
    }
  });

  it('deleted, or a member that cannot be read, never deactivates', async () => {
    fake.remove(6);
    expect((await callback(6, 'deleted')).json().status).toBe('queued');
    expect((await callback(6, 'updated')).json().status).toBe('queued');
    await t.app.callbacks.processQueue();
    expect(await member('user6')).toMatchObject({ active: true, list: 'staff' });
    fake.setMembers([...fake.members, cwMember(6)]);
  });

  it('500 callbacks in a minute coalesce into a handful of runs', async () => {
    const runsBefore = (await t.app.runs.page(accountId, { trigger: 'callback', limit: '500' })).runs.length;
    for (let i = 0; i < 500; i++) expect((await callback(7 + (i % 10), 'updated')).statusCode).toBe(200);
    expect(await queued()).toBe(500);
    let passes = 0;
    while ((await queued()) > 0 && passes < 5) (await t.app.callbacks.processQueue(), passes++);
    const runs = (await t.app.runs.page(accountId, { trigger: 'callback', limit: '500' })).runs.length - runsBefore;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(3);
    expect(fake.requests.filter((r) => /\/system\/members\/\d+$/.test(r.path)).length).toBeLessThan(60);
  });
});

describe('member rules through callbacks', () => {
  it("an admin's uncheck sticks; the seat limit holds for a new member; reactivation works", async () => {
    await t.app.members.setActive(accountId, m.user2!, false, 'admin');
    await callback(2, 'updated');
    await t.app.callbacks.processQueue();
    expect(await member('user2')).toMatchObject({ active: false, adminInactive: true });

    // Seat limit: 20 seats, and every seat taken.
    await t.app.members.setActive(accountId, m.user2!, true, 'admin');
    await t.app.members.setActive(accountId, m.user3!, false, 'admin');
    const activeNow = (await t.app.members.page(accountId, { list: 'all' })).activeCount;
    await t.app.accounts.update(accountId, { seatLimit: activeNow }, 'test');
    fake.setMembers([...fake.members, cwMember(50)]);
    await callback(50, 'added');
    await t.app.callbacks.processQueue();
    const added = (await t.app.members.list(accountId, 'all')).find((x) => x.externalId === '50')!;
    expect(added).toMatchObject({ active: false, inactiveReason: 'seat_limit' });

    // Reactivation: inactive in ConnectWise, then active again.
    await t.app.accounts.update(accountId, { seatLimit: null }, 'test');
    fake.update(8, { inactiveFlag: true });
    await callback(8, 'updated');
    await t.app.callbacks.processQueue();
    expect((await member('user8')).active).toBe(false);
    fake.update(8, { inactiveFlag: false });
    await callback(8, 'updated');
    await t.app.callbacks.processQueue();
    expect(await member('user8')).toMatchObject({ active: true, list: 'staff' });
  });

  it('a callback arriving during a run waits for it; the daemon applies it within seconds', async () => {
    const daemon = await startDaemon(t.app, { tickCron: '*/1 * * * * *', http: false });
    try {
      fake.update(9, { inactiveFlag: true });
      const started = Date.now();
      expect((await callback(9, 'updated')).statusCode).toBe(200);
      await expect.poll(async () => (await member('user9')).active, { timeout: 10_000, interval: 100 }).toBe(false);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await daemon.stop();
    }
  });
});
