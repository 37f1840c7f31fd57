/**
 * Scheduler figure of `npm run bench`: A accounts × M members (default 1,000 × 50) all due at once,
 * two `psa-sync start` replicas (real child processes) on one database. Reports the time until every
 * account has synced, runs per replica, and duplicate runs (must be zero).
 * Usage (normally called by bench/run.ts): tsx bench/scheduler.ts DATABASE_URL [ACCOUNTS] [MEMBERS]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { FAKE_CREDENTIALS } from '../test/fakes/connectwise-fake.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface SchedulerFigure {
  accounts: number;
  members: number;
  replicas: number;
  maxConcurrentPerReplica: number;
  seconds: number;
  runs: number;
  duplicateRuns: number;
  failedRuns: number;
  runsByReplica: Record<string, number>;
}

function startReplica(name: string, env: Record<string, string>): { child: ChildProcess; claims: () => number; started: Promise<void> } {
  // The compiled CLI from `.bench-dist` (built by bench/run.ts), as a deployment runs it.
  const child = spawn(process.execPath, [path.join(ROOT, '.bench-dist/src/cli.js'), 'start'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PSA_SYNC_REPLICA: name, PORT: '0', LOG_LEVEL: 'info', PSA_SYNC_TICK_CRON: '* * * * * *' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let claims = 0;
  let onStart: () => void;
  const started = new Promise<void>((r) => (onStart = r));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.includes('"claimed run"')) claims++;
    else if (line.includes('psa-sync daemon started')) onStart();
  });
  return { child, claims: () => claims, started };
}

/** Runs the scheduler figure against a scratch database URL. */
export async function schedulerBench(databaseUrl: string, cwUrl: string, accounts = 1_000, members = 50): Promise<SchedulerFigure> {
  const secretKey = randomBytes(32).toString('base64');
  const env = parseEnv({ DATABASE_URL: databaseUrl, PSA_SYNC_SECRET_KEY: secretKey, LOG_LEVEL: 'warn' });
  const app = await createApp({ env, logger: createLogger('warn'), migrations: 'auto' });
  for (let i = 0; i < accounts; i++) {
    await app.accounts.add({ name: `Scheduler bench ${i}`, integration: 'connectwise', settings: { site: cwUrl, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } });
  }
  await app.close();

  const replicaEnv = { DATABASE_URL: databaseUrl, PSA_SYNC_SECRET_KEY: secretKey };
  const replicas = [startReplica('bench-a', replicaEnv), startReplica('bench-b', replicaEnv)];
  await Promise.all(replicas.map((r) => r.started));

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const t0 = performance.now();
  await db.query(`update account set next_sync_at = now() - interval '1 minute'`);
  for (;;) {
    const { rows } = await db.query(`select count(*)::int as n from sync_run where status not in ('queued', 'running')`);
    if (rows[0].n >= accounts) break;
    if (performance.now() - t0 > 15 * 60_000) throw new Error('scheduler bench did not finish within 15 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2_000)); // a few more ticks: nothing more may start
  const { rows: counts } = await db.query(`
    select count(*)::int as runs,
           count(*) filter (where status = 'failed')::int as failed,
           (select count(*)::int from (select account_id from sync_run group by account_id having count(*) > 1) d) as duplicates
      from sync_run`);
  await db.end();
  for (const r of replicas) r.child.kill('SIGTERM');
  await Promise.all(replicas.map((r) => new Promise((res) => (r.child.exitCode !== null ? res(null) : r.child.once('exit', res)))));
  return {
    accounts,
    members,
    replicas: replicas.length,
    maxConcurrentPerReplica: env.daemon.maxConcurrent,
    seconds,
    runs: counts[0].runs,
    duplicateRuns: counts[0].duplicates,
    failedRuns: counts[0].failed,
    runsByReplica: { 'bench-a': replicas[0]!.claims(), 'bench-b': replicas[1]!.claims() },
  };
}
