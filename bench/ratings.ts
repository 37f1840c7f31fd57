/**
 * `npm run bench -- --ratings`: ratings at scale (issue 18). An account of 1,000 members
 * (BENCH_RATINGS_MEMBERS) and 1,000,000 ratings (BENCH_RATINGS_N) over the last year, each member
 * serving a handful of 200 clients, bulk-loaded with one INSERT … SELECT over generate_series (in a
 * session with triggers off) and then rolled up by the product's own path: a change of the
 * account's time zone, which rebuilds its per-day rollup. Then, server time over many repetitions
 * (p50 and p95; target p95 < 300 ms): the API's 90-day summary grouped by engineer and by day (as
 * an admin, and as an account manager narrowed to all engineers but one and all clients but one),
 * the individual ratings' first page, and the employee dashboard for different employees. Last,
 * the survey intake (bench/survey.ts) on this database, with the rollup kept current, beside the
 * survey-intake floor as it was before the rollup (the INSERT with its foreign-key checks, the
 * rollup's trigger off), which it is judged against (issue 18: within 0.7× of it), and beside the
 * floor with the rollup's trigger and with no trigger at all.
 */
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { insertMembers } from '../src/db/member-repository.js';
import { exec } from '../src/db/sql.js';
import { NO_PROFILE, type MemberState } from '../src/domain/member.js';
import { addDays } from '../src/domain/rating-query.js';
import { buildServer } from '../src/web/server.js';
import { surveyBench, type SurveyBenchOptions } from './survey.js';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function timed(runs: number, fn: (i: number) => Promise<void>): Promise<{ p50: number; p95: number; max: number }> {
  for (let i = 0; i < 3; i++) await fn(i); // warm-up: plans, caches
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50: pct(ms, 0.5), p95: pct(ms, 0.95), max: ms.at(-1)! };
}

