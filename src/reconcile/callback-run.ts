import { randomUUID } from 'node:crypto';
import { NotFoundError, SyncError, toSyncError } from '../core/errors.js';
import { newErrorId } from '../core/error-id.js';
import { getAccount, lockAccount } from '../db/account-repository.js';
import { insertChanges } from '../db/change-repository.js';
import { countActive, loadLocalMembersByExternalId } from '../db/member-repository.js';
import { finishRun, insertActiveRun } from '../db/run-repository.js';
import type { RunView } from '../db/views.js';
import { raiseEvent } from '../notify/events.js';
import { applyMemberStates } from './apply.js';
import { finishClaimed } from './apply-run.js';
import { connectorContext } from './connector-context.js';
import type { EngineDeps } from './engine-deps.js';
import { planCallbackRead } from './plan-read.js';

/**
 * A callback run (product.md §11): re-reads the named members one by one and applies the §2
 * rules to them alone, with the whole account's seat count and breaker. A member that cannot be
 * read (deleted, gone, refused) changes nothing: only a full read may decide it vanished.
 * Undefined when another run holds the account: the caller tries again after it.
 */
export async function syncCallbackMembers(deps: EngineDeps, accountId: string, externalIds: string[], requestedBy: string): Promise<RunView | undefined> {
  const { orm, clock, claimant, leaseMs, registry, logger } = deps;
  const em = orm.em.fork();
  const account = await getAccount(em, accountId);
  if (!account) throw new NotFoundError(`account ${accountId} not found`);
  const connector = registry.get(account.integration);
  if (!connector.callbacks) throw new SyncError('config', `${connector.displayName} accounts have no callbacks`);
  const run = await insertActiveRun(em, { id: randomUUID(), accountId, trigger: 'callback', requestedBy, claimant, now: clock.now(), leaseMs, status: 'running' });
  if (!run) return undefined;
  const runId = run.id!;
  const log = logger.child({ runId, accountId });
  try {
    const settings = connector.parseSettings(JSON.parse(deps.secretBox().open(account.settingsSealed)));
    const api = connector.callbacks(settings, connectorContext(deps, log));
    const results: Awaited<ReturnType<typeof api.readMember>>[] = [];
    for (let i = 0; i < externalIds.length; i += 4) results.push(...(await Promise.all(externalIds.slice(i, i + 4).map((id) => api.readMember(id)))));
    const remote = results.flatMap((r) => (r && 'member' in r ? [r.member] : []));
    const skipped = results.flatMap((r) => (r && 'skipped' in r ? [r.skipped] : []));
    const readable = [...remote.map((r) => r.externalId), ...skipped.map((s) => s.externalId)];
    const finished = await em.fork().transactional(async (tem) => {
      const locked = await lockAccount(tem, accountId);
      if (!locked) throw new NotFoundError(`account ${accountId} not found`);
      const local = await loadLocalMembersByExternalId(tem, accountId, readable);
      const plan = planCallbackRead(connector, locked, remote, skipped, local, await countActive(tem, accountId));
      const now = clock.now();
      if (plan.hold) {
        await raiseEvent(tem, { accountId, event: 'run.held', dedupeKey: `run.held:${runId}`, payload: { runId, holdReason: plan.hold, holdKind: plan.holdKind ?? null, counts: plan.counts } }, now);
        await insertChanges(tem, accountId, runId, plan.entries, 'planned', `run:${runId}`, now);
        return finishClaimed(deps, tem, runId, { status: 'held', counts: plan.counts, holdReason: plan.hold, holdKind: plan.holdKind, planMembersVersion: locked.membersVersion, planReadVersion: locked.readVersion }, now);
      }
      const changed = plan.entries.filter((e) => e.isNew || e.changes.length > 0);
      await applyMemberStates(tem, accountId, 'psa', changed, now);
      await insertChanges(tem, accountId, runId, changed, 'applied', `run:${runId}`, now);
      return finishClaimed(deps, tem, runId, { status: 'succeeded', counts: { ...plan.counts, fetched: externalIds.length } }, now);
    });
    log.info({ members: externalIds.length, readable: readable.length, status: finished.status, counts: finished.counts }, 'callback run finished');
    deps.onRunFinished?.(finished);
    return finished;
  } catch (err) {
    const e = toSyncError(err, newErrorId);
    log.warn({ kind: e.kind, error: e.message, ...(e.errorId ? { errorId: e.errorId, err: e.cause } : {}) }, 'callback run failed; nothing was changed (the daily sync stays the judge)');
    // A failed callback run is not a failure streak: the daily full sync judges the account's health.
    return (await finishRun(orm.em.fork(), runId, claimant, { status: 'failed', counts: null, errorKind: e.kind, errorMessage: e.message }, clock.now())) ?? undefined;
  }
}
