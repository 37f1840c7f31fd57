/**
 * A server for the survey benchmark, in its own process: `psa` runs psa-sync's HTTP server (the
 * composition root, compiled, as deployed) and folds new ratings into the rollups every 2 s, as the
 * daemon's tick does; `floor` is a bare Fastify route that does one INSERT
 * of the same survey row on the same database (crediting the member the agent email names, as
 * psa-sync does). Prints its URL on the first line of stdout.
 * Config: BENCH_DATABASE_URL, BENCH_SECRET_KEY, BENCH_ACCOUNT_ID, BENCH_FLOOR_NO_TRIGGERS.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { buildServer } from '../src/web/server.js';

const mode = process.argv[2];
// Exit normally on SIGTERM, so a --cpu-prof profile is written.
process.on('SIGTERM', () => {
  if (process.env.BENCH_SURVEY_CPU) {
    const { user, system } = process.cpuUsage();
    console.error(`${mode} server CPU: user ${(user / 1e6).toFixed(1)} s, system ${(system / 1e6).toFixed(1)} s`);
  }
  process.exit(0);
});
const databaseUrl = process.env.BENCH_DATABASE_URL!;

if (mode === 'psa') {
  const env = parseEnv({ DATABASE_URL: databaseUrl, PSA_SYNC_SECRET_KEY: process.env.BENCH_SECRET_KEY, LOG_LEVEL: 'warn', PORT: '0' });
  const app = await createApp({ env, logger: createLogger('warn') });
  // The limits are per minute and would stop a load test at once; everything else is as deployed.
  const server = await buildServer(app, { surveyLimits: { perIpPerMinute: 100_000_000, perAccountPerMinute: 100_000_000 } });
  // The daemon's tick (every 2 s by default) folds new ratings into the rollups: part of keeping them current.
  const fold = () => setTimeout(() => void app.ratings.fold().catch((err: unknown) => console.error('fold failed', err)).finally(fold), 2_000).unref();
  fold();
  console.log(await server.listen({ port: 0, host: '127.0.0.1' }));
} else {
  // BENCH_FLOOR_NO_TRIGGERS: the INSERT fires no trigger at all (no foreign-key checks, no ratings
  // rollup), set for each connection as it opens.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, ...(process.env.BENCH_FLOOR_NO_TRIGGERS ? { options: '-c session_replication_role=replica' } : {}) });
  const accountId = process.env.BENCH_ACCOUNT_ID!;
  // The row psa-sync would write: the member the click's agent email names (read once, at start).
  const memberOf = new Map((await pool.query<{ id: string; email: string }>('select id, email from member where account_id = $1', [accountId])).rows.map((r) => [r.email.toLowerCase(), r.id]));
  const server = Fastify();
  server.post<{ Params: { key: string }; Querystring: Record<string, string> }>('/s/:key', async (req) => {
    const now = new Date();
    await pool.query(
      `insert into survey_event (id, account_id, ticket, respondent, rating, agent_email, member_id, matched_by, channel, signed, clicks, created_at, updated_at)
       values ($1, $2, $3, '', $4, $5, $6, 'email', 'link', false, 1, $7, $7)`,
      [randomUUID(), accountId, req.query.ticket, Number(req.query.rating), req.query.agent_email, memberOf.get(req.query.agent_email!.toLowerCase()) ?? null, now],
    );
    return { recorded: true };
  });
  console.log(await server.listen({ port: 0, host: '127.0.0.1' }));
}
