import type { Integration, ScopeChoices } from '../connector/contract.js';
import { NotFoundError } from '../core/errors.js';
import { requireId } from '../core/ids.js';
import { getAccount, type AccountRecord } from '../db/account-repository.js';
import type { RunTrigger, RunView } from '../db/views.js';
import { syncCallbackMembers } from './callback-run.js';
import { readScopeChoices, testConnection } from './connector-context.js';
import type { EngineDeps, SyncRequest, SyncResult } from './engine-deps.js';
import { approveHeld, expireHeld, rejectHeld } from './held-runs.js';
import { preview } from './preview.js';
import { recoverExpired } from './run-failure.js';
import { claimOrJoin, executeClaimed, queueRun, syncable } from './run-lifecycle.js';

export type { EngineDeps, SyncRequest, SyncResult } from './engine-deps.js';

/**
 * Runs syncs: reads the PSA completely, plans against our members, then applies the plan in one
 * transaction, holds it for approval, or fails having changed nothing.
 *
 * The public face of src/reconcile; each part lives in its own file:
 * - run-lifecycle.ts, run-failure.ts: claiming, joining, the lease heartbeat, failures and retries;
 * - sync-run.ts: one run's read of the PSA beside the load of our members;
 * - plan-read.ts (pure): which plan a read gets; plan.ts and plan-directory.ts make it;
 * - apply-run.ts: applying or holding a plan in one transaction;
 * - connector-context.ts: what a connector gets for a run, readers, the connection test;
 * - preview.ts (dry runs), callback-run.ts (callback runs), held-runs.ts (approve, reject, expiry).
 */
export class SyncEngine {
  readonly #deps: EngineDeps;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
  }

  /** Who this process is in run claims; the scheduler claims runs under the same name. */
  get claimant(): string {
    return this.#deps.claimant;
  }

  get leaseMs(): number {
    return this.#deps.leaseMs;
  }

  async sync(accountId: string, req: SyncRequest): Promise<SyncResult> {
    requireId('account', accountId);
    const em = this.#deps.orm.em.fork();
    const account = syncable(this.#deps, await getAccount(em, accountId), accountId);
    return req.dryRun ? preview(this.#deps, em, account, req) : claimOrJoin(this.#deps, em, account, req);
  }

  /** Executes a run this process has claimed (status `running`, `claimed_by` = this claimant). */
  executeClaimed(accountId: string, runId: string, opts: { signal?: AbortSignal; withChanges?: boolean; account?: AccountRecord } = {}): Promise<SyncResult> {
    return executeClaimed(this.#deps, accountId, runId, opts);
  }

  /**
   * Fails runs whose claimant died (lease expired) and gives their accounts another go: an
   * interrupted run is retried at once a couple of times, then backs off like any failure.
   */
  recoverExpired(accountId?: string): Promise<RunView[]> {
    return recoverExpired(this.#deps, accountId);
  }

  /**
   * Sync Members for the daemon and the API: queues a run that any replica picks up, or returns
   * the run already queued or running for the account.
   */
  async queue(accountId: string, trigger: RunTrigger, requestedBy: string): Promise<{ run: RunView; created: boolean }> {
    requireId('account', accountId);
    const em = this.#deps.orm.em.fork();
    const account = syncable(this.#deps, await getAccount(em, accountId), accountId);
    return queueRun(this.#deps, em, account, trigger, requestedBy);
  }

  /**
   * A callback run (product.md §11): re-reads the named members one by one and applies the §2
   * rules to them alone. Undefined when another run holds the account: the caller tries again after it.
   */
  syncCallbackMembers(accountId: string, externalIds: string[], requestedBy: string): Promise<RunView | undefined> {
    return syncCallbackMembers(this.#deps, accountId, externalIds, requestedBy);
  }

  /**
   * Checks settings against the PSA before an account is saved (the console's "test connection"):
   * authenticates and reads the member count, or the first page when the PSA gives no count.
   * Throws the SyncError a sync would (auth, network, …), whose words say what to fix.
   */
  testConnection(integration: Integration, rawSettings: unknown): Promise<{ members: number | null }> {
    return testConnection(this.#deps, integration, rawSettings);
  }

  /**
   * The sync scope's choices (names and ids), read live from the account's PSA with a sync's
   * connector context; empty for a PSA without a scope. Throws the SyncError a sync would.
   */
  async scopeChoices(accountId: string, signal?: AbortSignal): Promise<ScopeChoices> {
    requireId('account', accountId);
    const account = await getAccount(this.#deps.orm.em.fork(), accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    return readScopeChoices(this.#deps, account, signal);
  }

  /**
   * Applies exactly the stored plan of a held run, if it is still the newest word on the account:
   * refused once a later run has read the PSA completely, once members changed, and after 7 days.
   */
  async approve(runId: string, actor: string, reason: string | null = null): Promise<SyncResult> {
    requireId('run', runId);
    return approveHeld(this.#deps, runId, actor, reason);
  }

  /** Ends held runs left undecided for 7 days (`expired`); the scheduler calls this every tick. */
  expireHeld(): Promise<RunView[]> {
    return expireHeld(this.#deps);
  }

  /** Discards a held run's plan; nothing is applied. */
  async reject(runId: string, actor: string, reason: string | null = null): Promise<SyncResult> {
    requireId('run', runId);
    return rejectHeld(this.#deps, runId, actor, reason);
  }
}
