import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConnectorContext, Integration } from '../connector/contract.js';
import type { HttpObserver, HttpPolicy } from '../connector/http.js';
import { ThrottleBudget } from '../connector/throttle.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError, SyncError, toSyncError, type SyncErrorKind } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import { APP_VERSION } from '../core/version.js';
import { newErrorId } from '../core/error-id.js';
import { bumpReadVersion, getAccount, lockAccount, recordFullRead, rosterSummary, type AccountRecord } from '../db/account-repository.js';
import { insertChanges, listRunChanges, loadPlannedEntries, setChangeState } from '../db/change-repository.js';
import { countActive, keptInactiveMembers, loadLocalMembers, loadLocalMembersByExternalId } from '../db/member-repository.js';
import type { Orm } from '../db/orm.js';
import { decideRun, expireHeldRuns, finishRun, finishUnchangedRun, getPlanVersions, getRun, getRunLease, HELD_RUN_TTL_MS, renewLease, startOrJoinRun, insertActiveRun } from '../db/run-repository.js';
import { clearFailureStreak, enqueueRun, expireRuns, recordFailure } from '../db/schedule-repository.js';
import type { ChangeView, RunTrigger, RunView } from '../db/views.js';
import { applyMemberStates } from './apply.js';
import { planAuthoritative } from './plan.js';
import { planDirectory } from './plan-directory.js';
import { readRoster, type ConnectorReader, type RosterRead } from './read-roster.js';
import { RosterHasher } from './roster-hash.js';
import type { LocalMember, Plan, PlanEntry } from './types.js';
import { requireId } from '../core/ids.js';
import { recordAudit } from '../db/audit-repository.js';
import { raiseEvent, raiseOncePerStreak } from '../notify/events.js';

export interface EngineDeps {
  orm: Orm;
  registry: ConnectorRegistry;
  /** Opens stored connector settings; resolved lazily so read-only commands need no key. */
  secretBox: () => SecretBox;
  clock: Clock;
  logger: Logger;
  httpPolicy: HttpPolicy;
  observer?: HttpObserver;
  /** Who this process is, in run claims: host:pid or a replica name. */
  claimant: string;
  /** How long a claim lasts without a heartbeat. */
  leaseMs: number;
  /** How long a caller waits for a run it joined. */
  joinTimeoutMs?: number;
  /** Called once for every run that ends (succeeded, held or failed), e.g. for metrics. */
  onRunFinished?: (run: RunView) => void;
}

/** An interrupted run is retried at once this many times in a row; after that the back-off applies. */
const INTERRUPTED_RETRIES = 2;

export interface SyncRequest {
  trigger: RunTrigger;
  requestedBy: string;
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Load the run's change entries into the result (default true); the scheduler does not need them. */
  withChanges?: boolean;
}

/** A finished (or previewed, or joined) run with the change entries that belong to it. */
export interface SyncResult {
  run: RunView;
  changes: ChangeView[];
  /** True when this call joined a run that another caller had started. */
  joined: boolean;
}

/** What planning an unchanged roster needs from our side: members an admin unchecked, and the totals. */
interface UnchangedRosterState {
  kept: LocalMember[];
  summary: { withPsaId: number; active: number };
}

/**
 * How a run was applied, logged with it: `one-statement` for an unchanged roster finished by one
 * statement, `locked` for the general path; and how many of our members it had to load.
 */
interface ApplyStats {
  path: 'one-statement' | 'locked';
  membersLoaded: number;
}

/** Two small queries, one after the other: they run beside the PSA read, so one connection serves. */
async function loadUnchangedRosterState(em: EntityManager, accountId: string): Promise<UnchangedRosterState> {
  const kept = await keptInactiveMembers(em, accountId);
  return { kept, summary: await rosterSummary(em, accountId) };
}

