import { randomUUID } from 'node:crypto';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

const server = setupServer();
const clock = new OffsetClock();
let t: TestApp;
let fake: ConnectWiseFake;
let site: string;
let siteNo = 0;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'bypass' });
  t = await createTestApp({ clock, leaseMs: 600, joinTimeoutMs: 1_500 });
});
afterAll(async () => {
  server.close();
  await t.close();
});
beforeEach(() => {
  clock.offsetMs = 0;
  site = `https://claims${++siteNo}.myconnectwise.test`;
  fake = new ConnectWiseFake();
  server.use(...fakeHandlers(site, fake));
});
afterEach(() => server.resetHandlers());

const sync = (accountId: string) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
const runRow = async (id: string) => (await query(t.url, 'select status, error_kind, claimed_by from sync_run where id = $1', [id]))[0]!;
const streak = async (accountId: string) => (await query(t.url, 'select consecutive_failures from account where id = $1', [accountId]))[0]!.consecutive_failures as number;

/** A run "running" under another process, with a lease of `leaseSql` from the database's now(). */
async function foreignRun(accountId: string, leaseSql: string): Promise<string> {
  const id = randomUUID();
  await query(
    t.url,
    `insert into sync_run (id, account_id, trigger, status, requested_by, created_at, started_at, claimed_by, lease_expires_at)
     values ($1, $2, 'schedule', 'running', 'scheduler', now(), now(), 'other-host:1', now() + interval '${leaseSql}')`,
    [id, accountId],
  );
  return id;
}

describe('joining a run whose process died (issue 9, item 6)', () => {
  it('a caller that joined a live-looking run recovers it when its lease lapses, then runs the sync itself', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    const dead = await foreignRun(account.id, '1 second'); // not yet lapsed when the caller joins
    const started = Date.now();
    const { run, joined } = await sync(account.id);
    expect(joined).toBe(false);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ added: 3 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await runRow(dead)).toMatchObject({ status: 'failed', error_kind: 'interrupted' });
  });

  it('a joined run that never finishes (its lease kept alive) is an error, never a result still running', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    const stuck = await foreignRun(account.id, '1 hour');
    await expect(sync(account.id)).rejects.toThrow(new RegExp(`run ${stuck}.*still running after`));
    expect(await runRow(stuck)).toMatchObject({ status: 'running' });
  });

  it('lease expiry is judged by the database clock, not a replica whose clock runs ahead', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    const live = await foreignRun(account.id, '1 minute');
    clock.offsetMs = 3600_000;
    expect(await t.app.engine.recoverExpired(account.id)).toEqual([]);
    expect(await runRow(live)).toMatchObject({ status: 'running' });
    clock.offsetMs = 0;
    await query(t.url, `update sync_run set lease_expires_at = now() - interval '1 second' where id = $1`, [live]);
    expect((await t.app.engine.recoverExpired(account.id)).map((r) => r.id)).toEqual([live]);
  });
});

describe('failure bookkeeping (issue 9, item 9)', () => {
  it('ending a failed run and counting it in the failure streak happen in one transaction', async () => {
    fake.setMembers(cwMembers(3));
    const account = await addCwAccount(t.app, site, { credentials: { privateKey: 'wrong' } });
    // Make the streak update fail for this account: the run must not be recorded failed without it.
    await query(
      t.url,
      `create or replace function refuse_streak() returns trigger language plpgsql as $$
       begin
         if new.id = '${account.id}' and new.consecutive_failures <> old.consecutive_failures then raise exception 'streak refused'; end if;
         return new;
       end $$`,
    );
    await query(t.url, 'create trigger refuse_streak before update on account for each row execute function refuse_streak()');
    try {
      await expect(sync(account.id)).rejects.toThrow(/streak refused/);
      const [run] = await query(t.url, 'select status from sync_run where account_id = $1', [account.id]);
      expect(run!.status).toBe('running'); // rolled back together: the lease will lapse and the run be recovered
      expect(await streak(account.id)).toBe(0);
    } finally {
      await query(t.url, 'drop trigger refuse_streak on account');
    }
    await query(t.url, `update sync_run set lease_expires_at = now() - interval '1 second' where account_id = $1`, [account.id]);
    const [recovered] = await t.app.engine.recoverExpired(account.id);
    expect(recovered).toMatchObject({ status: 'failed', error: { kind: 'interrupted' } });
    expect(await streak(account.id)).toBe(1);
  });

  it('a run that finds its claim lost at a lease renewal stops reading the PSA at once and applies nothing', async () => {
    const slow = new ConnectWiseFake(cwMembers(6000)); // six pages, each answered slowly
    const served = await serveFake(slow, { delayMs: (req) => (req.url.pathname.endsWith('/system/members') ? 400 : 0) });
    try {
      const account = await addCwAccount(t.app, served.url);
      const pageCalls = () => slow.requests.filter((r) => r.path.endsWith('/system/members')).length;
      const running = sync(account.id);
      while (pageCalls() === 0) await new Promise((r) => setTimeout(r, 20));
      // Another process took the account over (as after a lease lapse during a long pause).
      await query(t.url, `update sync_run set claimed_by = 'thief:1' where account_id = $1 and status = 'running'`, [account.id]);
      const { run } = await running;
      expect(pageCalls()).toBeLessThanOrEqual(2);
      expect(run.status).toBe('running'); // still the thief's run; this process recorded nothing
      expect(await query(t.url, 'select count(*)::int as n from member where account_id = $1', [account.id])).toEqual([{ n: 0 }]);
    } finally {
      await served.close();
    }
  });
});

describe('throttling ends a run (issue 9, item 1)', () => {
  it('a PSA answering 429 without Retry-After for good fails the run as rate_limited within its budget, changing nothing', async () => {
    const throttled = await createTestApp({ httpPolicy: { rateLimitBackoffMs: 40, rateLimitBackoffMaxMs: 160, rateLimitBudgetMs: 1_000 } });
    try {
      fake.setMembers(cwMembers(5));
      const account = await addCwAccount(throttled.app, site);
      await throttled.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
      const before = await query(throttled.url, 'select id, active, list, updated_at from member where account_id = $1 order by id', [account.id]);
      // From now on every members request (pages and count alike) is throttled, with no Retry-After.
      fake.intercept((req) => (req.url.pathname.includes('/system/members') ? { status: 429, body: '{"message":"Too many requests"}' } : undefined));
      fake.setMembers([]);
      const started = Date.now();
      const { run } = await throttled.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
      expect(run).toMatchObject({ status: 'failed', error: { kind: 'rate_limited' } });
      expect(Date.now() - started).toBeLessThan(1_000 + 1_500);
      expect(await query(throttled.url, 'select id, active, list, updated_at from member where account_id = $1 order by id', [account.id])).toEqual(before);
    } finally {
      await throttled.close();
    }
  });
});
