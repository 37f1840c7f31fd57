/**
 * `npm run bench -- --autotask [N]`: an Autotask first sync of N resources (default 10,000) beside
 * its floor measured in the same run: fetching everything the sync fetches (the connector's own
 * read: zone, license labels, lookups, every page, the count) plus one raw bulk upsert of the same
 * rows. BENCH_AT_RUNS (default 5) first syncs, one per account on one roster, taking turns with as
 * many runs of each floor, each in a fresh process that first does the same work on a
 * 100-resource warm-up account; medians compared.
 * Also the requests the first sync made: Autotask shares 10,000 an hour per database among every
 * integration, so the target is at most the pages read (Resources and ResourceRoleDepartments)
 * plus 5. And where a first sync's time goes, from its own log lines (info: three a run): reading
 * the PSA, planning and applying, and the rest (claiming and finishing the run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { AT_CREDENTIALS } from '../test/fakes/autotask-fake.js';

type StepResult = { ms: number; statements: number; memberRows: number; changeRows?: number; rssMb: number; requests?: number; status?: string; error?: unknown };
type Stats = { byPath: Record<string, number>; roleDepartments: number };
type Phases = { readMs?: number; applyMs?: number };

/** The measured run's phases from the step's log lines; other lines that are not info pass through to stderr. */
async function phasesOf(child: ChildProcess, accountId: string): Promise<Phases> {
  const phases: Phases = {};
  for await (const line of createInterface({ input: child.stderr! })) {
    let entry: { level?: number; accountId?: string; msg?: string; ms?: number } | undefined;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      entry = undefined;
    }
    if (!entry || (entry.level ?? 50) > 30) process.stderr.write(`${line}\n`);
    else if (entry.accountId === accountId && entry.msg === 'read PSA roster') phases.readMs = entry.ms;
    else if (entry.accountId === accountId && (entry.msg === 'applied plan' || entry.msg === 'run held for approval')) phases.applyMs = entry.ms;
  }
  return phases;
}

async function firstLine(child: ChildProcess): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  for await (const line of rl) return line;
  throw new Error('child printed nothing');
}

