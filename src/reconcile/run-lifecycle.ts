import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InputError, NotFoundError, SyncError, toSyncError } from '../core/errors.js';
import { newErrorId } from '../core/error-id.js';
import { getAccount, type AccountRecord } from '../db/account-repository.js';
import { listRunChanges } from '../db/change-repository.js';
import { finishRun, getRun, getRunLease, renewLease, startOrJoinRun } from '../db/run-repository.js';
import { enqueueRun } from '../db/schedule-repository.js';
import type { RunTrigger, RunView } from '../db/views.js';
import type { EngineDeps, SyncRequest, SyncResult } from './engine-deps.js';
import { recordFailure, recoverExpired } from './run-failure.js';
import { readPlanApply } from './sync-run.js';

/** The account, if it exists and has a PSA roster to sync. */
export function syncable(deps: EngineDeps, account: AccountRecord | undefined, accountId: string): AccountRecord {
  if (!account) throw new NotFoundError(`account ${accountId} not found`);
  if (deps.registry.get(account.integration).rosterPolicy === 'none') {
    throw new InputError(`account ${accountId} is a snippet account: it has no PSA to sync; its members come from \`psa-sync members import\` and survey activity`);
  }
  return account;
}

/** A directory PSA's first sync is its setup import (product.md §2 HaloPSA rule 1). */
function triggerFor(deps: EngineDeps, account: AccountRecord, requested: RunTrigger): RunTrigger {
  const setup = deps.registry.get(account.integration).rosterPolicy === 'directory' && account.lastFullReadAt === null;
  return setup && requested === 'manual' ? 'setup' : requested;
}

/** Claims the account and runs, or joins the run already under way (a dead claimant's run is recovered first). */
export async function claimOrJoin(deps: EngineDeps, em: EntityManager, account: AccountRecord, req: SyncRequest): Promise<SyncResult> {
  const { clock, claimant, leaseMs } = deps;
  const claim = () =>
    startOrJoinRun(em, {
      id: randomUUID(),
      accountId: account.id,
      trigger: triggerFor(deps, account, req.trigger),
      requestedBy: req.requestedBy,
      claimant,
      now: clock.now(),
      leaseMs,
    });
  for (;;) {
    const { run, started } = await claim();
    if (started) return executeClaimed(deps, account.id, run.id!, { signal: req.signal, withChanges: req.withChanges, account });
    const joined = await waitFor(deps, run.id!);
    if (joined) return { ...joined, joined: true };
    // The run we joined belongs to a process that died (its lease lapsed): fail it, then claim afresh.
    await recoverExpired(deps, account.id);
  }
}

/** Executes a run this process has claimed (status `running`, `claimed_by` = this claimant). */
export async function executeClaimed(deps: EngineDeps, accountId: string, runId: string, opts: { signal?: AbortSignal; withChanges?: boolean; account?: AccountRecord } = {}): Promise<SyncResult> {
  const { withChanges = true } = opts;
  const { clock, claimant, leaseMs, orm } = deps;
  const log = deps.logger.child({ runId, accountId });
  const em = orm.em.fork();
  // A run stops at once when its claim is lost (its lease lapsed and another process took the
  // account over): two readers must never hammer the PSA for one account.
  const claimLost = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, claimLost.signal]) : claimLost.signal;
  const heartbeat = setInterval(() => {
    renewLease(orm.em.fork(), runId, claimant, leaseMs).then(
      (held) => {
        if (held || claimLost.signal.aborted) return;
        log.warn('lost the claim on this run (lease lapsed); stopping it');
        claimLost.abort(new SyncError('interrupted', 'this process lost its claim on the run (its lease lapsed) and stopped; nothing was applied'));
      },
      (err: unknown) => log.warn({ err }, 'could not renew run lease'),
    );
  }, Math.max(50, Math.floor(leaseMs / 3)));
  heartbeat.unref();
  try {
    const account = opts.account ?? (await getAccount(em, accountId));
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    const run = await readPlanApply(deps, em, account, runId, signal, log);
    deps.onRunFinished?.(run);
    return { run, changes: withChanges ? await listRunChanges(em, runId) : [], joined: false };
  } catch (err) {
    const e = toSyncError(signal.aborted && signal.reason instanceof SyncError ? signal.reason : err, newErrorId);
    log.error({ kind: e.kind, error: e.message, ...(e.errorId ? { errorId: e.errorId, err: e.cause } : {}) }, 'sync failed; nothing was changed');
    // Ending the run and counting it in the account's failure streak are one transaction.
    const failed = await orm.em.fork().transactional(async (tem) => {
      const run = await finishRun(tem, runId, claimant, { status: 'failed', counts: null, errorKind: e.kind, errorMessage: e.message }, clock.now());
      if (run) await recordFailure(deps, tem, run);
      return run;
    });
    if (failed) deps.onRunFinished?.(failed);
    const run = failed ?? (await getRun(em, runId));
    if (!run) throw e;
    return { run, changes: [], joined: false };
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * Sync Members for the daemon and the API: queues a run that any replica picks up, or returns
 * the run already queued or running for the account.
 */
export async function queueRun(deps: EngineDeps, em: EntityManager, account: AccountRecord, trigger: RunTrigger, requestedBy: string): Promise<{ run: RunView; created: boolean }> {
  await recoverExpired(deps, account.id);
  return enqueueRun(em, { id: randomUUID(), accountId: account.id, trigger: triggerFor(deps, account, trigger), requestedBy, now: deps.clock.now() });
}

/**
 * Waits for a run another process is running. Undefined as soon as its lease lapses (that
 * process died: the caller recovers the run and claims the account); an error when it neither
 * finishes nor lapses in time, since a run still `running` is no outcome.
 */
async function waitFor(deps: EngineDeps, runId: string): Promise<Omit<SyncResult, 'joined'> | undefined> {
  const em = deps.orm.em.fork();
  const timeoutMs = deps.joinTimeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await getRunLease(em, runId);
    if (!found) throw new NotFoundError(`run ${runId} not found`);
    const { run, lapsed } = found;
    if (run.status !== 'queued' && run.status !== 'running') return { run, changes: await listRunChanges(em, runId) };
    if (lapsed) return undefined;
    if (Date.now() > deadline) {
      throw new SyncError('interrupted', `run ${runId}, started by ${run.requestedBy}, was still ${run.status} after ${Math.round(timeoutMs / 60_000)} minutes of waiting; see psa-sync runs show ${runId}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
