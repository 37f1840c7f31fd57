import { http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../src/core/errors.js';
import { SecretBox } from '../../src/core/secret-box.js';
import type { MemberView } from '../../src/db/views.js';
import { ConnectWiseFake, cwMember, cwMembers } from '../fakes/connectwise-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, memoryLogger, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

const server = setupServer();
const log = memoryLogger('info');
let t: TestApp;
let fake: ConnectWiseFake;
let site: string;
let siteNo = 0;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  t = await createTestApp({ logger: log.logger });
});
afterAll(async () => {
  server.close();
  await t.close();
});
beforeEach(() => {
  // Each test gets its own PSA host, so handlers never cross tests.
  site = `https://cw${++siteNo}.myconnectwise.test`;
  fake = new ConnectWiseFake();
  server.use(...fakeHandlers(site, fake));
});
afterEach(() => server.resetHandlers());

/** How the engine says it applied a run: which path, and how many of our members it loaded. */
const applied = (runId: string | null) => log.lines().find((l) => l.runId === runId && (l.msg === 'applied plan' || l.msg === 'run held for approval')) as { path: string; membersLoaded: number } | undefined;
const sync = (accountId: string, dryRun = false) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test', dryRun });
const byExternal = async (accountId: string) => {
  const all = await t.app.members.list(accountId, 'all');
  return Object.fromEntries(all.map((m) => [m.externalId, m])) as Record<string, MemberView>;
};
const snapshot = async (accountId: string) => ({
  members: await query(t.url, 'select * from member where account_id = $1 order by id', [accountId]),
  changes: await query(t.url, `select count(*)::int as n from member_change where account_id = $1 and state = 'applied'`, [accountId]),
  version: await query(t.url, 'select members_version from account where id = $1', [accountId]),
});