export async function autotaskBench(o: { compiledDir: string; root: string; databaseUrl: string; secretKey: string; n: number; runs: number }): Promise<string[]> {
  const run = (script: string, args: string[], env: Record<string, string> = {}, stderr: 'inherit' | 'pipe' = 'inherit') =>
    spawn(process.execPath, [path.join(o.compiledDir, script), ...args], { cwd: o.root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] });
  const server = run('bench/at-server.js', [String(o.n)]);
  const url = await firstLine(server);
  const warmServer = run('bench/at-server.js', ['100']);
  const warmUrl = await firstLine(warmServer);
  const stats = async (): Promise<Stats> => (await fetch(`${url}/__control/stats`)).json() as Promise<Stats>;

  const env = parseEnv({ DATABASE_URL: o.databaseUrl, PSA_SYNC_SECRET_KEY: o.secretKey, LOG_LEVEL: 'warn' });
  const setup = await createApp({ env, logger: createLogger('warn'), migrations: 'auto' });
  const settings = (base: string) => ({ ...AT_CREDENTIALS, discoveryUrl: `${base}/atservicesrest/` });
  const accounts: string[] = [];
  const warmups: string[] = [];
  for (let i = 1; i <= o.runs; i++) {
    accounts.push((await setup.accounts.add({ name: `Bench Autotask ${i}`, integration: 'autotask', settings: settings(url) })).id);
    warmups.push((await setup.accounts.add({ name: `Warm-up Autotask ${i}`, integration: 'autotask', settings: settings(warmUrl) })).id);
  }
  await setup.close();

  const step = async (name: 'fetch' | 'upsert' | 'sync', accountId: string, warmupId: string): Promise<StepResult & { stats: Stats; phases: Phases }> => {
    const before = await stats();
    const env = { BENCH_DATABASE_URL: o.databaseUrl, BENCH_ACCOUNT_ID: accountId, BENCH_SECRET_KEY: o.secretKey, BENCH_WARMUP_ACCOUNT_ID: warmupId };
    // A sync logs its phases at info level.
    const child = name === 'sync' ? run('bench/step.js', [name], { ...env, BENCH_LOG_LEVEL: 'info' }, 'pipe') : run('bench/step.js', [name], env);
    const phases = name === 'sync' ? phasesOf(child, accountId) : Promise.resolve({});
    const result = JSON.parse(await firstLine(child)) as StepResult;
    await new Promise((r) => child.once('close', r));
    const after = await stats();
    const byPath: Record<string, number> = {};
    for (const [p, c] of Object.entries(after.byPath)) if (c - (before.byPath[p] ?? 0) > 0) byPath[p] = c - (before.byPath[p] ?? 0);
    return { ...result, stats: { ...after, byPath }, phases: await phases };
  };
  const median = <T extends { ms: number }>(runs: T[]) => [...runs].sort((a, b) => a.ms - b.ms)[runs.length >> 1]!;

  console.error(`Autotask benchmark: N=${o.n.toLocaleString('en')} resources, first sync against fetch + raw upsert…`);
  // The three steps take turns, so drift on the machine weighs on the floors and the syncs alike.
  const upserts = [];
  const fetches = [];
  const firsts: Awaited<ReturnType<typeof step>>[] = [];
  for (let i = 0; i < o.runs; i++) {
    upserts.push(await step('upsert', accounts[0]!, warmups[0]!));
    fetches.push(await step('fetch', accounts[0]!, warmups[0]!));
    firsts.push(await step('sync', accounts[i]!, warmups[i]!));
  }
  server.kill('SIGTERM');
  warmServer.kill('SIGTERM');

  const upsert = median(upserts);
  const fetched = median(fetches);
  const first = median(firsts);
  const floor = fetched.ms + upsert.ms;
  const count = (r: { stats: Stats }, pattern: RegExp) => Object.entries(r.stats.byPath).filter(([p]) => pattern.test(p)).reduce((s, [, c]) => s + c, 0);
  const total = count(first, /./);
  const resourcePages = count(first, /\/Resources\/query$/);
  const rrdPages = count(first, /\/ResourceRoleDepartments\/query$/);
  const pages = resourcePages + rrdPages;
  const byPhase = (f: (p: Phases, ms: number) => number | undefined) => firsts.map((r) => f(r.phases, r.ms)).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
  const phase = (name: string, f: (p: Phases, ms: number) => number | undefined) => {
    const all = byPhase(f);
    return all.length === 0 ? `${name} ?` : `${name} ${fmt(all[all.length >> 1]!)} (runs ${all.map(fmt).join(', ')})`;
  };
  const other = Object.entries(first.stats.byPath).filter(([p]) => !/\/(Resources|ResourceRoleDepartments)\/query$/.test(p)).map(([p, c]) => `${p.replace(/^.*\/v1\.0\//, '')} ${c}`);
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `Autotask first sync, N=${o.n.toLocaleString('en')} resources (${first.stats.roleDepartments.toLocaleString('en')} department memberships); medians of ${o.runs} runs each, taking turns, every run in a fresh process after a 100-resource warm-up`,
    `  floor: fetch everything the sync reads  ${fmt(fetched.ms)}  (runs ${fetches.map((r) => fmt(r.ms)).join(', ')}; ${fetched.requests} requests)`,
    `  floor: raw bulk upsert                  ${fmt(upsert.ms)}  (runs ${upserts.map((r) => fmt(r.ms)).join(', ')}; ${upsert.memberRows} rows)`,
    `  first sync                              ${fmt(first.ms)}  (runs ${firsts.map((r) => fmt(r.ms)).join(', ')}; status ${first.status}; ${first.statements} SQL statements, ${first.memberRows} member rows, ${first.changeRows} change rows, peak RSS ${first.rssMb} MB)`,
    `  first sync phases, medians: ${phase('read the PSA', (p) => p.readMs)}; ${phase('plan and apply', (p) => p.applyMs)}; ${phase('the rest (claim, finish)', (p, ms) => (p.readMs === undefined || p.applyMs === undefined ? undefined : ms - p.readMs - p.applyMs))}`,
    `  ratio to floor: ${(first.ms / floor).toFixed(2)}× (target ≤ 1.5×: ${first.ms <= 1.5 * floor ? 'met' : 'MISSED'})`,
    `  requests: ${total} = ${pages} pages (Resources ${resourcePages}, ResourceRoleDepartments ${rrdPages}) + ${total - pages} others (${other.join(', ')}); target ≤ pages + 5: ${total <= pages + 5 ? 'met' : 'MISSED'}`,
    ...firsts.filter((r) => r.status !== 'succeeded').map((r) => `WARNING: a first sync ended ${r.status}: ${JSON.stringify(r.error)}`),
  ];
}
