import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError, SyncError } from '../core/errors.js';
import { bumpReadVersion, lockAccount, recordFullRead, rosterSummary, type AccountRecord } from '../db/account-repository.js';
import { insertChanges } from '../db/change-repository.js';
import { keptInactiveMembers, loadLocalMembers } from '../db/member-repository.js';
import { finishRun, finishUnchangedRun } from '../db/run-repository.js';
import { clearFailureStreak } from '../db/schedule-repository.js';
import type { RunView } from '../db/views.js';
import { raiseEvent } from '../notify/events.js';
import { applyMemberStates } from './apply.js';
import type { EngineDeps } from './engine-deps.js';
import { planRead, planUnchangedRoster, type UnchangedRosterState } from './plan-read.js';
import type { RosterRead } from './read-roster.js';
import type { LocalMember, Plan } from './types.js';

/**
 * How a run was applied, logged with it: `one-statement` for an unchanged roster finished by one
 * statement, `locked` for the general path; and how many of our members it had to load.
 */
export interface ApplyStats {
  path: 'one-statement' | 'locked';
  membersLoaded: number;
}

/** Two small queries, one after the other: they run beside the PSA read, so one connection serves. */
export async function loadUnchangedRosterState(em: EntityManager, accountId: string): Promise<UnchangedRosterState> {
  const kept = await keptInactiveMembers(em, accountId);
  return { kept, summary: await rosterSummary(em, accountId) };
}

/** Ends a run this process claimed, in the caller's transaction; a SyncError when the claim was lost. */
export async function finishClaimed(deps: EngineDeps, tem: EntityManager, runId: string, outcome: Parameters<typeof finishRun>[3], now: Date): Promise<RunView> {
  const run = await finishRun(tem, runId, deps.claimant, outcome, now);
  if (!run) throw new SyncError('interrupted', 'this process lost its claim on the run (lease expired) before applying; nothing was applied');
  return run;
}

/**
 * The common daily case, a roster identical to the one last applied: when its plan writes no
 * member, the run is finished in one statement. Undefined when that statement finds the members
 * or the claim moved on; the general path then decides.
 */
export async function finishUnchanged(deps: EngineDeps, em: EntityManager, account: AccountRecord, runId: string, read: RosterRead, unchanged: UnchangedRosterState, rosterHash: string): Promise<RunView | undefined> {
  const plan = planUnchangedRoster(deps.registry.get(account.integration), account, read, unchanged);
  if (plan.hold || plan.entries.some((e) => e.isNew === true || e.changes.length > 0)) return undefined;
  return finishUnchangedRun(em, {
    runId,
    claimant: deps.claimant,
    accountId: account.id,
    membersVersion: account.membersVersion,
    rosterHash,
    counts: plan.counts,
    entries: plan.entries,
    actor: `run:${runId}`,
    now: deps.clock.now(),
  });
}

/**
 * Plans and applies in one transaction, with the account row locked: the general path. What was
 * loaded beside the PSA read is used only if no member was written since; otherwise it is
 * loaded again under the lock. The roster's fingerprint may still be in the making (see
 * IdleRosterHasher): it is awaited where the stored one could match it, and to record it.
 */
export async function applyLocked(
  deps: EngineDeps,
  em: EntityManager,
  account: AccountRecord,
  runId: string,
  read: RosterRead,
  loaded: { rosterHash: Promise<string> | null; unchanged: UnchangedRosterState | null; local: LocalMember[] | null },
  stats: ApplyStats,
): Promise<RunView> {
  const { rosterHash, unchanged, local } = loaded;
  return em.fork().transactional(async (tem) => {
    const locked = await lockAccount(tem, account.id);
    if (!locked) throw new NotFoundError(`account ${account.id} not found`);
    const unmoved = locked.membersVersion === account.membersVersion;
    let plan: Plan;
    // The fingerprint is awaited only when the stored one could match it.
    if (rosterHash !== null && locked.rosterHash !== null && locked.rosterHashVersion === locked.membersVersion && (await rosterHash) === locked.rosterHash) {
      const state = unchanged !== null && unmoved ? unchanged : await loadUnchangedRosterState(tem, account.id);
      if (state !== unchanged) stats.membersLoaded += state.kept.length;
      plan = planUnchangedRoster(deps.registry.get(locked.integration), locked, read, state);
    } else {
      // Members changed while we read the PSA (an admin, another run), or were not loaded: plan against the current state.
      const members = local !== null && unmoved ? local : await loadLocalMembers(tem, account.id);
      if (members !== local) stats.membersLoaded += members.length;
      plan = planRead(deps.registry.get(locked.integration), locked, read, members);
    }
    const now = deps.clock.now();
    await clearFailureStreak(tem, locked);
    if (plan.hold) {
      await raiseEvent(tem, { accountId: account.id, event: 'run.held', dedupeKey: `run.held:${runId}`, payload: { runId, holdReason: plan.hold, holdKind: plan.holdKind ?? null, counts: plan.counts } }, now);
      await insertChanges(tem, account.id, runId, plan.entries, 'planned', `run:${runId}`, now);
      // A held read is still a complete read: it makes any older held plan stale.
      const planReadVersion = await bumpReadVersion(tem, account.id);
      return finishClaimed(deps, tem, runId, { status: 'held', counts: plan.counts, holdReason: plan.hold, holdKind: plan.holdKind, planMembersVersion: locked.membersVersion, planReadVersion }, now);
    }
    await applyMemberStates(tem, account.id, 'psa', plan.entries, now);
    await insertChanges(tem, account.id, runId, plan.entries, 'applied', `run:${runId}`, now);
    const seatLimited = plan.entries.filter((e) => e.reason === 'seat_limit_reached');
    if (seatLimited.length > 0) {
      await raiseEvent(tem, { accountId: account.id, event: 'seats.limit_reached', dedupeKey: `seats.limit_reached:${runId}`, payload: { runId, seatLimit: locked.seatLimit, members: seatLimited.slice(0, 50).map((e) => ({ id: e.memberId, name: e.name, email: e.email })), count: seatLimited.length } }, now);
    }
    await recordFullRead(tem, account.id, now, rosterHash && (await rosterHash));
    return finishClaimed(deps, tem, runId, { status: 'succeeded', counts: plan.counts }, now);
  });
}