describe('ConnectWise rules (product.md §2)', () => {
  it('1–2: reads every page, adds active staff as Active on All Staff, and skips API members', async () => {
    fake.setMembers([...cwMembers(1203), cwMember(5000, { licenseClass: 'A', identifier: 'api' })]);
    const account = await addCwAccount(t.app, site);
    const { run, changes } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ fetched: 1204, added: 1203, skipped: 1, deactivated: 0, unchanged: 0 });
    const staff = await t.app.members.list(account.id, 'staff');
    expect(staff).toHaveLength(1203);
    expect(staff.every((m) => m.active && m.list === 'staff' && m.psaActive === true && m.source === 'psa')).toBe(true);
    expect(changes.find((c) => c.action === 'skipped')).toMatchObject({ externalId: '5000', identifier: 'api', reason: 'api_member', memberId: null });
  });

  it('2: beyond the seat limit new members are added unchecked, and the run says why', async () => {
    fake.setMembers(cwMembers(4));
    const account = await addCwAccount(t.app, site, { seatLimit: 2 });
    const { run, changes } = await sync(account.id);
    expect(run.counts).toMatchObject({ added: 4 });
    const m = await byExternal(account.id);
    expect([m['1']!.active, m['2']!.active, m['3']!.active, m['4']!.active]).toEqual([true, true, false, false]);
    expect(m['3']).toMatchObject({ list: 'staff', inactiveReason: 'seat_limit', adminInactive: false });
    expect(changes.filter((c) => c.reason === 'seat_limit_reached').map((c) => c.externalId)).toEqual(['3', '4']);
  });

  it('3: matches on id, not identifier; renames and new emails update the same record', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    const before = await byExternal(account.id);
    fake.update(2, { identifier: 'renamed', firstName: 'Janet', officeEmail: null });
    const { run, changes } = await sync(account.id);
    expect(run.counts).toMatchObject({ updated: 1, added: 0, unchanged: 2 });
    const after = await byExternal(account.id);
    expect(after['2']!.id).toBe(before['2']!.id);
    expect(after['2']).toMatchObject({ identifier: 'renamed', name: 'Janet Last2', email: null, active: true });
    expect(changes[0]!.changes).toEqual([
      { field: 'identifier', before: 'user2', after: 'renamed' },
      { field: 'name', before: 'First2 Last2', after: 'Janet Last2' },
      { field: 'email', before: 'user2@acme.test', after: null },
    ]);
    expect(await t.app.members.list(account.id, 'all')).toHaveLength(3);
  });

  it('4: an inactive member moves to Inactive Synced Members with its id and history; first-seen inactive goes straight there', async () => {
    fake.setMembers([...cwMembers(3), cwMember(9, { inactiveFlag: true })]);
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    let m = await byExternal(account.id);
    expect(m['9']).toMatchObject({ active: false, list: 'inactive_synced', psaActive: false, inactiveReason: 'psa_inactive' });
    const id = m['2']!.id;

    fake.update(2, { inactiveFlag: true });
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ movedToInactive: 1, deactivated: 1 });
    m = await byExternal(account.id);
    expect(m['2']).toMatchObject({ id, active: false, list: 'inactive_synced', inactiveReason: 'psa_inactive' });
    expect((await t.app.members.list(account.id, 'inactive')).map((x) => x.externalId).sort()).toEqual(['2', '9']);
    expect((await t.app.members.list(account.id, 'staff')).map((x) => x.externalId)).not.toContain('2');

    const { history } = await t.app.members.explain(account.id, id);
    expect(history.map((h) => [h.action, h.reason])).toEqual([
      ['added', 'new_in_psa'],
      ['moved_to_inactive', 'inactive_in_psa'],
    ]);
    expect(history[1]!.runId).toBe(run.id);

    const again = await sync(account.id);
    expect(again.run.counts).toMatchObject({ movedToInactive: 0, unchanged: 4 });
  });

  it('5: a member ConnectWise stops returning is moved as vanished, only after a complete read', async () => {
    fake.setMembers(cwMembers(6));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    fake.remove(4);
    fake.countOverride = 6; // the count disagrees with what paging returned: not provably complete
    const incomplete = await sync(account.id);
    expect(incomplete.run.status).toBe('failed');
    expect(incomplete.run.error).toMatchObject({ kind: 'incomplete_read' });
    expect((await byExternal(account.id))['4']).toMatchObject({ active: true, list: 'staff' });

    fake.countOverride = undefined;
    const { run } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ movedToInactive: 1, deactivated: 1 });
    expect((await byExternal(account.id))['4']).toMatchObject({ active: false, list: 'inactive_synced', inactiveReason: 'vanished', psaActive: null });
  });

  it('6: an admin-unchecked member stays inactive across syncs; the run says kept inactive by admin', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    const jane = (await byExternal(account.id))['1']!;
    const unchecked = await t.app.members.setActive(account.id, jane.id, false, 'admin:alice');
    expect(unchecked).toMatchObject({ active: false, adminInactive: true, inactiveReason: 'admin', list: 'staff' });

    for (let i = 0; i < 2; i++) {
      const { run, changes } = await sync(account.id);
      expect(run.counts).toMatchObject({ keptInactiveByAdmin: 1, unchanged: 2 });
      expect(changes.find((c) => c.memberId === jane.id)).toMatchObject({ action: 'kept_inactive_by_admin', reason: 'kept_inactive_by_admin' });
      expect((await byExternal(account.id))['1']).toMatchObject({ active: false, adminInactive: true });
    }
    const { history } = await t.app.members.explain(account.id, jane.id);
    expect(history.find((h) => h.action === 'admin_unchecked')).toMatchObject({ actor: 'admin:alice', runId: null });
  });

  it('7: a member active again returns to All Staff with the same record, unless an admin had unchecked it', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    const m0 = await byExternal(account.id);
    await t.app.members.setActive(account.id, m0['3']!.id, false, 'admin:alice');
    fake.update(2, { inactiveFlag: true });
    fake.update(3, { inactiveFlag: true });
    await sync(account.id);
    fake.update(2, { inactiveFlag: false });
    fake.update(3, { inactiveFlag: false });
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ reactivated: 2 });
    const m = await byExternal(account.id);
    expect(m['2']).toMatchObject({ id: m0['2']!.id, active: true, list: 'staff', inactiveReason: null, psaActive: true });
    expect(m['3']).toMatchObject({ id: m0['3']!.id, active: false, list: 'staff', inactiveReason: 'admin', adminInactive: true });
  });

  it('7: reactivation is subject to the seat limit', async () => {
    fake.setMembers(cwMembers(2));
    const account = await addCwAccount(t.app, site, { seatLimit: 2 });
    await sync(account.id);
    fake.update(2, { inactiveFlag: true });
    await sync(account.id);
    fake.setMembers([...fake.members, cwMember(3)]); // takes the freed seat
    await sync(account.id);
    fake.update(2, { inactiveFlag: false });
    const { changes } = await sync(account.id);
    expect(changes.find((c) => c.externalId === '2')).toMatchObject({ action: 'reactivated', reason: 'seat_limit_reached' });
    expect((await byExternal(account.id))['2']).toMatchObject({ active: false, list: 'staff', inactiveReason: 'seat_limit' });
  });

  it('8: an admin cannot check a member inactive in ConnectWise, nor beyond the seat limit', async () => {
    fake.setMembers([...cwMembers(3), cwMember(9, { inactiveFlag: true })]);
    const account = await addCwAccount(t.app, site, { seatLimit: 2 });
    await sync(account.id);
    const m = await byExternal(account.id);
    await expect(t.app.members.setActive(account.id, m['9']!.id, true, 'admin')).rejects.toThrow(/inactive in ConnectWise/);
    await expect(t.app.members.setActive(account.id, m['3']!.id, true, 'admin')).rejects.toThrow(/seat limit of 2 Active members reached/);
    await expect(t.app.members.setActive(account.id, m['3']!.id, true, 'admin')).rejects.toBeInstanceOf(ConflictError);
    await t.app.members.setActive(account.id, m['1']!.id, false, 'admin');
    expect(await t.app.members.setActive(account.id, m['3']!.id, true, 'admin')).toMatchObject({ active: true, inactiveReason: null });
  });
});

