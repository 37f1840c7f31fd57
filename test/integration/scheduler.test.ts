import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { FAKE_CREDENTIALS } from '../fakes/connectwise-fake.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let fake: ConnectWiseFake;
let cw: Awaited<ReturnType<typeof serveFake>>;
beforeAll(async () => {
  fake = new ConnectWiseFake(cwMembers(30));
  cw = await serveFake(fake);
});
afterAll(async () => {
  await cw.close();
});

async function withApp(start: string, fn: (t: TestApp, clock: ManualClock, scheduler: Scheduler) => Promise<void>) {
  const clock = new ManualClock(start);
  const t = await createTestApp({ clock });
  const scheduler = new Scheduler({ orm: t.app.orm, engine: t.app.engine, clock, logger: t.app.logger, maxConcurrent: 4 });
  try {
    await fn(t, clock, scheduler);
  } finally {
    await scheduler.stop(1_000);
    await t.close();
  }
}

const addAccount = (t: TestApp, name: string, extra: { syncAt?: string; timezone?: string; site?: string; privateKey?: string } = {}) =>
  t.app.accounts.add({
    name,
    integration: 'connectwise',
    settings: { site: extra.site ?? cw.url, ...FAKE_CREDENTIALS, ...(extra.privateKey ? { privateKey: extra.privateKey } : {}), codebase: 'v2025_1/' },
    syncAt: extra.syncAt,
    timezone: extra.timezone,
  });

const runsOf = (t: TestApp, accountId: string) =>
  query(t.url, 'select trigger, status, error_kind from sync_run where account_id = $1 order by created_at', [accountId]);

async function tickUntilIdle(scheduler: Scheduler): Promise<number> {
  const started = await scheduler.tick();
  await scheduler.idle();
  return started;
}

describe('schedule (product.md §6)', () => {
  it('a daemon under test listens on a free port, so a daemon already on 8080 does not break the suite', async () => {
    const blocker = createServer();
    // Take 8080 as a developer's running daemon would (if something already has it, so much the better).
    await new Promise<void>((resolve) => blocker.once('error', () => resolve()).listen(8080, '127.0.0.1', () => resolve()));
    try {
      await withApp('2026-11-20T00:30:00Z', async (t) => {
        const daemon = await startDaemon(t.app, { tickCron: '0 0 1 1 *', shutdownGraceMs: 1_000 });
        try {
          expect(new URL(daemon.url!).port).not.toBe('8080');
          expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
        } finally {
          await daemon.stop();
        }
      });
    } finally {
      blocker.close();
    }
  });

  it('psa-sync start serves /healthz and syncs an account at its own time in its time zone', async () => {
    await withApp('2026-11-20T00:30:00Z', async (t, clock) => {
      const account = await addAccount(t, 'Paris MSP', { syncAt: '02:00', timezone: 'Europe/Paris' });
      const daemon = await startDaemon(t.app, { tickCron: '0 0 1 1 *', shutdownGraceMs: 1_000 });
      try {
        const health = await daemon.server!.inject({ method: 'GET', url: '/healthz' });
        expect(health.statusCode).toBe(200);
        expect((await daemon.server!.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });

        clock.set('2026-11-20T00:59:59Z'); // 01:59:59 in Paris
        await tickUntilIdle(daemon.scheduler);
        expect(await runsOf(t, account.id)).toEqual([]);

        clock.set('2026-11-20T01:00:00Z'); // 02:00 in Paris
        expect(await tickUntilIdle(daemon.scheduler)).toBe(1);
        expect(await runsOf(t, account.id)).toEqual([{ trigger: 'schedule', status: 'succeeded', error_kind: null }]);
        expect(await t.app.members.list(account.id)).toHaveLength(30);

        clock.set('2026-11-20T18:00:00Z');
        await tickUntilIdle(daemon.scheduler);
        expect(await runsOf(t, account.id)).toHaveLength(1);
        const [listed] = await t.app.accounts.list();
        expect(listed!.schedule).toMatchObject({ state: 'ok', nextAttemptAt: '2026-11-21T01:00:00.000Z' });
      } finally {
        await daemon.stop();
      }
    });
  });

  it('a daemon down for three days syncs each account once when it comes back', async () => {
    await withApp('2026-11-20T00:00:00Z', async (t, clock, scheduler) => {
      const accounts = await Promise.all(['A', 'B', 'C', 'D', 'E', 'F'].map((n, i) => addAccount(t, `Down ${n}`, { syncAt: `0${i + 1}:00` })));
      clock.advance(3 * DAY + 12 * HOUR);
      await tickUntilIdle(scheduler);
      await tickUntilIdle(scheduler);
      for (const a of accounts) expect(await runsOf(t, a.id)).toEqual([{ trigger: 'schedule', status: 'succeeded', error_kind: null }]);
      // The next day each syncs once more, at its own time.
      clock.advance(DAY);
      await tickUntilIdle(scheduler);
      await tickUntilIdle(scheduler);
      for (const a of accounts) expect(await runsOf(t, a.id)).toHaveLength(2);
    });
  });

  it('never runs more than maxConcurrent syncs at once on one replica', async () => {
    await withApp('2026-11-20T00:00:00Z', async (t, clock) => {
      const scheduler = new Scheduler({ orm: t.app.orm, engine: t.app.engine, clock, logger: t.app.logger, maxConcurrent: 2 });
      await Promise.all(['1', '2', '3', '4', '5'].map((n) => addAccount(t, `Bounded ${n}`, { syncAt: '01:00' })));
      clock.advance(2 * HOUR);
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, scheduler.running)), 1);
      expect(await scheduler.tick()).toBe(2);
      await scheduler.idle(); // finished runs free their slots and claim the rest at once
      clearInterval(sampler);
      expect(peak).toBeLessThanOrEqual(2);
      expect(peak).toBeGreaterThan(0);
      const done = await query(t.url, `select count(*)::int as n from sync_run where status = 'succeeded'`);
      expect(done[0]!.n).toBe(5);
      await scheduler.stop(1_000);
    });
  });
});

