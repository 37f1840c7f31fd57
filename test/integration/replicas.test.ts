import { afterEach, describe, expect, it } from 'vitest';
import { ConnectWiseFake, cwMembers, serveFake, type FakeRequest } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { startReplica, waitFor, type Replica } from '../helpers/replica.js';

const isMembersPage = (req: FakeRequest) => req.url.pathname.endsWith('/system/members');

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  cleanup = [];
});

async function setup(members: number, delayMs: (req: FakeRequest) => number) {
  const t = await createTestApp();
  const fake = new ConnectWiseFake(cwMembers(members));
  const cw = await serveFake(fake, { delayMs });
  cleanup.push(() => t.close(), () => cw.close());
  return { t, cw };
}

function track(r: Replica): Replica {
  cleanup.unshift(async () => {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGKILL');
      await r.exited;
    }
  });
  return r;
}

const makeDue = (t: TestApp, ids?: string[]) =>
  query(t.url, `update account set next_sync_at = now() - interval '1 minute' ${ids ? 'where id = any($1::uuid[])' : ''}`, ids ? [ids] : []);
const runs = (t: TestApp, accountId?: string) =>
  query(t.url, `select id, account_id, trigger, status, error_kind, started_at, finished_at from sync_run ${accountId ? 'where account_id = $1' : ''} order by created_at`, accountId ? [accountId] : []);
const memberCount = async (t: TestApp, accountId: string) => (await query(t.url, 'select count(*)::int as n from member where account_id = $1', [accountId]))[0]!.n as number;

describe('many replicas on one database (product.md §6)', () => {
  it('two daemon processes sync every due account exactly once, never two runs of one account at a time', async () => {
    // Slow enough, and few enough runs per replica, that one replica cannot drain the queue between the other's ticks on a busy machine.
    const { t, cw } = await setup(25, (req) => (isMembersPage(req) ? 400 : 0));
    const accounts = [];
    for (let i = 0; i < 16; i++) accounts.push(await addCwAccount(t.app, cw.url));
    // A lease long enough that a busy machine (the suite runs files in parallel) cannot make a live run look dead.
    const a = track(await startReplica('replica-a', t.url, { PSA_SYNC_LEASE_MS: '10000', PSA_SYNC_MAX_CONCURRENT: '2' }));
    const b = track(await startReplica('replica-b', t.url, { PSA_SYNC_LEASE_MS: '10000', PSA_SYNC_MAX_CONCURRENT: '2' }));
    await makeDue(t);

    await waitFor('every account synced', async () => (await runs(t)).filter((r) => r.status === 'succeeded').length >= accounts.length, 60_000);
    await new Promise((r) => setTimeout(r, 2_500)); // more ticks: nothing more may start today
    const all = await runs(t);
    expect(all).toHaveLength(accounts.length);
    for (const account of accounts) {
      const own = all.filter((r) => r.account_id === account.id);
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({ trigger: 'schedule', status: 'succeeded' });
      expect(await memberCount(t, account.id)).toBe(25);
    }
    const claimedBy = (r: Replica) => r.logs().filter((l) => l.msg === 'claimed run').length;
    expect(claimedBy(a) + claimedBy(b)).toBe(accounts.length);
    expect(claimedBy(a)).toBeGreaterThan(0);
    expect(claimedBy(b)).toBeGreaterThan(0);
  }, 90_000);

  it('a replica killed with SIGKILL mid-sync: the run is marked interrupted after its lease, nothing half-applied, and the account syncs again', async () => {
    const { t, cw } = await setup(2500, (req) => (isMembersPage(req) ? 800 : 0));
    const account = await addCwAccount(t.app, cw.url);
    const a = track(await startReplica('doomed', t.url));
    await makeDue(t, [account.id]);
    await waitFor('the run to start', async () => (await runs(t, account.id)).some((r) => r.status === 'running'));
    await new Promise((r) => setTimeout(r, 1_000)); // mid-read: page 2 of 3
    a.child.kill('SIGKILL');
    await a.exited;

    track(await startReplica('survivor', t.url));
    const interrupted = await waitFor('the dead run to be marked interrupted', async () => (await runs(t, account.id)).find((r) => r.status === 'failed'));
    expect(interrupted.error_kind).toBe('interrupted');
    expect(await memberCount(t, account.id)).toBe(0);

    const retried = await waitFor('the retry to succeed', async () => (await runs(t, account.id)).find((r) => r.status === 'succeeded'), 30_000);
    expect(retried.trigger).toBe('retry');
    expect(await memberCount(t, account.id)).toBe(2500);
    const active = await query(t.url, `select count(*)::int as n from sync_run where status in ('queued', 'running')`);
    expect(active[0]!.n).toBe(0);
  }, 90_000);

  it('SIGTERM during a run lets it finish within the grace period, then exits 0', async () => {
    const { t, cw } = await setup(30, (req) => (isMembersPage(req) ? 1_000 : 0));
    const account = await addCwAccount(t.app, cw.url);
    const r = track(await startReplica('graceful', t.url, { PSA_SYNC_SHUTDOWN_GRACE_MS: '20000' }));
    await makeDue(t, [account.id]);
    await waitFor('the run to start', async () => (await runs(t, account.id)).some((x) => x.status === 'running'));
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(await runs(t, account.id)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(await memberCount(t, account.id)).toBe(30);
  }, 60_000);

  it('SIGTERM past the grace period cancels the run cleanly: nothing applied, retry queued, exit 0', async () => {
    const { t, cw } = await setup(2500, (req) => (isMembersPage(req) ? 1_500 : 0));
    const account = await addCwAccount(t.app, cw.url);
    const r = track(await startReplica('impatient', t.url, { PSA_SYNC_SHUTDOWN_GRACE_MS: '300' }));
    await makeDue(t, [account.id]);
    await waitFor('the run to start', async () => (await runs(t, account.id)).some((x) => x.status === 'running'));
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    const after = await runs(t, account.id);
    expect(after.map((x) => [x.trigger, x.status, x.error_kind])).toEqual([
      ['schedule', 'failed', 'interrupted'],
      ['retry', 'queued', null],
    ]);
    expect(await memberCount(t, account.id)).toBe(0);
  }, 60_000);
});
