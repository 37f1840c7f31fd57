import cron, { type ScheduledTask } from 'node-cron';
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { InputError } from '../core/errors.js';
import { buildServer } from '../http/server.js';
import { Scheduler } from './scheduler.js';

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
  const task: ScheduledTask = cron.schedule(settings.tickCron, () => scheduler.tick(), { name: 'psa-sync-tick', noOverlap: true });
  void scheduler.tick();
  app.logger.info({ url, claimant: app.engine.claimant }, 'psa-sync daemon started');

  let stopping: Promise<void> | undefined;
  return {
    scheduler,
    server,
    url,
    stop() {
      stopping ??= (async () => {
        await task.stop();
        await task.destroy();
        await scheduler.stop(settings.shutdownGraceMs);
        await server?.close();
        app.logger.info('psa-sync daemon stopped');
      })();
      return stopping;
    },
  };
}