describe('back-off (product.md §4)', () => {
  it('backs off 1 h, then 6 h after consecutive failures, and a success resets it', async () => {
    const broken = await serveFake({ handle: () => ({ status: 503, body: 'down for maintenance' }) });
    try {
      await withApp('2026-11-20T00:00:00Z', async (t, clock, scheduler) => {
        const account = await addAccount(t, 'Flaky', { syncAt: '01:00', site: broken.url });
        clock.set('2026-11-20T01:00:00Z');
        await tickUntilIdle(scheduler);
        expect(await runsOf(t, account.id)).toEqual([{ trigger: 'schedule', status: 'failed', error_kind: 'remote_error' }]);
        let [view] = await t.app.accounts.list();
        expect(view!.schedule).toMatchObject({ state: 'backing_off', consecutiveFailures: 1, nextAttemptAt: '2026-11-20T02:00:00.000Z' });

        clock.set('2026-11-20T01:59:00Z');
        await tickUntilIdle(scheduler);
        expect(await runsOf(t, account.id)).toHaveLength(1);

        clock.set('2026-11-20T02:00:00Z');
        await tickUntilIdle(scheduler);
        expect((await runsOf(t, account.id)).map((r) => r.trigger)).toEqual(['schedule', 'retry']);
        [view] = await t.app.accounts.list();
        expect(view!.schedule).toMatchObject({ state: 'backing_off', consecutiveFailures: 2, nextAttemptAt: '2026-11-20T08:00:00.000Z' });

        await t.app.accounts.update(account.id, { settings: { site: cw.url, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } });
        clock.set('2026-11-20T08:00:00Z');
        await tickUntilIdle(scheduler);
        const runs = await runsOf(t, account.id);
        expect(runs.at(-1)).toEqual({ trigger: 'schedule', status: 'succeeded', error_kind: null });
        [view] = await t.app.accounts.list();
        expect(view!.schedule).toMatchObject({ state: 'ok', consecutiveFailures: 0, nextAttemptAt: '2026-11-21T01:00:00.000Z' });
      });
    } finally {
      await broken.close();
    }
  });

  it('an auth failure waits for new settings or a manual sync, not for a timer', async () => {
    await withApp('2026-11-20T00:00:00Z', async (t, clock, scheduler) => {
      const account = await addAccount(t, 'Bad keys', { syncAt: '01:00', privateKey: 'wrong-key' });
      clock.set('2026-11-20T01:00:00Z');
      await tickUntilIdle(scheduler);
      expect(await runsOf(t, account.id)).toEqual([{ trigger: 'schedule', status: 'failed', error_kind: 'auth' }]);
      let [view] = await t.app.accounts.list();
      expect(view!.schedule).toMatchObject({ state: 'waiting_for_configuration', nextAttemptAt: null });
      expect(view!.schedule.blockedReason).toContain('credentials');
      expect(JSON.stringify(view)).not.toContain('wrong-key');

      clock.advance(3 * DAY);
      await tickUntilIdle(scheduler);
      expect(await runsOf(t, account.id)).toHaveLength(1);
      // Three days without a complete read: the account is flagged stale, in the list and in /metrics.
      [view] = await t.app.accounts.list();
      expect(view!.schedule).toMatchObject({ stale: true, lastCompleteSyncAt: null });
      const server = await buildServer(t.app);
      const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
      await server.close();
      expect(metrics).toContain('psa_sync_accounts_stale 1');
      expect(metrics).toContain('psa_sync_accounts{state="waiting_for_configuration"} 1');

      await t.app.accounts.update(account.id, { settings: { site: cw.url, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } });
      [view] = await t.app.accounts.list();
      expect(view!.schedule.state).toBe('ok');
      await tickUntilIdle(scheduler);
      expect((await runsOf(t, account.id)).at(-1)).toEqual({ trigger: 'schedule', status: 'succeeded', error_kind: null });
      [view] = await t.app.accounts.list();
      expect(view!.schedule.stale).toBe(false);
    });
  });
});
