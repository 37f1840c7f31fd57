/**
 * `npm run bench -- --autotask [N]`: an Autotask first sync of N resources (default 10,000) beside
 * its floor measured in the same run: fetching everything the sync fetches (the connector's own
 * read: zone, license labels, lookups, every page, the count) plus one raw bulk upsert of the same
 * rows. BENCH_AT_RUNS (default 5) first syncs, one per account on one roster, taking turns with as
 * many runs of each floor, each in a fresh process that first does the same work on a
 * 100-resource warm-up account; medians compared.
 * Also the requests the first sync made: Autotask shares 10,000 an hour per database among every
 * integration, so the target is at most the pages read (Resources and ResourceRoleDepartments)
 * plus 5.
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

async function firstLine(child: ChildProcess): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  for await (const line of rl) return line;
  throw new Error('child printed nothing');
}

export async function autotaskBench(o: { compiledDir: string; root: string; databaseUrl: string; secretKey: string; n: number; runs: number }): Promise<string[]> {
  const run = (script: string, args: string[], env: Record<string, string> = {}) =>
    spawn(process.execPath, [path.join(o.compiledDir, script), ...args], { cwd: o.root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
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

  const step = async (name: 'fetch' | 'upsert' | 'sync', accountId: string, warmupId: string): Promise<StepResult & { stats: Stats }> => {
    const before = await stats();
    const child = run('bench/step.js', [name], { BENCH_DATABASE_URL: o.databaseUrl, BENCH_ACCOUNT_ID: accountId, BENCH_SECRET_KEY: o.secretKey, BENCH_WARMUP_ACCOUNT_ID: warmupId });
    const result = JSON.parse(await firstLine(child)) as StepResult;
    await new Promise((r) => child.once('close', r));
    const after = await stats();
    const byPath: Record<string, number> = {};
    for (const [p, c] of Object.entries(after.byPath)) if (c - (before.byPath[p] ?? 0) > 0) byPath[p] = c - (before.byPath[p] ?? 0);
    return { ...result, stats: { ...after, byPath } };
  };
  const median = <T extends { ms: number }>(runs: T[]) => [...runs].sort((a, b) => a.ms - b.ms)[runs.length >> 1]!;

  console.error(`Autotask benchmark: N=${o.n.toLocaleString('en')} resources, first sync against fetch + raw upsert…`);
  // The three steps take turns, so drift on the machine weighs on the floors and the syncs alike.
  const upserts = [];
  const fetches = [];
  const firsts = [];
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
  const other = Object.entries(first.stats.byPath).filter(([p]) => !/\/(Resources|ResourceRoleDepartments)\/query$/.test(p)).map(([p, c]) => `${p.replace(/^.*\/v1\.0\//, '')} ${c}`);
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `Autotask first sync, N=${o.n.toLocaleString('en')} resources (${first.stats.roleDepartments.toLocaleString('en')} department memberships); medians of ${o.runs} runs each, taking turns, every run in a fresh process after a 100-resource warm-up`,
    `  floor: fetch everything the sync reads  ${fmt(fetched.ms)}  (runs ${fetches.map((r) => fmt(r.ms)).join(', ')}; ${fetched.requests} requests)`,
    `  floor: raw bulk upsert                  ${fmt(upsert.ms)}  (runs ${upserts.map((r) => fmt(r.ms)).join(', ')}; ${upsert.memberRows} rows)`,
    `  first sync                              ${fmt(first.ms)}  (runs ${firsts.map((r) => fmt(r.ms)).join(', ')}; status ${first.status}; ${first.statements} SQL statements, ${first.memberRows} member rows, ${first.changeRows} change rows, peak RSS ${first.rssMb} MB)`,
    `  ratio to floor: ${(first.ms / floor).toFixed(2)}× (target ≤ 1.5×: ${first.ms <= 1.5 * floor ? 'met' : 'MISSED'})`,
    `  requests: ${total} = ${pages} pages (Resources ${resourcePages}, ResourceRoleDepartments ${rrdPages}) + ${total - pages} others (${other.join(', ')}); target ≤ pages + 5: ${total <= pages + 5 ? 'met' : 'MISSED'}`,
    ...firsts.filter((r) => r.status !== 'succeeded').map((r) => `WARNING: a first sync ended ${r.status}: ${JSON.stringify(r.error)}`),
  ];
}
