/**
 * `npm run bench -- --survey`: throughput and p99 latency of recording survey ratings, driven from
 * this process (a second process, on loopback) against psa-sync's compiled HTTP server, beside the
 * floor measured in the same run: a bare Fastify route doing one INSERT of the same row on the same
 * database. A rating is recorded by the POST a person's browser sends from the link's page
 * (`GET /s/:key` only shows that page, so mail scanners record nothing); every request carries a
 * new ticket and an agent email that matches a member. Runs alternate floor / psa-sync.
 *
 * With `ratingsFloors` (`--ratings`, issue 18: "recording a rating stays within 0.7× the
 * survey-intake floor — no regression from keeping any aggregate current"), the floor is measured
 * three ways on the same table, in turn: the survey-intake floor without the aggregate (the INSERT
 * with its foreign-key checks, the rollup's trigger disabled for the run; the table's columns and
 * indexes, the ratings' two among them, stay as they are),
 * with the rollup's trigger (what the table pays today), and firing no trigger at all (no
 * foreign-key checks either). Recording is judged against the first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';

export interface SurveyBenchOptions {
  root: string;
  compiledDir: string;
  databaseUrl: string;
  secretKey: string;
  /** Seconds each measured run lasts. */
  seconds: number;
  /** Requests in flight at once. */
  concurrency: number;
  runs: number;
  /**
   * Measure the floor without the ratings rollup's trigger (the survey-intake floor as it was
   * before the aggregate; the judge), with it, and with no trigger at all.
   */
  ratingsFloors?: boolean;
}

interface RunResult {
  eventsPerS: number;
  p99Ms: number;
  p50Ms: number;
  errors: number;
}

