import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemberView } from '../../src/db/views.js';
import { AT_CREDENTIALS, atResource, atResources, atRoster, AutotaskFake } from '../fakes/autotask-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { addAtAccount } from '../helpers/accounts.js';
import { createTestApp, memoryLogger, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/** Autotask accounts through the real engine (product.md §2 "Autotask accounts": every ConnectWise rule holds). */
const server = setupServer();
const log = memoryLogger('info');
let t: TestApp;
let fake: AutotaskFake;
let origin: string;
let hostNo = 0;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  t = await createTestApp({ logger: log.logger });
});
afterAll(async () => {
  server.close();
  await t.close();
});
beforeEach(() => {
  // Each test gets its own Autotask host, so handlers and cached zones never cross tests.
  origin = `https://webservices${++hostNo}.autotask.test`;
  fake = new AutotaskFake();
  server.use(...fakeHandlers(origin, fake));
});
afterEach(() => server.resetHandlers());

const sync = (accountId: string, dryRun = false) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test', dryRun });
const byExternal = async (accountId: string) => Object.fromEntries((await t.app.members.list(accountId, 'all')).map((m) => [m.externalId, m])) as Record<string, MemberView>;
const snapshot = async (accountId: string) => ({
  members: await query(t.url, 'select * from member where account_id = $1 order by id', [accountId]),
  changes: await query(t.url, `select count(*)::int as n from member_change where account_id = $1 and state = 'applied'`, [accountId]),
});

