import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { SyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Orm } from '../db/orm.js';
import { claimDueAccounts, claimQueuedRuns } from '../db/schedule-repository.js';
import type { RunView } from '../db/views.js';
import type { SyncEngine } from '../reconcile/engine.js';
import { nextDailySync } from '../schedule/daily.js';

export interface SchedulerOptions {
  orm: Orm;
  engine: SyncEngine;
  clock: Clock;
  logger: Logger;
  /** Runs this replica executes at once; the rest wait for the next tick (or another replica). */
  maxConcurrent: number;
}

/** Waits for `work` until `deadline` (epoch ms); true when it settled in time. */
export async function within(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = work.then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))));
  const result = await Promise.race([settled, late]);
  clearTimeout(timer);
  return result;
}

/**
 * One replica's share of the work. Each tick fails runs whose claimant died, then claims queued
 * runs (Sync Members) and due accounts from PostgreSQL up to its free slots, and runs them.
 * Claims are made by the database (skip-locked selection and the one-active-run index), so any
 * number of replicas can tick together.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #ticking: Promise<number> | null = null;
  #stopping = false;
  /** A tick was asked for while one ran: run another right after, so freed slots refill at once. */
  #again = false;
  /** When ticks started failing (the database is away): one log line per outage, not one per tick. */
  #failingSince: number | null = null;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
  }

  get running(): number {
    return this.#inFlight.size;
  }

  /** Claims and starts what is due; resolves with the number of runs started (not finished). */
  tick(): Promise<number> {
    if (this.#stopping) return Promise.resolve(0);
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = this.#tick().finally(() => {
      this.#ticking = null;
      if (this.#again) {
        this.#again = false;
        void this.tick();
      }
    });
    return this.#ticking;
  }

  async #tick(): Promise<number> {
    const { orm, engine, clock, logger, maxConcurrent } = this.#opts;
    try {
      await engine.recoverExpired();
      await engine.expireHeld();
      const claim = { claimant: engine.claimant, leaseMs: engine.leaseMs };
      const queued = await claimQueuedRuns(orm.em.fork(), { ...claim, now: clock.now(), limit: maxConcurrent - this.#inFlight.size });
      for (const run of queued) this.#start(run);
      if (this.#stopping) return queued.length;
      const due = await orm.em.fork().transactional((tem) =>
        claimDueAccounts(tem, { ...claim, now: clock.now(), limit: maxConcurrent - this.#inFlight.size, newId: randomUUID, nextSyncAt: nextDailySync }),
      );
      for (const run of due) this.#start(run);
      if (this.#failingSince !== null) {
        logger.info({ downForS: Math.round((Date.now() - this.#failingSince) / 1000) }, 'scheduler ticks work again');
        this.#failingSince = null;
      }
      return queued.length + due.length;
    } catch (err) {
      if (this.#failingSince === null) {
        this.#failingSince = Date.now();
        logger.error({ err }, 'scheduler tick failed (is the database reachable?); retrying every tick quietly until it works');
      } else {
        logger.debug({ err }, 'scheduler tick failed again');
      }
      return 0;
    }
  }

  #start(run: RunView): void {
    const { engine, logger } = this.#opts;
    logger.info({ runId: run.id, accountId: run.accountId, trigger: run.trigger }, 'claimed run');
    const done = engine
      .executeClaimed(run.accountId, run.id!, { signal: this.#abort.signal, withChanges: false })
      .then(
        (result) => logger.info({ runId: run.id, accountId: run.accountId, status: result.run.status }, 'run finished'),
        (err: unknown) => logger.error({ err, runId: run.id, accountId: run.accountId }, 'run crashed'),
      )
      .finally(() => {
        this.#inFlight.delete(run.id!);
        // A slot is free: claim more now rather than at the next cron tick.
        if (!this.#stopping) void this.tick();
      });
    this.#inFlight.set(run.id!, done);
  }

  /** Resolves when every run this replica started has ended. */
  async idle(): Promise<void> {
    while (this.#ticking || this.#inFlight.size > 0) {
      await this.#ticking;
      await Promise.all([...this.#inFlight.values()]);
    }
  }

  /**
   * Stops claiming, lets running syncs finish for up to `graceMs`, then cancels them: a cancelled
   * run fails as `interrupted` having applied nothing, and is queued again for another replica.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const deadline = Date.now() + graceMs;
    // A tick stuck on an unreachable database must not hold up shutdown.
    await within(this.#ticking ?? Promise.resolve(), deadline);
    const all = Promise.all([...this.#inFlight.values()]);
    if (!(await within(all, deadline))) {
      this.#opts.logger.warn({ running: this.#inFlight.size }, 'shutdown grace period over; cancelling running syncs');
      this.#abort.abort(new SyncError('interrupted', 'the daemon shut down before this sync finished; nothing was applied and the sync was queued again'));
      // Cancelled runs record their failure; give them a moment, but a dead database cannot make us wait.
      await within(all, Date.now() + Math.min(2_000, Math.max(200, graceMs / 5)));
    }
  }
}
