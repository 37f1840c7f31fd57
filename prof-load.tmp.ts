import { randomUUID, randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from './src/app.js';
import { parseEnv } from './src/config/env.js';
import { createLogger } from './src/core/logger.js';
import { insertMembers } from './src/db/member-repository.js';
import { exec } from './src/db/sql.js';
const name = 'psa_ratings_prof';
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
await admin.query(`drop database if exists ${name} with (force)`);
await admin.query(`create database ${name}`);
await admin.end();
const env = parseEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}`, PSA_SYNC_SECRET_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' });
const app = await createApp({ env, logger: createLogger('warn'), migrations: 'auto' });
const account = await app.accounts.add({ name: 'Ratings bench', integration: 'snippet', settings: {}, timezone: 'UTC' });
const members = Array.from({ length: 1000 }, (_, i) => ({ id: randomUUID(), state: { externalId: String(i + 1), identifier: null, name: `Engineer ${i}`, email: `engineer${i}@bench.test`, active: true, list: 'staff' as const, psaActive: null, inactiveReason: null, adminInactive: false } }));
await app.orm.em.fork().transactional((tem) => insertMembers(tem, account.id, 'import', members, new Date()));
await app.orm.em.fork().transactional(async (tem) => {
  await exec(tem, 'set local session_replication_role = replica');
  await exec(tem, `with m as (select array_agg(id order by external_id::int) as ids from member where account_id = ?)
   insert into survey_event (id, account_id, ticket, respondent, rating, agent_email, member_id, matched_by, channel, signed, clicks, created_at, updated_at, client, comment)
   select gen_random_uuid(), ?, 'B' || g, '', r.rating, 'engineer' || (g % 1000) || '@bench.test', m.ids[1 + g % 1000], 'email', 'link', false, 1, t.at, t.at,
          'Client ' || lpad((((g % 1000) * 7 + (g / 1000) % 5) % 200)::text, 3, '0'), case when g % 10 = 0 then 'Comment ' || g end
     from generate_series(1, 1000000) g cross join m
     cross join lateral (select now() - random() * interval '365 days' + g * interval '0 s' as at) t
     cross join lateral (select case when random() < 0.7 then 7 + floor(random() * 4)::int when random() < 0.6 then 4 + floor(random() * 3)::int else floor(random() * 4)::int end + 0 * g as rating) r`, [account.id, account.id]);
});
await app.accounts.update(account.id, { timezone: 'America/New_York' }, 'bench');
await exec(app.orm.em.fork(), 'vacuum analyze');
console.log(account.id, members[5]!.id);
await app.close();
