import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SyncErrorKind } from '../core/errors.js';
import { enqueueRun, expireRuns, recordFailure as recordAccountFailure } from '../db/schedule-repository.js';
import type { RunView } from '../db/views.js';
import { raiseOncePerStreak } from '../notify/events.js';
import type { EngineDeps } from './engine-deps.js';

/** An interrupted run is retried at once this many times in a row; after that the back-off applies. */
const INTERRUPTED_RETRIES = 2;

/** Counts a failed run in its account's streak and back-off, in the caller's transaction (the one that failed the run). */
export async function recordFailure(deps: EngineDeps, tem: EntityManager, run: RunView): Promise<void> {
  const now = deps.clock.now();
  const error = run.error ?? { kind: 'internal', message: 'unknown failure' };
  const health = await recordAccountFailure(tem, run.accountId, { kind: error.kind as SyncErrorKind, message: error.message }, now);
  // One notification per failure streak (a restart's interrupted run retries quietly first).
  if (health && !(error.kind === 'interrupted' && health.consecutiveFailures <= INTERRUPTED_RETRIES)) {
    const payload = { runId: run.id, error, consecutiveFailures: health.consecutiveFailures };
    await raiseOncePerStreak(tem, { accountId: run.accountId, event: 'run.failed', runId: run.id!, payload }, now);
    if (health.blockedReason) await raiseOncePerStreak(tem, { accountId: run.accountId, event: 'account.auth_blocked', runId: run.id!, payload: { ...payload, blockedReason: health.blockedReason } }, now);
  }
  if (error.kind === 'interrupted' && health && health.consecutiveFailures <= INTERRUPTED_RETRIES) {
    const { run: retry, created } = await enqueueRun(tem, { id: randomUUID(), accountId: run.accountId, trigger: 'retry', requestedBy: 'scheduler', now });
    if (created) deps.logger.info({ runId: retry.id, accountId: run.accountId, after: run.id }, 'queued a retry of an interrupted run');
  }
}

/**
 * Fails runs whose claimant died (lease expired) and gives their accounts another go: an
 * interrupted run is retried at once a couple of times, then backs off like any failure.
 */
export async function recoverExpired(deps: EngineDeps, accountId?: string): Promise<RunView[]> {
  const expired = await deps.orm.em.fork().transactional(async (tem) => {
    const runs = await expireRuns(tem, deps.clock.now(), accountId);
    for (const run of runs) await recordFailure(deps, tem, run);
    return runs;
  });
  for (const run of expired) {
    deps.logger.warn({ runId: run.id, accountId: run.accountId }, 'run lease expired; marked interrupted');
    deps.onRunFinished?.(run);
  }
  return expired;
}
