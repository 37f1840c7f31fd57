import type { EntityManager } from '@mikro-orm/postgresql';
import { toSyncError } from '../core/errors.js';
import { newErrorId } from '../core/error-id.js';
import type { AccountRecord } from '../db/account-repository.js';
import { loadLocalMembers } from '../db/member-repository.js';
import type { ChangeView, RunView } from '../db/views.js';
import { readerFor } from './connector-context.js';
import type { EngineDeps, SyncRequest, SyncResult } from './engine-deps.js';
import { planRead } from './plan-read.js';
import { readRoster } from './read-roster.js';
import type { PlanEntry } from './types.js';

/** A plan's entries as a preview shows them: change entries that were never stored. */
export function previewChanges(entries: readonly PlanEntry[], actor: string, at: Date): ChangeView[] {
  return entries.map((e) => ({
    id: null,
    runId: null,
    memberId: e.memberId,
    externalId: e.externalId,
    identifier: e.identifier,
    name: e.name,
    email: e.email,
    action: e.action,
    reason: e.reason,
    changes: e.changes,
    state: 'planned',
    actor,
    createdAt: at.toISOString(),
  }));
}

/** A dry run: reads and plans like a sync, claims nothing and writes nothing. */
export async function preview(deps: EngineDeps, em: EntityManager, account: AccountRecord, req: SyncRequest): Promise<SyncResult> {
  const { clock } = deps;
  const startedAt = clock.now();
  const run: RunView = {
    id: null,
    accountId: account.id,
    trigger: req.trigger,
    status: 'succeeded',
    requestedBy: req.requestedBy,
    dryRun: true,
    createdAt: startedAt.toISOString(),
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    counts: null,
    error: null,
    holdReason: null,
    holdKind: null,
    decidedBy: null,
    decidedAt: null,
  };
  try {
    const [read, local] = await Promise.all([readRoster(readerFor(deps, account, deps.logger), req.signal), loadLocalMembers(em, account.id)]);
    const plan = planRead(deps.registry.get(account.integration), req.scope ? { ...account, syncScope: req.scope } : account, read, local);
    return {
      run: { ...run, counts: plan.counts, holdReason: plan.hold, holdKind: plan.holdKind ?? null, finishedAt: clock.now().toISOString() },
      changes: previewChanges(plan.entries, req.requestedBy, startedAt),
      joined: false,
    };
  } catch (err) {
    const e = toSyncError(err, newErrorId);
    if (e.errorId) deps.logger.error({ accountId: account.id, errorId: e.errorId, err: e.cause }, 'preview failed');
    return { run: { ...run, status: 'failed', error: { kind: e.kind, message: e.message }, finishedAt: clock.now().toISOString() }, changes: [], joined: false };
  }
}
