import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../core/logger.js';
import { APP_VERSION } from '../core/version.js';
import type { AccountRecord } from '../db/account-repository.js';
import { loadLocalMembers } from '../db/member-repository.js';
import type { RunView } from '../db/views.js';
import { applyLocked, finishUnchanged, loadUnchangedRosterState, type ApplyStats } from './apply-run.js';
import { readerFor } from './connector-context.js';
import type { EngineDeps } from './engine-deps.js';
import { readRoster } from './read-roster.js';
import { IdleRosterHasher } from './roster-hash.js';

/**
 * One claimed run's work: reads the PSA completely while loading what the plan needs from our side,
 * then plans and applies (apply-run.ts), or holds. Throws, having changed nothing, when the read
 * or the plan fails; run-lifecycle.ts ends the run either way.
 */
export async function readPlanApply(deps: EngineDeps, em: EntityManager, account: AccountRecord, runId: string, signal: AbortSignal, log: Logger): Promise<RunView> {
  const accountId = account.id;
  const readStarted = Date.now();
  // An authoritative roster is fingerprinted; when it matches what the last applied sync read and
  // no member was written since, the members need not be loaded at all (see roster-hash.ts).
  const hasher = deps.registry.get(account.integration).rosterPolicy === 'authoritative' ? new IdleRosterHasher(`${account.integration} ${APP_VERSION}`) : undefined;
  const mayBeUnchanged = hasher !== undefined && account.rosterHash !== null && account.rosterHashVersion === account.membersVersion;
  const reading = readRoster(readerFor(deps, account, log), signal, hasher && ((page) => hasher.add(page)));
  // What the plan needs from our side is loaded while the PSA is read; it stays valid while the members version does.
  const ours = mayBeUnchanged
    ? loadUnchangedRosterState(em, accountId).then((unchanged) => ({ unchanged, local: null }))
    : loadLocalMembers(em, accountId).then((local) => ({ unchanged: null, local }));
  const [read, { unchanged, local }] = await Promise.all([reading, ours]);
  const stats: ApplyStats = { path: 'locked', membersLoaded: (unchanged?.kept.length ?? 0) + (local?.length ?? 0) };
  // Needed now only to take the unchanged shortcut; otherwise it is finished during the apply.
  const rosterHash = hasher?.digest() ?? null;
  log.info({ fetched: read.remote.length + read.skipped.length, ms: Date.now() - readStarted }, 'read PSA roster');

  const applyStarted = Date.now();
  let run =
    unchanged !== null && rosterHash !== null && (await rosterHash) === account.rosterHash
      ? await finishUnchanged(deps, em, account, runId, read, unchanged, account.rosterHash)
      : undefined;
  if (run) stats.path = 'one-statement';
  else run = await applyLocked(deps, em, account, runId, read, { rosterHash, unchanged, local }, stats);
  log.info({ status: run.status, counts: run.counts, ...stats, ms: Date.now() - applyStarted }, run.status === 'held' ? 'run held for approval' : 'applied plan');
  return run;
}
