import cron, { type ScheduledTask } from 'node-cron';
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { InputError } from '../core/errors.js';
import { buildServer } from '../web/server.js';
import { Scheduler, within } from './scheduler.js';
import { INTEGRATIONS } from '../connector/contract.js';
import { raiseAutoAddDigests, raiseStale } from '../notify/events.js';
import { DEFAULT_PRUNE_AGES, pruneOnce } from '../db/prune-repository.js';

/**
 * In embedded mode nothing else would bring the database back: every 2 s the daemon checks that
 * its PostgreSQL runs, and starts it again (same data, same address) if it died.
 */
function watchEmbedded(app: App): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    app
      .embedded!.ensureRunning()
      .then(
        (state) => {
          if (state === 'restarted') app.logger.warn('embedded PostgreSQL had stopped; started it again');
        },
        (err: unknown) => app.logger.error({ err }, 'embedded PostgreSQL had stopped and could not be started again; will retry'),
      )
      .finally(() => (busy = false));
  }, 2_000);
  timer.unref();
  return timer;
}

export interface DaemonOptions {
  /** Overrides of the environment's settings (`Env.daemon`). */
  maxConcurrent?: number;
  tickCron?: string;
  shutdownGraceMs?: number;
  /** Listen for HTTP (default true). */
  http?: boolean;
}

/** A running daemon: the HTTP API and the scheduler of this replica. */
export interface Daemon {
  scheduler: Scheduler;
  server: FastifyInstance | null;
  /** The address the API listens on, e.g. http://127.0.0.1:8080. */
  url: string | null;
  /** Graceful stop: no new claims, running syncs finish (bounded), then the API closes. */
  stop(): Promise<void>;
}

/** Starts the scheduler and the HTTP API on an app whose database is migrated. */
export async function startDaemon(app: App, opts: DaemonOptions = {}): Promise<Daemon> {
  const settings = { ...app.env.daemon, ...opts };
  if (!cron.validate(settings.tickCron)) throw new InputError(`PSA_SYNC_TICK_CRON is not a valid cron expression: "${settings.tickCron}"`);
  const scheduler = new Scheduler({ orm: app.orm, engine: app.engine, clock: app.clock, logger: app.logger, maxConcurrent: settings.maxConcurrent });
  let server: FastifyInstance | null = null;
  let url: string | null = null;
  if (opts.http !== false) {
    server = await buildServer(app);
    url = await server.listen({ port: app.env.port, host: app.env.host });
  }
  const task: ScheduledTask = cron.schedule(settings.tickCron, () => Promise.all([scheduler.tick(), notifyTick()]), { name: 'psa-sync-tick', noOverlap: true });
  // Rows that only grow (callback ids, sign-in throttles, old sessions, expired links in the
  // outbox) are pruned on the same minute's sweep, in bounded batches; a failure waits a minute.
  const prune = async () => {
    try {
      const counts = await pruneOnce(app.orm.em.fork(), app.clock.now(), { ...DEFAULT_PRUNE_AGES, sessionIdleMs: app.env.sessions.idleMinutes * 60_000 });
      if (Object.values(counts).some((n) => n > 0)) app.logger.info(counts, 'pruned old rows');
    } catch (err) {
      app.logger.warn({ err }, 'pruning old rows failed; retrying in a minute');
    }
  };
  // Notifications ride the same tick: stale accounts and yesterday's digests are looked for once a
  // minute (set-based, idempotent), deliveries every tick. Any replica may do either.
  let lastSweep = 0;
  const notifyTick = async () => {
    try {
      if (Date.now() - lastSweep >= 60_000) {
        lastSweep = Date.now();
        await prune();
        const scheduled = INTEGRATIONS.filter((i) => app.registry.has(i) && app.registry.get(i).rosterPolicy !== 'none');
        await raiseStale(app.orm.em.fork(), app.clock.now(), [...scheduled]);
        await raiseAutoAddDigests(app.orm.em.fork(), app.clock.now());
      }
      await app.callbacks.processQueue();
      await app.notifications.runOnce();
    } catch (err) {
      app.logger.debug({ err }, 'notification tick failed; retrying next tick');
    }
    // Its own step, so a failing delivery never stops it: unfolded lines would pile up, and every report reads them.
    try {
      // Ratings recorded since the last tick join the reports' rollups (reports read them meanwhile too).
      await app.ratings.fold();
    } catch (err) {
      app.logger.warn({ err }, 'folding new ratings into the report rollups failed; retrying next tick');
    }
  };
  void scheduler.tick();
  void notifyTick();
  app.callbacks.setAutoProcessing(true);
  const watchdog = app.embedded ? watchEmbedded(app) : undefined;
  app.logger.info({ url, claimant: app.engine.claimant }, 'psa-sync daemon started');

  let stopping: Promise<void> | undefined;
  return {
    scheduler,
    server,
    url,
    stop() {
      stopping ??= (async () => {
        const deadline = Date.now() + settings.shutdownGraceMs;
        if (watchdog) clearInterval(watchdog);
        app.callbacks.setAutoProcessing(false);
        await task.stop();
        await task.destroy();
        // Keep a little of the grace period for closing the API and the database.
        await scheduler.stop(Math.max(0, settings.shutdownGraceMs - Math.min(2_000, settings.shutdownGraceMs / 4)));
        if (server) await within(server.close(), deadline);
        app.logger.info('psa-sync daemon stopped');
      })();
      return stopping;
    },
  };
}
