import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { lockAccount, recordFullRead } from '../db/account-repository.js';
import { recordAudit } from '../db/audit-repository.js';
import { listRunChanges, loadPlannedEntries, setChangeState } from '../db/change-repository.js';
import { decideRun, expireHeldRuns, getPlanVersions, getRun, HELD_RUN_TTL_MS } from '../db/run-repository.js';
import type { RunView } from '../db/views.js';
import { applyMemberStates } from './apply.js';
import type { EngineDeps, SyncResult } from './engine-deps.js';

/**
 * Applies exactly the stored plan of a held run, if it is still the newest word on the account:
 * refused once a later run has read the PSA completely (the roster may have changed, as when an
 * empty read was held and the next sync read everyone), once members changed, and after 7 days.
 */
export async function approveHeld(deps: EngineDeps, runId: string, actor: string, reason: string | null): Promise<SyncResult> {
  const { clock, orm } = deps;
  const expired = await expireHeldRuns(orm.em.fork(), clock.now(), runId);
  if (expired.length > 0) {
    deps.logger.info({ runId, accountId: expired[0]!.accountId }, 'held run expired undecided');
    throw new ConflictError(`run ${runId} was held more than 7 days ago and has expired; its plan was discarded. Run Sync Members to get a current plan`);
  }
  const run = await orm.em.fork().transactional(async (tem) => {
    const held = await heldRun(tem, runId, 'approve');
    const account = await lockAccount(tem, held.accountId);
    if (!account) throw new NotFoundError(`account ${held.accountId} not found`);
    const plan = await getPlanVersions(tem, runId);
    if (held.holdKind === 'scope_matches_nobody') {
      throw new ConflictError(
        `run ${runId} was held because the sync scope matches none of the members active in the PSA; it is never applied. Change the scope (Settings → Sync scope, or psa-sync accounts scope), then reject this run`,
      );
    }
    if (plan.read !== null && account.syncScopeReadVersion !== null && plan.read < account.syncScopeReadVersion) {
      throw new ConflictError(`the sync scope of this account changed after run ${runId} was held, so its plan was made for the old scope; reject it and sync again`);
    }
    if (plan.read === null || account.readVersion !== plan.read) {
      throw new ConflictError(
        `a later sync read this account's PSA after run ${runId} was held, so the held plan may no longer match the PSA; reject it, and look at the later run (or run Sync Members) for the current state`,
      );
    }
    if (account.membersVersion !== plan.members) {
      throw new ConflictError(`members of this account changed after run ${runId} was held, so its plan is stale; reject it and sync again`);
    }
    const entries = await loadPlannedEntries(tem, runId);
    const now = clock.now();
    await applyMemberStates(tem, held.accountId, 'psa', entries, now);
    await setChangeState(tem, runId, 'planned', 'applied');
    await recordFullRead(tem, held.accountId, new Date(held.finishedAt ?? now));
    await recordAudit(tem, { accountId: held.accountId, actor, action: 'run.approved', target: { type: 'run', id: runId }, before: { status: 'held' }, after: { status: 'succeeded', counts: held.counts }, reason }, now);
    return decideRun(tem, runId, 'succeeded', actor, now);
  });
  deps.logger.info({ runId, accountId: run.accountId, actor }, 'held run approved and applied');
  return { run, changes: await listRunChanges(orm.em.fork(), runId), joined: false };
}

/** Ends held runs left undecided for 7 days (`expired`); the scheduler calls this every tick. */
export async function expireHeld(deps: EngineDeps): Promise<RunView[]> {
  const expired = await expireHeldRuns(deps.orm.em.fork(), deps.clock.now());
  for (const run of expired) deps.logger.info({ runId: run.id, accountId: run.accountId, ttlMs: HELD_RUN_TTL_MS }, 'held run expired undecided');
  return expired;
}

/** Discards a held run's plan; nothing is applied. */
export async function rejectHeld(deps: EngineDeps, runId: string, actor: string, reason: string | null): Promise<SyncResult> {
  const { clock, orm } = deps;
  const run = await orm.em.fork().transactional(async (tem) => {
    const held = await heldRun(tem, runId, 'reject');
    await setChangeState(tem, runId, 'planned', 'discarded');
    const now = clock.now();
    await recordAudit(tem, { accountId: held.accountId, actor, action: 'run.rejected', target: { type: 'run', id: runId }, before: { status: 'held' }, after: { status: 'rejected' }, reason }, now);
    return decideRun(tem, runId, 'rejected', actor, now);
  });
  deps.logger.info({ runId, accountId: run.accountId, actor }, 'held run rejected');
  return { run, changes: await listRunChanges(orm.em.fork(), runId), joined: false };
}

async function heldRun(tem: EntityManager, runId: string, verb: string): Promise<RunView> {
  const run = await getRun(tem, runId, true);
  if (!run) throw new NotFoundError(`run ${runId} not found`);
  if (run.status !== 'held') throw new ConflictError(`run ${runId} is ${run.status}; only a held run can be ${verb === 'approve' ? 'approved' : 'rejected'}`);
  return run;
}