describe('Autotask rules (product.md §2)', () => {
  it('1–2: a 1,200-resource account is read in 3 pages; staff are added Active, API users skipped, inactive ones go straight to Inactive Synced; the run logs its requests', async () => {
    fake.setResources(atRoster(1200));
    const account = await addAtAccount(t.app, origin);
    const { run, changes } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ fetched: 1204, added: 1203, skipped: 1, deactivated: 0 });
    expect(fake.calls('Resources/query')).toHaveLength(3);
    const m = await byExternal(account.id);
    expect(Object.keys(m)).toHaveLength(1203);
    expect(m['17']).toMatchObject({ identifier: 'user17', name: 'First17 Last17', email: 'user17@acme.test', active: true, list: 'staff', psaActive: true, source: 'psa' });
    expect(m['9002']).toMatchObject({ active: false, list: 'inactive_synced', psaActive: false, inactiveReason: 'psa_inactive' });
    expect(m['9004']).toMatchObject({ email: null, active: true });
    expect(changes.find((c) => c.action === 'skipped')).toMatchObject({ externalId: '9001', identifier: 'api-sync', reason: 'api_user', memberId: null });
    const line = log.lines().find((l) => l.runId === run.id && l.psa === 'Autotask');
    expect(line).toMatchObject({ accountId: account.id, outcome: 'read', requests: fake.requests.length, resourcePages: 3 });
  });

  it('2: beyond the seat limit new resources are added unchecked, and the run says why', async () => {
    fake.setResources(atResources(4));
    const account = await addAtAccount(t.app, origin, { seatLimit: 2 });
    const { changes } = await sync(account.id);
    const m = await byExternal(account.id);
    expect([m['1']!.active, m['2']!.active, m['3']!.active, m['4']!.active]).toEqual([true, true, false, false]);
    expect(m['3']).toMatchObject({ list: 'staff', inactiveReason: 'seat_limit' });
    expect(changes.filter((c) => c.reason === 'seat_limit_reached').map((c) => c.externalId)).toEqual(['3', '4']);
  });

  it('3: matches on the resource id, not the user name; renames update the same record', async () => {
    fake.setResources(atResources(3));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    const before = await byExternal(account.id);
    fake.update(2, { userName: 'jdoe.renamed', firstName: 'Janet', email: null });
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ updated: 1, added: 0 });
    const after = await byExternal(account.id);
    expect(after['2']).toMatchObject({ id: before['2']!.id, identifier: 'jdoe.renamed', name: 'Janet Last2', email: null, active: true });
    expect(Object.keys(after)).toHaveLength(3);
  });

  it('4, 7: isActive false moves a member to Inactive Synced; active again it returns with the same record, unless an admin unchecked it', async () => {
    fake.setResources(atResources(3));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    const m0 = await byExternal(account.id);
    await t.app.members.setActive(account.id, m0['3']!.id, false, 'admin:alice');
    fake.update(2, { isActive: false });
    fake.update(3, { isActive: false });
    const moved = await sync(account.id);
    expect(moved.run.counts).toMatchObject({ movedToInactive: 2 });
    expect((await byExternal(account.id))['2']).toMatchObject({ active: false, list: 'inactive_synced', inactiveReason: 'psa_inactive' });
    await expect(t.app.members.setActive(account.id, m0['2']!.id, true, 'admin')).rejects.toThrow(/inactive in Autotask/);
    fake.update(2, { isActive: true });
    fake.update(3, { isActive: true });
    const back = await sync(account.id);
    expect(back.run.counts).toMatchObject({ reactivated: 2 });
    const m = await byExternal(account.id);
    expect(m['2']).toMatchObject({ id: m0['2']!.id, active: true, list: 'staff', inactiveReason: null });
    expect(m['3']).toMatchObject({ id: m0['3']!.id, active: false, list: 'staff', inactiveReason: 'admin', adminInactive: true });
  });

  it('5: a resource Autotask stops returning is moved as vanished only after a complete read', async () => {
    fake.setResources(atResources(6));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    fake.remove(4);
    fake.countOverride = 6;
    const before = await snapshot(account.id);
    const incomplete = await sync(account.id);
    expect(incomplete.run).toMatchObject({ status: 'failed', error: { kind: 'incomplete_read' } });
    expect(await snapshot(account.id)).toEqual(before);
    fake.countOverride = undefined;
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ movedToInactive: 1 });
    expect((await byExternal(account.id))['4']).toMatchObject({ active: false, list: 'inactive_synced', inactiveReason: 'vanished', psaActive: null });
  });

  it('6: an admin-unchecked member stays inactive across syncs', async () => {
    fake.setResources(atResources(3));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    const jane = (await byExternal(account.id))['1']!;
    await t.app.members.setActive(account.id, jane.id, false, 'admin:alice');
    for (let i = 0; i < 2; i++) {
      const { run } = await sync(account.id);
      expect(run.counts).toMatchObject({ keptInactiveByAdmin: 1 });
      expect((await byExternal(account.id))['1']).toMatchObject({ active: false, adminInactive: true });
    }
  });

  it('the breaker holds a run that would deactivate many; approve applies exactly the held plan', async () => {
    fake.setResources(atResources(20));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    for (let id = 1; id <= 8; id++) fake.update(id, { isActive: false });
    const before = await snapshot(account.id);
    const held = await sync(account.id);
    expect(held.run).toMatchObject({ status: 'held', counts: { deactivated: 8 } });
    expect(await snapshot(account.id)).toEqual(before);
    const approved = await t.app.engine.approve(held.run.id!, 'admin:alice');
    expect(approved.run.status).toBe('succeeded');
    expect(Object.values(await byExternal(account.id)).filter((m) => !m.active)).toHaveLength(8);
  });

  it('an empty roster while members are Active is held, never applied', async () => {
    fake.setResources(atResources(3));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    fake.setResources([]);
    const held = await sync(account.id);
    expect(held.run.status).toBe('held');
    expect(held.run.holdReason).toContain('no staff');
    expect(Object.values(await byExternal(account.id)).every((m) => m.active)).toBe(true);
  });

  it('a preview returns the plan and writes nothing', async () => {
    fake.setResources(atResources(5));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    fake.update(1, { isActive: false });
    fake.setResources([...fake.resources, atResource(6)]);
    const before = await snapshot(account.id);
    const { run, changes } = await sync(account.id, true);
    expect(run).toMatchObject({ id: null, dryRun: true, status: 'succeeded', counts: { added: 1, movedToInactive: 1 } });
    expect(changes.map((c) => [c.action, c.externalId])).toEqual(expect.arrayContaining([['added', '6'], ['moved_to_inactive', '1']]));
    expect(await snapshot(account.id)).toEqual(before);
  });
});