export async function ratingsBench(o: Omit<SurveyBenchOptions, 'ratingsFloors'>): Promise<string[]> {
  const MEMBERS = Number(process.env.BENCH_RATINGS_MEMBERS ?? 1_000);
  const N = Number(process.env.BENCH_RATINGS_N ?? 1_000_000);
  const RUNS = Number(process.env.BENCH_RATINGS_RUNS ?? 40);
  const env = parseEnv({ DATABASE_URL: o.databaseUrl, PSA_SYNC_SECRET_KEY: o.secretKey, LOG_LEVEL: 'warn' });
  const app = await createApp({ env, logger: createLogger('warn'), migrations: 'auto' });
  const lines: string[] = [];
  try {
    const account = await app.accounts.add({ name: 'Ratings bench', integration: 'snippet', settings: {}, timezone: 'UTC' });
    const members = Array.from({ length: MEMBERS }, (_, i) => {
      const state: MemberState = { externalId: String(i + 1), identifier: null, name: `Engineer ${String(i).padStart(4, '0')}`, email: `engineer${i}@bench.test`, active: true, list: 'staff', psaActive: null, inactiveReason: null, adminInactive: false, ...NO_PROFILE };
      return { id: randomUUID(), state };
    });
    await app.orm.em.fork().transactional((tem) => insertMembers(tem, account.id, 'import', members, new Date()));

    // 1,000,000 ratings over the last 365 days: member g % MEMBERS, one of its five clients, mostly good ratings, one in ten with a comment.
    const loadStarted = Date.now();
    await app.orm.em.fork().transactional(async (tem) => {
      await exec(tem, 'set local session_replication_role = replica');
      await exec(
        tem,
        `with m as (select array_agg(id order by external_id::int) as ids from member where account_id = ?)
         insert into survey_event (id, account_id, ticket, respondent, rating, agent_email, member_id, matched_by, channel, signed, clicks, created_at, updated_at, client, comment)
         select gen_random_uuid(), ?, 'B' || g, '', r.rating, 'engineer' || (g % ?) || '@bench.test', m.ids[1 + g % ?], 'email', 'link', false, 1, t.at, t.at,
                'Client ' || lpad((((g % ?) * 7 + (g / ?) % 5) % 200)::text, 3, '0'), case when g % 10 = 0 then 'Comment ' || g end
           from generate_series(1, ?) g cross join m
           cross join lateral (select now() - random() * interval '365 days' + g * interval '0 s' as at) t
           cross join lateral (select case when random() < 0.7 then 7 + floor(random() * 4)::int when random() < 0.6 then 4 + floor(random() * 3)::int else floor(random() * 4)::int end + 0 * g as rating) r`,
        [account.id, account.id, MEMBERS, MEMBERS, MEMBERS, MEMBERS, N],
      );
    });
    const loadedMs = Date.now() - loadStarted;
    // The product's own path builds the rollup: a new time zone re-buckets the account's ratings.
    const rollStarted = Date.now();
    await app.accounts.update(account.id, { timezone: 'America/New_York' }, 'bench');
    const rollMs = Date.now() - rollStarted;
    const em = app.orm.em.fork();
    await exec(em, 'vacuum analyze survey_event');
    await exec(em, 'vacuum analyze rating_day');
    const [rollup] = await exec<{ rows: number }>(em, 'select count(*)::int as rows from rating_day where account_id = ?', [account.id]);
    const [recent] = await exec<{ n: number }>(em, "select count(*)::int as n from survey_event where account_id = ? and created_at > now() - interval '90 days'", [account.id]);
    lines.push(
      `ratings: ${MEMBERS.toLocaleString('en')} members, ${N.toLocaleString('en')} ratings over 365 days (${recent!.n.toLocaleString('en')} in the last 90), 200 clients; loaded in ${(loadedMs / 1000).toFixed(1)} s, rollup built by the time-zone change in ${(rollMs / 1000).toFixed(1)} s (${rollup!.rows.toLocaleString('en')} rows); ${RUNS} timed runs each (after 3 warm-ups), server time`,
    );

    const server = await buildServer(app);
    const admin = (await app.tokens.create({ role: 'admin', accountId: account.id })).token;
    const today = new Date().toISOString().slice(0, 10);
    const from = addDays(today, -89);
    const memberIds = members.map((m) => m.id);
    const manager = { kind: 'token' as const, id: 'bench', name: 'bench', role: 'account_manager' as const, accountId: account.id, memberScope: { mode: 'exclude' as const, ids: memberIds.slice(0, 1) }, clientScope: { mode: 'exclude' as const, names: ['Client 000'] } };
    const get = async (url: string) => {
      const res = await server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin}` } });
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      return res;
    };
    const summaryUrl = (groupBy: string) => `/api/v1/accounts/${account.id}/ratings/summary?from=${from}&to=${today}&groupBy=${groupBy}`;
    const figures: [string, { p50: number; p95: number; max: number }][] = [];
    figures.push(['90-day summary by engineer (API, admin)', await timed(RUNS, async () => void (await get(summaryUrl('member'))))]);
    figures.push(['90-day summary by day (API, admin)', await timed(RUNS, async () => void (await get(summaryUrl('day'))))]);
    figures.push(['90-day summary by week (API, admin)', await timed(RUNS, async () => void (await get(summaryUrl('week'))))]);
    figures.push(['90-day summary by client (API, admin)', await timed(RUNS, async () => void (await get(summaryUrl('client'))))]);
    figures.push(['90-day summary by engineer, manager narrowed (all engineers but one, all clients but one)', await timed(RUNS, async () => void (await app.ratings.summary(account.id, { from, to: today, groupBy: 'member' }, manager)))]);
    figures.push(['90-day ratings, first page of 50 (API, admin)', await timed(RUNS, async () => void (await get(`/api/v1/accounts/${account.id}/ratings?from=${from}&to=${today}`)))]);
    figures.push([
      'employee dashboard (figures, 90-day trend, newest 50 ratings)',
      await timed(RUNS, async (i) => {
        const id = memberIds[(i * 37) % memberIds.length]!;
        await app.ratings.dashboard(account.id, { kind: 'session', id: 'bench', name: 'bench', role: 'employee', accountId: account.id, memberScope: { mode: 'include', ids: [id] } });
      }),
    ]);
    for (const [label, f] of figures) lines.push(`  ${label}: p50 ${f.p50.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms, max ${f.max.toFixed(1)} ms (target p95 < 300 ms: ${f.p95 < 300 ? 'met' : 'MISSED'})`);
    const csvStarted = Date.now();
    const csv = await app.ratings.csv(account.id, { from, to: today });
    let bytes = 0;
    for await (const chunk of csv.chunks) bytes += chunk.length;
    lines.push(`  90-day CSV export: ${(bytes / 1e6).toFixed(1)} MB in ${((Date.now() - csvStarted) / 1000).toFixed(1)} s`);
    await server.close();
  } finally {
    await app.close();
  }
  // Recording with the rollup kept current, on this database (1M ratings in the table and its indexes).
  lines.push(...(await surveyBench({ ...o, ratingsFloors: true })));
  return lines;
}
