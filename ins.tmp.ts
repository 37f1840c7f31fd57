import pg from 'pg';
import { randomUUID } from 'node:crypto';
const [A, M] = process.argv.slice(2);
const url = 'postgres://postgres@127.0.0.1:5432/psa_ratings_prof';
const members = (await (async () => { const c = new pg.Client({ connectionString: url }); await c.connect(); const r = await c.query('select id from member where account_id = $1', [A]); await c.end(); return r.rows.map((x) => x.id); })());
async function run(label: string, setup: string | null, seconds = 5, conc = 16) {
  const pool = new pg.Pool({ connectionString: url, max: conc });
  if (setup) pool.on('connect', (c) => void c.query(setup));
  let n = 0; const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: conc }, async () => {
    while (Date.now() < end) {
      const i = n++;
      await pool.query({ name: 'ins', text: `insert into survey_event (id, account_id, ticket, respondent, rating, agent_email, member_id, matched_by, channel, signed, clicks, created_at, updated_at, client)
        values ($1, $2, $3, '', $4, 'x@y.z', $5, 'email', 'link', false, 1, now(), now(), $6)`, values: [randomUUID(), A, randomUUID(), i % 11, members[(i * 7919) % members.length], `Client ${i % 5}`] });
    }
  }));
  await pool.end();
  return n / seconds;
}
const res: Record<string, number[]> = {};
const c = new pg.Client({ connectionString: url }); await c.connect();
for (let r = 0; r < 3; r++) {
  for (const [label, setup, disable] of [['all', null, false], ['none', 'set session_replication_role = replica', false], ['fk', null, true]] as const) {
    if (disable) await c.query('alter table survey_event disable trigger survey_event_rollup_insert');
    (res[label] ??= []).push(await run(label, setup, 4));
    if (disable) await c.query('alter table survey_event enable trigger survey_event_rollup_insert');
  }
}
await c.end();
for (const [k, v] of Object.entries(res)) console.log(k, v.sort((a, b) => a - b).map((x) => x.toFixed(0)).join(' '), 'median', v[1]!.toFixed(0));