function previewChanges(entries: readonly PlanEntry[], actor: string, at: Date): ChangeView[] {
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

/**
 * Runs syncs: reads the PSA completely, plans against our members, then applies the plan in one
 * transaction, holds it for approval, or fails having changed nothing.
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
    const account = this.#syncable(await getAccount(em, accountId), accountId);
    return req.dryRun ? this.#preview(em, account, req) : this.#run(em, account, req);
  }

  /** The account, if it exists and has a PSA roster to sync. */
  #syncable(account: AccountRecord | undefined, accountId: string): AccountRecord {
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    if (this.#deps.registry.get(account.integration).rosterPolicy === 'none') {
      throw new InputError(`account ${accountId} is a snippet account: it has no PSA to sync; its members come from \`psa-sync members import\` and survey activity`);
    }
    return account;
  }

  /** A directory PSA's first sync is its setup import (product.md §2 HaloPSA rule 1). */
  #triggerFor(account: AccountRecord, requested: RunTrigger): RunTrigger {
    const setup = this.#deps.registry.get(account.integration).rosterPolicy === 'directory' && account.lastFullReadAt === null;
    return setup && requested === 'manual' ? 'setup' : requested;
  }

  async #preview(em: EntityManager, account: AccountRecord, req: SyncRequest): Promise<SyncResult> {
    const { clock } = this.#deps;
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
      decidedBy: null,
      decidedAt: null,
    };
    try {
      const [read, local] = await Promise.all([readRoster(this.#readerFor(account, this.#deps.logger), req.signal), loadLocalMembers(em, account.id)]);
      const plan = this.#plan(account, read, local);
      return {
        run: { ...run, counts: plan.counts, holdReason: plan.hold, finishedAt: clock.now().toISOString() },
        changes: previewChanges(plan.entries, req.requestedBy, startedAt),
        joined: false,
      };
    } catch (err) {
      const e = toSyncError(err, newErrorId);
      if (e.errorId) this.#deps.logger.error({ accountId: account.id, errorId: e.errorId, err: e.cause }, 'preview failed');
      return { run: { ...run, status: 'failed', error: { kind: e.kind, message: e.message }, finishedAt: clock.now().toISOString() }, changes: [], joined: false };
    }
  }

  async #run(em: EntityManager, account: AccountRecord, req: SyncRequest): Promise<SyncResult> {
    const { clock, claimant, leaseMs } = this.#deps;
    const claim = () =>
      startOrJoinRun(em, {
        id: randomUUID(),
        accountId: account.id,
        trigger: this.#triggerFor(account, req.trigger),
        requestedBy: req.requestedBy,
        claimant,
        now: clock.now(),
        leaseMs,
      });
    for (;;) {
      const { run, started } = await claim();
      if (started) return this.executeClaimed(account.id, run.id!, { signal: req.signal, withChanges: req.withChanges, account });
      const joined = await this.#waitFor(run.id!);
      if (joined) return { ...joined, joined: true };
      // The run we joined belongs to a process that died (its lease lapsed): fail it, then claim afresh.
      await this.recoverExpired(account.id);
    }
  }

  /**
   * Plans and applies in one transaction, with the account row locked: the general path. What was
   * loaded beside the PSA read is used only if no member was written since; otherwise it is
   * loaded again under the lock.
   */
  async #applyLocked(
    em: EntityManager,
    account: AccountRecord,
    runId: string,
    read: RosterRead,
    loaded: { rosterHash: string | null; unchanged: UnchangedRosterState | null; local: LocalMember[] | null },
    stats: ApplyStats,
  ): Promise<RunView> {
    const { rosterHash, unchanged, local } = loaded;
    return em.fork().transactional(async (tem) => {
      const locked = await lockAccount(tem, account.id);
      if (!locked) throw new NotFoundError(`account ${account.id} not found`);
      const unmoved = locked.membersVersion === account.membersVersion;
      let plan: Plan;
      if (rosterHash !== null && rosterHash === locked.rosterHash && locked.rosterHashVersion === locked.membersVersion) {
        const state = unchanged !== null && unmoved ? unchanged : await loadUnchangedRosterState(tem, account.id);
        if (state !== unchanged) stats.membersLoaded += state.kept.length;
        plan = this.#planUnchangedRoster(locked, read, state);
      } else {
        // Members changed while we read the PSA (an admin, another run), or were not loaded: plan against the current state.
        const members = local !== null && unmoved ? local : await loadLocalMembers(tem, account.id);
        if (members !== local) stats.membersLoaded += members.length;
        plan = this.#plan(locked, read, members);
      }
      const now = this.#deps.clock.now();
      await clearFailureStreak(tem, locked);
      if (plan.hold) {
        await raiseEvent(tem, { accountId: account.id, event: 'run.held', dedupeKey: `run.held:${runId}`, payload: { runId, holdReason: plan.hold, counts: plan.counts } }, now);
        await insertChanges(tem, account.id, runId, plan.entries, 'planned', `run:${runId}`, now);
        // A held read is still a complete read: it makes any older held plan stale.
        const planReadVersion = await bumpReadVersion(tem, account.id);
        return this.#finish(tem, runId, { status: 'held', counts: plan.counts, holdReason: plan.hold, planMembersVersion: locked.membersVersion, planReadVersion }, now);
      }
      await applyMemberStates(tem, account.id, 'psa', plan.entries, now);
      await insertChanges(tem, account.id, runId, plan.entries, 'applied', `run:${runId}`, now);
      const seatLimited = plan.entries.filter((e) => e.reason === 'seat_limit_reached');
      if (seatLimited.length > 0) {
        await raiseEvent(tem, { accountId: account.id, event: 'seats.limit_reached', dedupeKey: `seats.limit_reached:${runId}`, payload: { runId, seatLimit: locked.seatLimit, members: seatLimited.slice(0, 50).map((e) => ({ id: e.memberId, name: e.name, email: e.email })), count: seatLimited.length } }, now);
      }
      await recordFullRead(tem, account.id, now, rosterHash);
      return this.#finish(tem, runId, { status: 'succeeded', counts: plan.counts }, now);
    });
  }

  /** Executes a run this process has claimed (status `running`, `claimed_by` = this claimant). */
  async executeClaimed(accountId: string, runId: string, opts: { signal?: AbortSignal; withChanges?: boolean; account?: AccountRecord } = {}): Promise<SyncResult> {
    const { withChanges = true } = opts;
    const { clock, claimant, leaseMs, orm } = this.#deps;
    const log = this.#deps.logger.child({ runId, accountId });
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
      const readStarted = Date.now();
      // An authoritative roster is fingerprinted; when it matches what the last applied sync read and
      // no member was written since, the members need not be loaded at all (see roster-hash.ts).
      const hasher = this.#deps.registry.get(account.integration).rosterPolicy === 'authoritative' ? new RosterHasher(`${account.integration} ${APP_VERSION}`) : undefined;
      const mayBeUnchanged = hasher !== undefined && account.rosterHash !== null && account.rosterHashVersion === account.membersVersion;
      const reading = readRoster(this.#readerFor(account, log), signal, hasher && ((page) => hasher.add(page)));
      // What the plan needs from our side is loaded while the PSA is read; it stays valid while the members version does.
      const ours = mayBeUnchanged
        ? loadUnchangedRosterState(em, accountId).then((unchanged) => ({ unchanged, local: null }))
        : loadLocalMembers(em, accountId).then((local) => ({ unchanged: null, local }));
      const [read, { unchanged, local }] = await Promise.all([reading, ours]);
      const stats: ApplyStats = { path: 'locked', membersLoaded: (unchanged?.kept.length ?? 0) + (local?.length ?? 0) };
      const rosterHash = hasher?.digest() ?? null;
      log.info({ fetched: read.remote.length + read.skipped.length, ms: Date.now() - readStarted }, 'read PSA roster');

      const applyStarted = Date.now();
      let run =
        unchanged !== null && rosterHash !== null && rosterHash === account.rosterHash
          ? await this.#finishUnchanged(em, account, runId, read, unchanged, rosterHash)
          : undefined;
      if (run) stats.path = 'one-statement';
      else run = await this.#applyLocked(em, account, runId, read, { rosterHash, unchanged, local }, stats);
      log.info({ status: run.status, counts: run.counts, ...stats, ms: Date.now() - applyStarted }, run.status === 'held' ? 'run held for approval' : 'applied plan');
      this.#deps.onRunFinished?.(run);
      return { run, changes: withChanges ? await listRunChanges(em, runId) : [], joined: false };
    } catch (err) {
      const e = toSyncError(signal.aborted && signal.reason instanceof SyncError ? signal.reason : err, newErrorId);
      log.error({ kind: e.kind, error: e.message, ...(e.errorId ? { errorId: e.errorId, err: e.cause } : {}) }, 'sync failed; nothing was changed');
      // Ending the run and counting it in the account's failure streak are one transaction.
      const failed = await orm.em.fork().transactional(async (tem) => {
        const run = await finishRun(tem, runId, claimant, { status: 'failed', counts: null, errorKind: e.kind, errorMessage: e.message }, clock.now());
        if (run) await this.#recordFailure(tem, run);
        return run;
      });
      if (failed) this.#deps.onRunFinished?.(failed);
      const run = failed ?? (await getRun(em, runId));
      if (!run) throw e;
      return { run, changes: [], joined: false };
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Fails runs whose claimant died (lease expired) and gives their accounts another go: an
   * interrupted run is retried at once a couple of times, then backs off like any failure.
   */
  async recoverExpired(accountId?: string): Promise<RunView[]> {
    const expired = await this.#deps.orm.em.fork().transactional(async (tem) => {
      const runs = await expireRuns(tem, this.#deps.clock.now(), accountId);
      for (const run of runs) await this.#recordFailure(tem, run);
      return runs;
    });
    for (const run of expired) {
      this.#deps.logger.warn({ runId: run.id, accountId: run.accountId }, 'run lease expired; marked interrupted');
      this.#deps.onRunFinished?.(run);
    }
    return expired;
  }

  /**
   * Sync Members for the daemon and the API: queues a run that any replica picks up, or returns
   * the run already queued or running for the account.
   */
  async queue(accountId: string, trigger: RunTrigger, requestedBy: string): Promise<{ run: RunView; created: boolean }> {
    requireId('account', accountId);
    const em = this.#deps.orm.em.fork();
    const account = this.#syncable(await getAccount(em, accountId), accountId);
    await this.recoverExpired(accountId);
    return enqueueRun(em, { id: randomUUID(), accountId, trigger: this.#triggerFor(account, trigger), requestedBy, now: this.#deps.clock.now() });
  }

  /** Counts a failed run in its account's streak and back-off, in the caller's transaction (the one that failed the run). */
  async #recordFailure(tem: EntityManager, run: RunView): Promise<void> {
    const now = this.#deps.clock.now();
    const error = run.error ?? { kind: 'internal', message: 'unknown failure' };
    const health = await recordFailure(tem, run.accountId, { kind: error.kind as SyncErrorKind, message: error.message }, now);
    // One notification per failure streak (a restart's interrupted run retries quietly first).
    if (health && !(error.kind === 'interrupted' && health.consecutiveFailures <= INTERRUPTED_RETRIES)) {
      const payload = { runId: run.id, error, consecutiveFailures: health.consecutiveFailures };
      await raiseOncePerStreak(tem, { accountId: run.accountId, event: 'run.failed', runId: run.id!, payload }, now);
      if (health.blockedReason) await raiseOncePerStreak(tem, { accountId: run.accountId, event: 'account.auth_blocked', runId: run.id!, payload: { ...payload, blockedReason: health.blockedReason } }, now);
    }
    if (error.kind === 'interrupted' && health && health.consecutiveFailures <= INTERRUPTED_RETRIES) {
      const { run: retry, created } = await enqueueRun(tem, { id: randomUUID(), accountId: run.accountId, trigger: 'retry', requestedBy: 'scheduler', now });
      if (created) this.#deps.logger.info({ runId: retry.id, accountId: run.accountId, after: run.id }, 'queued a retry of an interrupted run');
    }
  }

  async #finish(tem: EntityManager, runId: string, outcome: Parameters<typeof finishRun>[3], now: Date): Promise<RunView> {
    const run = await finishRun(tem, runId, this.#deps.claimant, outcome, now);
    if (!run) throw new SyncError('interrupted', 'this process lost its claim on the run (lease expired) before applying; nothing was applied');
    return run;
  }

  /**
   * The common daily case, a roster identical to the one last applied: when its plan writes no
   * member, the run is finished in one statement. Undefined when that statement finds the members
   * or the claim moved on; the general path then decides.
   */
  async #finishUnchanged(em: EntityManager, account: AccountRecord, runId: string, read: RosterRead, unchanged: UnchangedRosterState, rosterHash: string): Promise<RunView | undefined> {
    const plan = this.#planUnchangedRoster(account, read, unchanged);
    if (plan.hold || plan.entries.some((e) => e.isNew === true || e.changes.length > 0)) return undefined;
    return finishUnchangedRun(em, {
      runId,
      claimant: this.#deps.claimant,
      accountId: account.id,
      membersVersion: account.membersVersion,
      rosterHash,
      counts: plan.counts,
      entries: plan.entries,
      actor: `run:${runId}`,
      now: this.#deps.clock.now(),
    });
  }

  /**
   * The plan for a roster identical to the one the last applied sync read, with no member written
   * since: every member is unchanged except those an admin unchecked, which each run reports. Only
   * those are loaded (`unchanged`); the planner gets the roster's totals for its counts and safety checks.
   */
  #planUnchangedRoster(account: AccountRecord, read: RosterRead, { kept, summary }: UnchangedRosterState): Plan {
    const keptIds = new Set(kept.map((m) => m.externalId));
    return planAuthoritative({
      remote: read.remote.filter((r) => keptIds.has(r.externalId)),
      skipped: read.skipped,
      local: kept,
      seatLimit: account.seatLimit,
      breaker: { percent: account.breakerPercent, minMembers: account.breakerMinMembers },
      newId: randomUUID,
      setAside: { remoteTotal: read.remote.length, unchanged: summary.withPsaId - kept.length, activeBefore: summary.active },
    });
  }

  #plan(account: AccountRecord, read: RosterRead, local: LocalMember[]): Plan {
    const connector = this.#deps.registry.get(account.integration);
    if (connector.rosterPolicy === 'directory') {
      const setup = account.lastFullReadAt === null;
      // Setup happens once and for good, so it needs proof: a complete read (counted where the PSA
      // reports a count, see read-roster.ts) that found someone to import. An empty answer is far
      // more likely a PSA or permission fault than a help desk with no agents.
      if (setup && !read.remote.some((r) => r.active)) {
        throw new SyncError(
          'incomplete_read',
          `${connector.displayName} returned no enabled agents on the setup sync, so nothing was imported; check that the API application may read agents. Setup is tried again at the next sync`,
        );
      }
      return planDirectory({ remote: read.remote, skipped: read.skipped, local, seatLimit: account.seatLimit, setup, newId: randomUUID });
    }
    return planAuthoritative({
      remote: read.remote,
      skipped: read.skipped,
      local,
      seatLimit: account.seatLimit,
      breaker: { percent: account.breakerPercent, minMembers: account.breakerMinMembers },
      newId: randomUUID,
    });
  }

  /**
   * A callback run (product.md §11): re-reads the named members one by one and applies the §2
   * rules to them alone, with the whole account's seat count and breaker. A member that cannot be
   * read (deleted, gone, refused) changes nothing: only a full read may decide it vanished.
   * Undefined when another run holds the account: the caller tries again after it.
   */
  async syncCallbackMembers(accountId: string, externalIds: string[], requestedBy: string): Promise<RunView | undefined> {
    const { orm, clock, claimant, leaseMs, registry, logger } = this.#deps;
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
      const settings = connector.parseSettings(JSON.parse(this.#deps.secretBox().open(account.settingsSealed)));
      const api = connector.callbacks(settings, { logger: log, policy: this.#deps.httpPolicy, observer: this.#deps.observer, throttle: new ThrottleBudget(this.#deps.httpPolicy.rateLimitBudgetMs) });
      const results: Awaited<ReturnType<typeof api.readMember>>[] = [];
      for (let i = 0; i < externalIds.length; i += 4) results.push(...(await Promise.all(externalIds.slice(i, i + 4).map((id) => api.readMember(id)))));
      const remote = results.flatMap((r) => (r && 'member' in r ? [r.member] : []));
      const skipped = results.flatMap((r) => (r && 'skipped' in r ? [r.skipped] : []));
      const readable = [...remote.map((r) => r.externalId), ...skipped.map((s) => s.externalId)];
      const finished = await em.fork().transactional(async (tem) => {
        const locked = await lockAccount(tem, accountId);
        if (!locked) throw new NotFoundError(`account ${accountId} not found`);
        const local = await loadLocalMembersByExternalId(tem, accountId, readable);
        const plan = planAuthoritative({
          remote,
          skipped,
          local,
          seatLimit: locked.seatLimit,
          breaker: { percent: locked.breakerPercent, minMembers: locked.breakerMinMembers },
          newId: randomUUID,
          setAside: { remoteTotal: remote.length, unchanged: 0, activeBefore: await countActive(tem, accountId) },
        });
        const now = clock.now();
        if (plan.hold) {
          await raiseEvent(tem, { accountId, event: 'run.held', dedupeKey: `run.held:${runId}`, payload: { runId, holdReason: plan.hold, counts: plan.counts } }, now);
          await insertChanges(tem, accountId, runId, plan.entries, 'planned', `run:${runId}`, now);
          return this.#finish(tem, runId, { status: 'held', counts: plan.counts, holdReason: plan.hold, planMembersVersion: locked.membersVersion, planReadVersion: locked.readVersion }, now);
        }
        const changed = plan.entries.filter((e) => e.isNew || e.changes.length > 0);
        await applyMemberStates(tem, accountId, 'psa', changed, now);
        await insertChanges(tem, accountId, runId, changed, 'applied', `run:${runId}`, now);
        return this.#finish(tem, runId, { status: 'succeeded', counts: { ...plan.counts, fetched: externalIds.length } }, now);
      });
      log.info({ members: externalIds.length, readable: readable.length, status: finished.status, counts: finished.counts }, 'callback run finished');
      this.#deps.onRunFinished?.(finished);
      return finished;
    } catch (err) {
      const e = toSyncError(err, newErrorId);
      log.warn({ kind: e.kind, error: e.message, ...(e.errorId ? { errorId: e.errorId, err: e.cause } : {}) }, 'callback run failed; nothing was changed (the daily sync stays the judge)');
      // A failed callback run is not a failure streak: the daily full sync judges the account's health.
      return (await finishRun(orm.em.fork(), runId, claimant, { status: 'failed', counts: null, errorKind: e.kind, errorMessage: e.message }, clock.now())) ?? undefined;
    }
  }

  /**
   * Checks settings against the PSA before an account is saved (the console's "test connection"):
   * authenticates and reads the member count, or the first page when the PSA gives no count.
   * Throws the SyncError a sync would (auth, network, …), whose words say what to fix.
   */
  async testConnection(integration: Integration, rawSettings: unknown): Promise<{ members: number | null }> {
    const connector = this.#deps.registry.get(integration);
    const settings = connector.parseSettings(rawSettings);
    if (connector.rosterPolicy === 'none') return { members: null };
    const context: ConnectorContext = { logger: this.#deps.logger, policy: this.#deps.httpPolicy, observer: this.#deps.observer, throttle: new ThrottleBudget(this.#deps.httpPolicy.rateLimitBudgetMs) };
    const reader = connector.createReader(settings, context);
    const count = await reader.expectedCount();
    if (count !== undefined) return { members: count };
    for await (const page of reader.pages()) return { members: page.members.length };
    return { members: 0 };
  }

  /** A reader for the account's PSA, from its sealed settings. */
  #readerFor(account: AccountRecord, logger: Logger): ConnectorReader {
    const connector = this.#deps.registry.get(account.integration);
    let settings: unknown;
    try {
      settings = connector.parseSettings(JSON.parse(this.#deps.secretBox().open(account.settingsSealed)));
    } catch (err) {
      throw new SyncError('config', `the account's ${connector.displayName} settings are unusable: ${(err as Error).message}`, { cause: err });
    }
    const context: ConnectorContext = { logger, policy: this.#deps.httpPolicy, observer: this.#deps.observer, throttle: new ThrottleBudget(this.#deps.httpPolicy.rateLimitBudgetMs) };
    return { psa: connector.displayName, reader: connector.createReader(settings, context) };
  }

  /**
   * Waits for a run another process is running. Undefined as soon as its lease lapses (that
   * process died: the caller recovers the run and claims the account); an error when it neither
   * finishes nor lapses in time, since a run still `running` is no outcome.
   */
  async #waitFor(runId: string): Promise<Omit<SyncResult, 'joined'> | undefined> {
    const em = this.#deps.orm.em.fork();
    const timeoutMs = this.#deps.joinTimeoutMs ?? 30 * 60_000;
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

  /**
   * Applies exactly the stored plan of a held run, if it is still the newest word on the account:
   * refused once a later run has read the PSA completely (the roster may have changed, as when an
   * empty read was held and the next sync read everyone), once members changed, and after 7 days.
   */
  async approve(runId: string, actor: string, reason: string | null = null): Promise<SyncResult> {
    requireId('run', runId);
    const { clock, orm } = this.#deps;
    const expired = await expireHeldRuns(orm.em.fork(), clock.now(), runId);
    if (expired.length > 0) {
      this.#deps.logger.info({ runId, accountId: expired[0]!.accountId }, 'held run expired undecided');
      throw new ConflictError(`run ${runId} was held more than 7 days ago and has expired; its plan was discarded. Run Sync Members to get a current plan`);
    }
    const run = await orm.em.fork().transactional(async (tem) => {
      const held = await this.#heldRun(tem, runId, 'approve');
      const account = await lockAccount(tem, held.accountId);
      if (!account) throw new NotFoundError(`account ${held.accountId} not found`);
      const plan = await getPlanVersions(tem, runId);
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
    this.#deps.logger.info({ runId, accountId: run.accountId, actor }, 'held run approved and applied');
    return { run, changes: await listRunChanges(orm.em.fork(), runId), joined: false };
  }

  /** Ends held runs left undecided for 7 days (`expired`); the scheduler calls this every tick. */
  async expireHeld(): Promise<RunView[]> {
    const expired = await expireHeldRuns(this.#deps.orm.em.fork(), this.#deps.clock.now());
    for (const run of expired) this.#deps.logger.info({ runId: run.id, accountId: run.accountId, ttlMs: HELD_RUN_TTL_MS }, 'held run expired undecided');
    return expired;
  }

  /** Discards a held run's plan; nothing is applied. */
  async reject(runId: string, actor: string, reason: string | null = null): Promise<SyncResult> {
    requireId('run', runId);
    const { clock, orm } = this.#deps;
    const run = await orm.em.fork().transactional(async (tem) => {
      const held = await this.#heldRun(tem, runId, 'reject');
      await setChangeState(tem, runId, 'planned', 'discarded');
      const now = clock.now();
      await recordAudit(tem, { accountId: held.accountId, actor, action: 'run.rejected', target: { type: 'run', id: runId }, before: { status: 'held' }, after: { status: 'rejected' }, reason }, now);
      return decideRun(tem, runId, 'rejected', actor, now);
    });
    this.#deps.logger.info({ runId, accountId: run.accountId, actor }, 'held run rejected');
    return { run, changes: await listRunChanges(orm.em.fork(), runId), joined: false };
  }

  async #heldRun(tem: EntityManager, runId: string, verb: string): Promise<RunView> {
    const run = await getRun(tem, runId, true);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    if (run.status !== 'held') throw new ConflictError(`run ${runId} is ${run.status}; only a held run can be ${verb === 'approve' ? 'approved' : 'rejected'}`);
    return run;
  }
}