describe('Autotask failures and limits', () => {
  const breaks: [string, string, (f: AutotaskFake) => void, RegExp][] = [
    ['a wrong secret (401)', 'auth', (f) => void (f.credentials.secret = 'rotated'), /check secret/],
    ['an unknown user name (500)', 'auth', (f) => void (f.credentials.userName = 'renamed@acme.test'), /check userName .* and integrationCode/],
    ['a wrong integration code (500)', 'auth', (f) => void (f.credentials.integrationCode = 'ANOTHERCODE'), /check userName .* and integrationCode/],
  ];
  it.each(breaks)('%s changes nothing, deactivates nobody and stops the schedule until the settings change', async (_label, kind, breakIt, message) => {
    fake.setResources(atResources(8));
    const account = await addAtAccount(t.app, origin, { settings: { zoneUrl: `${origin}/atservicesrest/` } });
    await sync(account.id);
    breakIt(fake);
    const before = await snapshot(account.id);
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind } });
    expect(run.error!.message).toMatch(message);
    expect(await snapshot(account.id)).toEqual(before);
    const view = await t.app.accounts.get(account.id);
    expect(view.schedule).toMatchObject({ state: 'waiting_for_configuration', nextAttemptAt: null });
    expect(JSON.stringify(view)).not.toContain(AT_CREDENTIALS.secret);
    // New settings (the right ones) lift the block, and the next sync runs.
    fake.credentials = { ...AT_CREDENTIALS };
    await t.app.accounts.update(account.id, { settings: { ...AT_CREDENTIALS, discoveryUrl: `${origin}/atservicesrest/`, zoneUrl: `${origin}/atservicesrest/` } });
    expect((await t.app.accounts.get(account.id)).schedule.state).toBe('ok');
    expect((await sync(account.id)).run.status).toBe('succeeded');
  });

  it('zone discovery that does not know the user fails the run as config naming userName', async () => {
    fake.setResources(atResources(2));
    const account = await addAtAccount(t.app, origin, { settings: { userName: 'nobody@acme.test' } });
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'config' } });
    expect(run.error!.message).toContain('"nobody@acme.test"');
    expect((await t.app.accounts.get(account.id)).schedule.state).toBe('waiting_for_configuration');
  });

  it('never more than 3 requests in flight, and a thread threshold error is waited out, not taken as no staff', async () => {
    fake.setResources(atResources(1600));
    fake.latencyMs = 10;
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    expect(fake.maxInFlight).toBe(3);
    expect(fake.threadErrors).toBe(0);
    fake.threadLimit = 1; // other integrations now hold two of the threads
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'succeeded', counts: { unchanged: 1600, deactivated: 0 } });
    expect(fake.threadErrors).toBeGreaterThan(0);
  });

  it('429s are waited out within the run; past the budget the run fails as rate_limited and changes nothing', async () => {
    fake.setResources(atResources(700));
    const account = await addAtAccount(t.app, origin);
    fake.rateLimit('Resources', 1, '1');
    fake.rateLimit('Resources', 1);
    expect((await sync(account.id)).run).toMatchObject({ status: 'succeeded', counts: { added: 700 } });
    for (let id = 1; id <= 700; id++) fake.update(id, { isActive: false });
    fake.rateLimit('Resources', 1_000);
    const before = await snapshot(account.id);
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'rate_limited' } });
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('the console and API test the connection before an account is added', async () => {
    fake.setResources(atRoster(3));
    const settings = { ...AT_CREDENTIALS, discoveryUrl: `${origin}/atservicesrest/` };
    expect(await t.app.engine.testConnection('autotask', settings)).toEqual({ members: 7 });
    await expect(t.app.engine.testConnection('autotask', { ...settings, secret: 'nope' })).rejects.toMatchObject({ kind: 'auth' });
  });
});