describe('safety (product.md §4)', () => {
  it('a failure on page 3 of 5 changes nothing', async () => {
    fake.setMembers(cwMembers(4500));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    fake.setMembers(cwMembers(4500).map((m) => ({ ...m, firstName: 'Renamed', inactiveFlag: m.id % 2 === 0 })));
    fake.intercept((req) => (req.url.searchParams.get('pageId') === '2000' ? { status: 503, body: 'down' } : undefined));
    const before = await snapshot(account.id);
    const { run } = await sync(account.id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ kind: 'remote_error' });
    expect(await snapshot(account.id)).toEqual(before);
    expect(await query(t.url, 'select count(*)::int as n from member_change where run_id = $1', [run.id])).toEqual([{ n: 0 }]);
  });

  it('an auth failure deactivates nobody', async () => {
    fake.setMembers(cwMembers(8));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    fake.credentials = { ...fake.credentials, privateKey: 'rotated' };
    const before = await snapshot(account.id);
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'auth' } });
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('unusable stored settings fail the run as config, naming the problem, and change nothing', async () => {
    fake.setMembers(cwMembers(5));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    const broken = new SecretBox(TEST_SECRET_KEY).seal(JSON.stringify({ site, companyId: 'acme' }));
    await query(t.url, 'update account set settings_sealed = $1 where id = $2', [broken, account.id]);
    const before = await snapshot(account.id);
    const requests = fake.requests.length;
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'config' } });
    expect(run.error!.message).toMatch(/ConnectWise settings are unusable: .*privateKey is required/);
    expect(fake.requests.length).toBe(requests);
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('a member id returned twice in one read fails the run as bad_response and changes nothing', async () => {
    fake.setMembers(cwMembers(1500));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    fake.setMembers([...cwMembers(1500).map((m) => ({ ...m, inactiveFlag: true })), cwMember(1200, { firstName: 'Twin' })]);
    const before = await snapshot(account.id);
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'bad_response', message: 'ConnectWise returned member id 1200 twice in one read' } });
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('an empty roster while members are Active is held; approve applies exactly the held plan', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    fake.setMembers([]);
    const before = await snapshot(account.id);
    const held = await sync(account.id);
    expect(held.run.status).toBe('held');
    expect(held.run.holdReason).toContain('no staff');
    expect(await snapshot(account.id)).toEqual(before);
    const shown = await t.app.runs.show(held.run.id!);
    expect(shown.changes.map((c) => [c.state, c.action, c.reason, c.externalId])).toEqual([
      ['planned', 'moved_to_inactive', 'vanished', '1'],
      ['planned', 'moved_to_inactive', 'vanished', '2'],
      ['planned', 'moved_to_inactive', 'vanished', '3'],
    ]);

    fake.setMembers(cwMembers(3)); // the PSA recovered; approval still applies the stored plan, not a new read
    const approved = await t.app.engine.approve(held.run.id!, 'admin:alice');
    expect(approved.run).toMatchObject({ status: 'succeeded', decidedBy: 'admin:alice' });
    expect(approved.changes.every((c) => c.state === 'applied')).toBe(true);
    const m = await byExternal(account.id);
    expect(Object.values(m).every((x) => x.list === 'inactive_synced' && x.inactiveReason === 'vanished' && !x.active)).toBe(true);
    await expect(t.app.engine.approve(held.run.id!, 'admin:alice')).rejects.toThrow(/only a held run/);
  });

  it('the circuit breaker holds a run over 20% and 5 members, and not below; reject applies nothing', async () => {
    fake.setMembers(cwMembers(20));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    for (const id of [1, 2, 3, 4, 5]) fake.update(id, { inactiveFlag: true });
    const small = await sync(account.id);
    expect(small.run.status).toBe('succeeded'); // 5 of 20: not more than 5
    for (const id of [6, 7, 8, 9, 10, 11]) fake.update(id, { inactiveFlag: true });
    const before = await snapshot(account.id);
    const big = await sync(account.id);
    expect(big.run.status).toBe('held'); // 6 of 15 Active = 40%
    expect(big.run.counts).toMatchObject({ deactivated: 6 });
    const rejected = await t.app.engine.reject(big.run.id!, 'admin:bob');
    expect(rejected.run.status).toBe('rejected');
    expect(rejected.changes.every((c) => c.state === 'discarded')).toBe(true);
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('approval is refused when members changed after the run was held', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    fake.setMembers([]);
    const held = await sync(account.id);
    const m = await byExternal(account.id);
    await t.app.members.setActive(account.id, m['1']!.id, false, 'admin');
    await expect(t.app.engine.approve(held.run.id!, 'admin')).rejects.toThrow(/stale/);
  });

  it('a dry run returns the plan and writes nothing', async () => {
    fake.setMembers(cwMembers(5));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    fake.update(1, { inactiveFlag: true });
    fake.setMembers([...fake.members, cwMember(6)]);
    const runsBefore = await query(t.url, 'select count(*)::int as n from sync_run where account_id = $1', [account.id]);
    const before = await snapshot(account.id);
    const { run, changes } = await sync(account.id, true);
    expect(run).toMatchObject({ id: null, dryRun: true, status: 'succeeded' });
    expect(run.counts).toMatchObject({ added: 1, movedToInactive: 1 });
    expect(changes.map((c) => [c.action, c.externalId])).toEqual(expect.arrayContaining([['added', '6'], ['moved_to_inactive', '1']]));
    expect(await snapshot(account.id)).toEqual(before);
    expect(await query(t.url, 'select count(*)::int as n from sync_run where account_id = $1', [account.id])).toEqual(runsBefore);
  });

  it('a no-change resync writes no member rows', async () => {
    fake.setMembers(cwMembers(50));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    const before = await snapshot(account.id);
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ unchanged: 50, added: 0, updated: 0 });
    expect(await snapshot(account.id)).toEqual(before);
  });
});

