/**
 * One measured benchmark step, run in a fresh process so its peak RSS is its own.
 * Usage: step.ts fetch|upsert|sync  (config in BENCH_* environment variables). Prints JSON.
 * With BENCH_WARMUP_ACCOUNT_ID, the process first does the same work, unmeasured, on that small
 * account, so the measured run is a steady-state one, as in the long-running daemon.
 */
import pg from 'pg';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { DEFAULT_HTTP_POLICY } from '../src/connector/http.js';
import { createLogger } from '../src/core/logger.js';
import { getAccount } from '../src/db/account-repository.js';
import type { RemoteMember } from '../src/connector/contract.js';

const step = process.argv[2];
const databaseUrl = process.env.BENCH_DATABASE_URL!;
const accountId = process.env.BENCH_ACCOUNT_ID!;
const warmupAccountId = process.env.BENCH_WARMUP_ACCOUNT_ID;
const env = parseEnv({ DATABASE_URL: databaseUrl, PSA_SYNC_SECRET_KEY: process.env.BENCH_SECRET_KEY, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const logger = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn');
// Every PSA request, for the figures that count them (Autotask's hourly limit).
let requests = 0;
const observer = { onRequest: () => void requests++ };
const app = await createApp({ env, logger, observer });
let statements = 0;
app.orm.em.getKnex().on('query', () => statements++);

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function fetchAll(id = accountId): Promise<RemoteMember[]> {
  const account = (await getAccount(app.orm.em.fork(), id))!;
  const connector = app.registry.get(account.integration);
  const { SecretBox } = await import('../src/core/secret-box.js');
  const settings = connector.parseSettings(JSON.parse(new SecretBox(process.env.BENCH_SECRET_KEY!).open(account.settingsSealed)));
  const reader = connector.createReader(settings, { logger, policy: DEFAULT_HTTP_POLICY, observer });
  const members: RemoteMember[] = [];
  for await (const page of reader.pages()) members.push(...page.members);
  await reader.expectedCount();
  return members;
}

async function upsertAll(client: pg.Client, members: RemoteMember[], id: string) {
  const now = new Date();
  const rows = members.map((m) => ({
    id: crypto.randomUUID(),
    external_id: m.externalId,
    identifier: m.identifier,
    name: m.name,
    email: m.email,
    active: m.active,
    list: m.active ? 'staff' : 'inactive_synced',
    psa_active: m.active,
    department: m.profile?.department ?? null,
    work_role: m.profile?.workRole ?? null,
    location: m.profile?.location ?? null,
    title: m.profile?.title ?? null,
    hire_date: m.profile?.hireDate ?? null,
  }));
  return client.query(
    `insert into member_floor (id, account_id, external_id, identifier, name, email, source, active, list, psa_active,
                               admin_inactive, department, work_role, location, title, hire_date, first_seen_at, last_seen_at, updated_at)
     select x.id, $1, x.external_id, x.identifier, x.name, x.email, 'psa', x.active, x.list, x.psa_active, false,
            x.department, x.work_role, x.location, x.title, x.hire_date, $2, $2, $2
       from jsonb_to_recordset($3::jsonb) as x(id uuid, external_id text, identifier text, name text, email text, active boolean, list text, psa_active boolean,
                                              department text, work_role text, location text, title text, hire_date date)
     on conflict (account_id, external_id) where external_id is not null
     do update set identifier = excluded.identifier, name = excluded.name, email = excluded.email, department = excluded.department, work_role = excluded.work_role,
                   location = excluded.location, title = excluded.title, hire_date = excluded.hire_date, updated_at = excluded.updated_at`,
    [id, now, JSON.stringify(rows)],
  );
}

const sync = (id: string) => app.engine.sync(id, { trigger: 'manual', requestedBy: 'bench', withChanges: false });

let result: Record<string, unknown>;
if (step === 'fetch') {
  if (warmupAccountId) await fetchAll(warmupAccountId);
  requests = 0;
  const t0 = performance.now();
  const members = await fetchAll();
  result = { ms: performance.now() - t0, fetched: members.length, statements: 0, memberRows: 0, requests };
} else if (step === 'upsert') {
  const members = await fetchAll();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('drop table if exists member_floor; create table member_floor (like member including all)');
  if (warmupAccountId) {
    await upsertAll(client, await fetchAll(warmupAccountId), warmupAccountId);
    await client.query('truncate member_floor');
  }
  const t0 = performance.now();
  const res = await upsertAll(client, members, accountId);
  result = { ms: performance.now() - t0, statements: 1, memberRows: res.rowCount };
  await client.query('drop table member_floor');
  await client.end();
} else {
  if (warmupAccountId) await sync(warmupAccountId);
  const startedAt = new Date();
  const before = statements;
  requests = 0;
  const t0 = performance.now();
  const { run } = await sync(accountId);
  const ms = performance.now() - t0;
  const sqlDuring = statements - before;
  const [{ n }] = (await app.orm.em.fork().execute('select count(*)::int as n from member where account_id = ? and updated_at >= ?', [accountId, startedAt])) as [{ n: number }];
  const [{ c }] = (await app.orm.em.fork().execute('select count(*)::int as c from member_change where run_id = ?', [run.id])) as [{ c: number }];
  result = { ms, status: run.status, counts: run.counts, statements: sqlDuring, memberRows: n, changeRows: c, error: run.error, requests };
}
result.rssMb = rssMb();
await app.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
