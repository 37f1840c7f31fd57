import type { EntityManager } from '@mikro-orm/postgresql';
import { healthAfter, type AccountHealth } from '../schedule/backoff.js';
import type { SyncErrorKind } from '../core/errors.js';
import { exec } from './sql.js';
import { findActiveRun, insertActiveRun, LEASE_UNTIL, toRunView } from './run-repository.js';
import type { AccountRecord } from './account-repository.js';
import type { RunTrigger, RunView } from './views.js';

type Row = Record<string, any>;

/**
 * Claims up to `limit` accounts whose daily sync (or back-off retry) is due, in one transaction:
 * `for update skip locked` lets replicas claim disjoint accounts, the partial unique index on
 * active runs refuses a second run, and the account's next due time moves past `now` so missed
 * days collapse into this one run.
 */
export async function claimDueAccounts(
  tem: EntityManager,
  opts: { now: Date; limit: number; claimant: string; leaseMs: number; newId: () => string; nextSyncAt: (a: { id: string; syncAt: string | null; timezone: string }, now: Date) => Date },
): Promise<RunView[]> {
  const { now, limit, claimant, leaseMs } = opts;
  if (limit <= 0) return [];
  const due: Row[] = await exec(
    tem,
    `select a.id, a.sync_at, a.timezone, a.consecutive_failures from account a
      where a.next_sync_at <= ? and a.blocked_reason is null and (a.backoff_until is null or a.backoff_until <= ?)
        and not exists (select 1 from sync_run r where r.account_id = a.id and r.status in ('queued', 'running'))
      order by a.next_sync_at
      limit ? for update of a skip locked`,
    [now, now, limit],
  );
  const runs: RunView[] = [];
  for (const a of due) {
    const next = opts.nextSyncAt({ id: a.id, syncAt: a.sync_at, timezone: a.timezone }, now);
    await exec(tem, 'update account set next_sync_at = ? where id = ?', [next, a.id]);
    const trigger: RunTrigger = a.consecutive_failures > 0 ? 'retry' : 'schedule';
    const run = await insertActiveRun(tem, { id: opts.newId(), accountId: a.id, trigger, requestedBy: 'scheduler', now, status: 'running', claimant, leaseMs });
    if (run) runs.push(run);
  }
  return runs;
}

/** Claims up to `limit` queued runs (Sync Members pressed in the API, retries), oldest first. */
export async function claimQueuedRuns(em: EntityManager, opts: { now: Date; limit: number; claimant: string; leaseMs: number }): Promise<RunView[]> {
  if (opts.limit <= 0) return [];
  const rows: Row[] = await exec(
    em,
    `update sync_run set status = 'running', started_at = ?, claimed_by = ?, lease_expires_at = ${LEASE_UNTIL}
      where id in (select id from sync_run where status = 'queued' order by created_at limit ? for update skip locked)
      returning *`,
    [opts.now, opts.claimant, opts.leaseMs, opts.limit],
  );
  return rows.map(toRunView);
}

/**
 * Queues a run for any replica to pick up, or returns the account's run already queued or
 * running (Sync Members pressed twice joins the first press).
 */
export async function enqueueRun(
  em: EntityManager,
  req: { id: string; accountId: string; trigger: RunTrigger; requestedBy: string; now: Date },
): Promise<{ run: RunView; created: boolean }> {
  for (;;) {
    const inserted = await insertActiveRun(em, { ...req, status: 'queued' });
    if (inserted) return { run: inserted, created: true };
    const active = await findActiveRun(em, req.accountId);
    if (active) return { run: active, created: false };
    // The active run finished between the two statements: try again.
  }
}

/**
 * Records a failed run in the account's failure streak and back-off (product.md §4): the next
 * attempt comes forward to the end of its back-off; a blocked account waits for new settings or a
 * manual sync.
 */
export async function recordFailure(
  em: EntityManager,
  accountId: string,
  failure: { kind: SyncErrorKind; message: string },
  now: Date,
): Promise<AccountHealth | undefined> {
  const [row]: Row[] = await exec(em, 'select consecutive_failures from account where id = ? for update', [accountId]);
  if (!row) return undefined;
  const health = healthAfter(row.consecutive_failures, { ok: false, ...failure }, now);
  await exec(
    em,
    `update account set consecutive_failures = ?, backoff_until = ?, blocked_reason = ?,
            next_sync_at = case when ?::timestamptz is null then next_sync_at else least(next_sync_at, ?::timestamptz) end
      where id = ?`,
    [health.consecutiveFailures, health.backoffUntil, health.blockedReason, health.backoffUntil, health.backoffUntil, accountId],
  );
  return health;
}

/**
 * Ends the failure streak of an account whose row the caller has locked (`for update`): a
 * successful run after failures clears the back-off. The usual case, no streak, writes nothing.
 */
export async function clearFailureStreak(tem: EntityManager, locked: Pick<AccountRecord, 'id' | 'consecutiveFailures' | 'backoffUntil' | 'blockedReason'>): Promise<void> {
  if (locked.consecutiveFailures === 0 && locked.backoffUntil === null && locked.blockedReason === null) return;
  await exec(tem, 'update account set consecutive_failures = 0, backoff_until = null, blocked_reason = null where id = ?', [locked.id]);
}

/** Marks runs whose claimant stopped renewing its lease (by the database's clock) as failed (`interrupted`); returns them. */
export async function expireRuns(em: EntityManager, now: Date, accountId?: string): Promise<RunView[]> {
  const rows: Row[] = await exec(
    em,
    `update sync_run set status = 'failed', finished_at = ?, error_kind = 'interrupted',
            error_message = 'the process running this sync stopped before it finished (its lease expired); nothing was applied',
            claimed_by = null, lease_expires_at = null
      where status = 'running' and lease_expires_at < now() ${accountId ? 'and account_id = ?' : ''}
      returning *`,
    accountId ? [now, accountId] : [now],
  );
  return rows.map(toRunView);
}