describe('runs (product.md §5)', () => {
  it('a resync of the very roster the last sync applied skips loading members, and reports exactly what a full plan would', async () => {
    fake.setMembers([...cwMembers(30), cwMember(31, { inactiveFlag: true }), cwMember(32, { licenseClass: 'A' })]);
    const account = await addCwAccount(t.app, site, { seatLimit: 25 });
    await sync(account.id);
    const admin = (await t.app.members.list(account.id)).find((m) => m.active)!;
    await t.app.members.setActive(account.id, admin.id, false, 'admin'); // a member write: the stored roster is stale now
    const full = await sync(account.id);
    expect(applied(full.run.id)!.membersLoaded).toBe(31); // every member with a PSA id
    const quick = await sync(account.id);
    expect(applied(quick.run.id)!.membersLoaded).toBe(1); // only the one an admin unchecked
    expect(quick.run.counts).toEqual(full.run.counts);
    expect(quick.run.counts).toMatchObject({ fetched: 32, unchanged: 30, keptInactiveByAdmin: 1, skipped: 1, added: 0, updated: 0 });
    expect(quick.changes.map((c) => [c.action, c.memberId ?? c.externalId])).toEqual(full.changes.map((c) => [c.action, c.memberId ?? c.externalId]));
    // Any change in the PSA falls back to the full plan.
    fake.update(3, { firstName: 'Changed' });
    const changed = await sync(account.id);
    expect(changed.run.counts).toMatchObject({ updated: 1, unchanged: 29, keptInactiveByAdmin: 1 });
  });

  describe('an unchanged resync', () => {
    /** Runs `during` when the read asks for the member count, i.e. after the last page and before anything is written. */
    const beforeReadEnds = (during: () => Promise<unknown>) =>
      server.use(http.get(`${site}/*/apis/3.0/system/members/count`, async () => void (await during())));
    const lastFullRead = async (accountId: string) => (await query<{ at: Date }>(t.url, 'select last_full_read_at as at from account where id = $1', [accountId]))[0]!.at;
    /** An account whose last sync applied the current roster, with one member an admin unchecked. */
    const settled = async () => {
      fake.setMembers([...cwMembers(20), cwMember(21, { licenseClass: 'A', identifier: 'psa-sync-api' })]);
      const account = await addCwAccount(t.app, site);
      await sync(account.id);
      const unchecked = (await t.app.members.list(account.id)).find((m) => m.externalId === '4')!;
      await t.app.members.setActive(account.id, unchecked.id, false, 'admin');
      await sync(account.id);
      return { account, unchecked };
    };

    it('is finished by one statement that stores its entries and records the read, without locking in a transaction', async () => {
      const { account, unchecked } = await settled();
      const before = await snapshot(account.id);
      const readBefore = await lastFullRead(account.id);
      const result = await sync(account.id);
      expect(applied(result.run.id)).toMatchObject({ path: 'one-statement', membersLoaded: 1 });
      expect(result.run).toMatchObject({ status: 'succeeded', counts: { fetched: 21, unchanged: 19, keptInactiveByAdmin: 1, skipped: 1, added: 0, updated: 0 } });
      expect(result.changes.map((c) => [c.action, c.memberId ?? c.externalId, c.state])).toEqual([
        ['kept_inactive_by_admin', unchecked.id, 'applied'],
        ['skipped', '21', 'applied'],
      ]);
      const after = await snapshot(account.id);
      expect({ ...after, changes: before.changes }).toEqual(before); // members and version untouched
      expect(after.changes[0]!.n).toBe(before.changes[0]!.n + 2);
      expect((await lastFullRead(account.id)).getTime()).toBeGreaterThan(readBefore.getTime());
    });

    it('ends the failure streak of the account', async () => {
      const { account } = await settled();
      let down = true;
      fake.intercept((req) => (down && req.url.pathname.endsWith('/system/members/count') ? { status: 400, body: '{"code":"InvalidObject"}' } : undefined));
      expect((await sync(account.id)).run).toMatchObject({ status: 'failed', error: { kind: 'remote_error' } });
      const health = () => query(t.url, 'select consecutive_failures, blocked_reason from account where id = $1', [account.id]);
      expect((await health())[0]).toMatchObject({ consecutive_failures: 1 });
      down = false;
      const result = await sync(account.id);
      expect(result.run.status).toBe('succeeded');
      expect(applied(result.run.id)).toMatchObject({ path: 'one-statement' });
      expect(await health()).toEqual([{ consecutive_failures: 0, blocked_reason: null }]);
      expect(await query(t.url, 'select backoff_until from account where id = $1', [account.id])).toEqual([{ backoff_until: null }]);
    });

    it('falls back to locking and planning again when an admin changes a member during the read', async () => {
      const { account } = await settled();
      const other = (await t.app.members.list(account.id)).find((m) => m.externalId === '9')!;
      beforeReadEnds(() => t.app.members.setActive(account.id, other.id, false, 'admin'));
      const { run, changes } = await sync(account.id);
      expect(applied(run.id)).toMatchObject({ path: 'locked' });
      expect(run).toMatchObject({ status: 'succeeded', counts: { unchanged: 18, keptInactiveByAdmin: 2 } });
      expect(changes.filter((c) => c.action === 'kept_inactive_by_admin').map((c) => c.memberId)).toContain(other.id);
      expect((await byExternal(account.id))['9']).toMatchObject({ active: false, adminInactive: true });
    });

    it('records nothing when the run lost its claim during the read', async () => {
      const { account } = await settled();
      const readBefore = await lastFullRead(account.id);
      beforeReadEnds(() =>
        query(t.url, `update sync_run set status = 'failed', error_kind = 'interrupted', claimed_by = null where account_id = $1 and status = 'running'`, [account.id]),
      );
      const { run } = await sync(account.id);
      expect(run).toMatchObject({ status: 'failed', error: { kind: 'interrupted' } });
      expect(await query(t.url, 'select count(*)::int as n from member_change where run_id = $1', [run.id])).toEqual([{ n: 0 }]);
      expect(await lastFullRead(account.id)).toEqual(readBefore);
    });
  });

  it('stores names with tabs, line breaks, backslashes and quotes exactly (bulk COPY escaping)', async () => {
    fake.setMembers([cwMember(1, { firstName: 'Tab\tby', lastName: 'Back\\slash\nO\'Neil "Q"' }), cwMember(2, { firstName: '\\N', lastName: null as unknown as string })]);
    const account = await addCwAccount(t.app, site);
    const { run } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    const members = await byExternal(account.id);
    expect(members['1']!.name).toBe('Tab\tby Back\\slash\nO\'Neil "Q"');
    expect(members['2']!.name).toBe('\\N');
    const { history } = await t.app.members.explain(account.id, members['1']!.id);
    expect(history[0]!.changes.find((c) => c.field === 'name')!.after).toBe('Tab\tby Back\\slash\nO\'Neil "Q"');
  });

  it('counts equal the change entries of the run', async () => {
    fake.setMembers([...cwMembers(10), cwMember(99, { licenseClass: 'A' })]);
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    const m = await byExternal(account.id);
    await t.app.members.setActive(account.id, m['5']!.id, false, 'admin');
    fake.update(1, { inactiveFlag: true });
    fake.update(2, { identifier: 'x2' });
    fake.remove(3);
    fake.setMembers([...fake.members, cwMember(11)]);
    const { run } = await sync(account.id);
    const rows = await query<{ action: string; n: number }>(t.url, 'select action, count(*)::int as n from member_change where run_id = $1 group by action', [run.id]);
    const byAction = Object.fromEntries(rows.map((r) => [r.action, r.n]));
    expect(run.counts).toEqual({
      fetched: 11,
      added: byAction.added ?? 0,
      updated: byAction.updated ?? 0,
      deactivated: 2,
      movedToInactive: byAction.moved_to_inactive ?? 0,
      reactivated: byAction.reactivated ?? 0,
      unchanged: 6,
      keptInactiveByAdmin: byAction.kept_inactive_by_admin ?? 0,
      skipped: byAction.skipped ?? 0,
      flaggedDisabled: byAction.flagged ?? 0,
      outOfScope: 0,
    });
    expect(byAction).toEqual({ added: 1, updated: 1, moved_to_inactive: 2, kept_inactive_by_admin: 1, skipped: 1 });
  });

  it('a second sync while one runs joins it: the database allows one active run per account', async () => {
    fake.setMembers(cwMembers(30));
    const account = await addCwAccount(t.app, site);
    const results = await Promise.all([sync(account.id), sync(account.id), sync(account.id)]);
    const ids = new Set(results.map((r) => r.run.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.joined)).toHaveLength(2);
    expect(await query(t.url, 'select count(*)::int as n from sync_run where account_id = $1', [account.id])).toEqual([{ n: 1 }]);
    await expect(
      query(t.url, `insert into sync_run (id, account_id, trigger, status, requested_by, created_at) values ($1, $2, 'manual', 'queued', 't', now()), ($3, $2, 'manual', 'queued', 't', now())`, [randomUUID(), account.id, randomUUID()]),
    ).rejects.toThrow(/sync_run_one_active_uq/);
  });

  it('a run whose process died is failed as interrupted once its lease expires, and the account syncs again', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    const stale = randomUUID();
    await query(t.url, `insert into sync_run (id, account_id, trigger, status, requested_by, created_at, started_at, claimed_by, lease_expires_at)
                        values ($1, $2, 'schedule', 'running', 'scheduler', now(), now(), 'dead-host:1', now() - interval '1 minute')`, [stale, account.id]);
    const { run } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    const old = await t.app.runs.show(stale);
    expect(old.run).toMatchObject({ status: 'failed', error: { kind: 'interrupted' } });
  });
});