function startServer(o: SurveyBenchOptions, mode: 'psa' | 'floor', env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_SURVEY_PROFILE=DIR writes a CPU profile of each server there (for finding where the time goes).
  const profile = process.env.BENCH_SURVEY_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SURVEY_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, path.join(o.compiledDir, 'bench/survey-server.js'), mode], {
    cwd: o.root,
    env: { ...process.env, BENCH_DATABASE_URL: o.databaseUrl, BENCH_SECRET_KEY: o.secretKey, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (url) => resolve({ child, url }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

/** Keeps `concurrency` POSTs in flight for `seconds`; each with a fresh ticket. */
async function drive(url: string, accountKey: string, emails: string[], o: SurveyBenchOptions, tag: string): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const end = Date.now() + o.seconds * 1000;
  const once = () =>
    new Promise<void>((resolve) => {
      const i = n++;
      const query = `rating=${i % 11}&ticket=${tag}-${i}&agent_email=${encodeURIComponent(emails[i % emails.length]!)}`;
      const started = process.hrtime.bigint();
      const req = http.request(
        { host: target.hostname, port: target.port, method: 'POST', path: `/s/${accountKey}?${query}`, agent, headers: { accept: 'application/json', 'user-agent': 'Mozilla/5.0 (bench) Firefox/140.0' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (Date.now() < end) await once();
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { eventsPerS: (latencies.length - errors) / elapsed, p99Ms: pct(0.99), p50Ms: pct(0.5), errors };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const summary = (runs: RunResult[]) => ({ eps: median(runs.map((r) => r.eventsPerS)), p99: median(runs.map((r) => r.p99Ms)), p50: median(runs.map((r) => r.p50Ms)) });
const describe = (label: string, runs: RunResult[]) => {
  const m = summary(runs);
  return `  ${label}: ${m.eps.toFixed(0)} events/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms`;
};
/** Runs alternate, so each psa-sync run is judged against the floor run of the same round: the median of those ratios holds up better on a shared machine than a ratio of two medians. */
const ratioTo = (psa: RunResult[], floor: RunResult[]) => median(psa.map((r, i) => r.eventsPerS / floor[i]!.eventsPerS));
const runByRun = (psa: RunResult[], floor: RunResult[]) => psa.map((r, i) => (r.eventsPerS / floor[i]!.eventsPerS).toFixed(2)).join(', ');
const eventsPerS = (runs: RunResult[]) => runs.map((r) => r.eventsPerS.toFixed(0)).join(', ');

export async function surveyBench(o: SurveyBenchOptions): Promise<string[]> {
  // A snippet account with 500 members, as imported at setup; clicks name them by email.
  const env = parseEnv({ DATABASE_URL: o.databaseUrl, PSA_SYNC_SECRET_KEY: o.secretKey, LOG_LEVEL: 'warn' });
  const setup = await createApp({ env, logger: createLogger('warn'), migrations: 'auto' });
  const account = await setup.accounts.add({ name: 'Survey bench', integration: 'snippet', settings: {} });
  const emails = Array.from({ length: 500 }, (_, i) => `agent${i}@bench.test`);
  await setup.imports.import(account.id, JSON.stringify(emails.map((email, i) => ({ name: `Agent ${i}`, email }))), 'json', 'bench');
  await setup.close();

  // Switches the ratings rollup's trigger between runs (never during one): the floor's runs
  // without it measure the INSERT as it was before the aggregate existed.
  const ddl = o.ratingsFloors ? new pg.Client({ connectionString: o.databaseUrl }) : undefined;
  const rollup = (on: boolean) => ddl!.query(`alter table survey_event ${on ? 'enable' : 'disable'} trigger survey_event_rollup_insert`);
  const servers: { child: ChildProcess; url: string }[] = [];
  const start = async (mode: 'psa' | 'floor', env: Record<string, string>) => {
    const server = await startServer(o, mode, env);
    servers.push(server);
    return server;
  };
  try {
    await ddl?.connect();
    const psa = await start('psa', {});
    const floor = await start('floor', { BENCH_ACCOUNT_ID: account.id });
    const bare = o.ratingsFloors ? await start('floor', { BENCH_ACCOUNT_ID: account.id, BENCH_FLOOR_NO_TRIGGERS: '1' }) : undefined;
    // Warm them up (JIT, connection pools) before measuring.
    await drive(floor.url, account.publicKey, emails, { ...o, seconds: 2 }, 'warm-floor');
    if (bare) await drive(bare.url, account.publicKey, emails, { ...o, seconds: 2 }, 'warm-bare');
    await drive(psa.url, account.publicKey, emails, { ...o, seconds: 2 }, 'warm-psa');
    const floorRuns: RunResult[] = [];
    const intakeRuns: RunResult[] = [];
    const bareRuns: RunResult[] = [];
    const psaRuns: RunResult[] = [];
    for (let r = 0; r < o.runs; r++) {
      if (bare) {
        bareRuns.push(await drive(bare.url, account.publicKey, emails, o, `bare${r}`));
        floorRuns.push(await drive(floor.url, account.publicKey, emails, o, `floor${r}`));
        // The judge runs right before the psa-sync run it judges, with no fold of earlier lines left
        // for the psa server's timer to do during it.
        await ddl!.query('select psa_rating_fold()');
        await rollup(false);
        intakeRuns.push(await drive(floor.url, account.publicKey, emails, o, `intake${r}`));
        await rollup(true);
      } else floorRuns.push(await drive(floor.url, account.publicKey, emails, o, `floor${r}`));
      psaRuns.push(await drive(psa.url, account.publicKey, emails, o, `psa${r}`));
    }
    const p = summary(psaRuns);
    const errors = psaRuns.reduce((n, r) => n + r.errors, 0);
    const recording = `  psa-sync POST /s/:key (records a rating, keeps the rollup): ${p.eps.toFixed(0)} events/s, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, ${errors} errors`;
    const heading = `survey intake: ${o.runs} runs of ${o.seconds} s each, ${o.concurrency} requests in flight, from a second process on loopback (medians)`;
    if (!bare) {
      const ratio = ratioTo(psaRuns, floorRuns);
      return [
        heading,
        describe('floor (bare Fastify route, one INSERT)', floorRuns),
        recording,
        `  all runs: floor ${eventsPerS(floorRuns)}; psa-sync ${eventsPerS(psaRuns)} events/s; run by run ${runByRun(psaRuns, floorRuns)}`,
        `  recording = ${ratio.toFixed(2)}× the floor, the median run-by-run ratio (target ≥ 0.70×: ${ratio >= 0.7 ? 'met' : 'MISSED'})`,
      ];
    }
    const ratio = ratioTo(psaRuns, intakeRuns);
    return [
      heading,
      describe('survey-intake floor (bare Fastify route, one INSERT with its foreign-key checks, the rollup trigger off; the table and its indexes as they are)', intakeRuns),
      describe('floor with the rollup trigger (the same INSERT, paying what the table pays now)', floorRuns),
      describe('floor firing no trigger at all (no foreign-key checks, no rollup)', bareRuns),
      recording,
      `  all runs: survey-intake floor ${eventsPerS(intakeRuns)}; with the rollup ${eventsPerS(floorRuns)}; no trigger ${eventsPerS(bareRuns)}; psa-sync ${eventsPerS(psaRuns)} events/s`,
      `  run by run, psa-sync / survey-intake floor: ${runByRun(psaRuns, intakeRuns)}`,
      `  what the rollup's trigger costs the floor's INSERT: with it = ${ratioTo(floorRuns, intakeRuns).toFixed(2)}× without it; psa-sync = ${ratioTo(psaRuns, floorRuns).toFixed(2)}× the floor with it, ${ratioTo(psaRuns, bareRuns).toFixed(2)}× the no-trigger floor`,
      `  recording = ${ratio.toFixed(2)}× the survey-intake floor, the median run-by-run ratio (target ≥ 0.70×: ${ratio >= 0.7 ? 'met' : 'MISSED'})`,
    ];
  } finally {
    // The trigger back on and every server stopped, whatever failed on the way.
    if (ddl) await rollup(true).then(() => ddl.end()).catch((err: unknown) => console.error('could not switch the rollup trigger back on:', err));
    const exited = servers.map(({ child }) => new Promise((r) => child.once('exit', r)));
    for (const { child } of servers) child.kill('SIGTERM');
    await Promise.all(exited);
  }
}
