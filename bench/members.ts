/**
 * `npm run bench -- --members`: the members table at scale (issue 10, item 8). On an account of
 * 100,000 members (BENCH_MEMBERS_N): server time of a filtered, sorted page (a name fragment,
 * Active only, sorted by name) over many fragments, and a bulk uncheck of 10,000 matching members
 * beside one raw UPDATE of the same rows on an identical account, measured in the same run.
 */
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { insertMembers } from '../src/db/member-repository.js';
import { exec } from '../src/db/sql.js';
import type { MemberState } from '../src/domain/member.js';
import { buildServer } from '../src/http/server.js';

export async function membersBench(databaseUrl: string, secretKey: string): Promise<string[]> {
  const N = Number(process.env.BENCH_MEMBERS_N ?? 100_000);
  const env = parseEnv({ DATABASE_URL: databaseUrl, PSA_SYNC_SECRET_KEY: secretKey, LOG_LEVEL: 'warn' });
  const app = await createApp({ env, logger: createLogger('warn'), migrations: 'auto' });
  const first = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Linus', 'Radia'];
  // Two identical accounts: one for psa-sync's bulk change, one for the raw UPDATE floor.
  const accounts: string[] = [];
  for (const n of [1, 2]) {
    const account = await app.accounts.add({ name: `Members bench ${n}`, integration: 'snippet', settings: {} });
    const members = Array.from({ length: N }, (_, i) => {
      const state: MemberState = {
        externalId: String(i + 1),
        identifier: `user${i + 1}`,
        name: `${first[i % first.length]} Member${String(i).padStart(6, '0')}`,
        email: `member${i}@bench.test`,
        active: i % 7 !== 0,
        list: 'staff',
        psaActive: true,
        inactiveReason: i % 7 !== 0 ? null : 'admin',
        adminInactive: i % 7 === 0,
      };
      return { id: randomUUID(), state };
    });
    await app.orm.em.fork().transactional((tem) => insertMembers(tem, account.id, 'import', members, new Date()));
    accounts.push(account.id);
  }
  await exec(app.orm.em.fork(), 'analyze member');
  const server = await buildServer(app);
  const token = (await app.tokens.create({ role: 'admin', accountId: accounts[0]! })).token;

  // Filtered, sorted pages: a name fragment, Active only, sorted by name; many fragments, server time.
  const fragments = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? first[i % first.length]!.toLowerCase().slice(0, 3) : `member0${String(i * 37 % 1000).padStart(3, '0')}`));
  const times: number[] = [];
  for (const [i, q] of fragments.entries()) {
    const t0 = performance.now();
    const res = await server.inject({ method: 'GET', url: `/api/v1/accounts/${accounts[0]}/members?q=${q}&active=true&sort=name${i % 2 ? '&order=desc' : ''}`, headers: { authorization: `Bearer ${token}` } });
    if (res.statusCode !== 200) throw new Error(`page failed: ${res.body}`);
    times.push(performance.now() - t0); // in-process: the server's time, without a network
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))]!;

  // Bulk: 10,000 members matching a filter ("member01" … the ones numbered 010000–019999).
  const started = Date.now();
  const bulk = await server.inject({ method: 'POST', url: `/api/v1/accounts/${accounts[0]}/members/bulk`, headers: { authorization: `Bearer ${token}` }, payload: { active: false, filter: { q: 'member01', list: 'all' } } });
  const bulkMs = Date.now() - started;
  const changed = (bulk.json() as { changed: number }).changed;
  const ids = (await exec<{ id: string }>(app.orm.em.fork(), `select id from member where account_id = ? and lower(name) like '%member01%'`, [accounts[1]])).map((r) => r.id);
  const rawStarted = Date.now();
  await exec(app.orm.em.fork(), `update member set active = false, admin_inactive = true, inactive_reason = 'admin', updated_at = now() where account_id = ? and id = any(?::uuid[])`, [accounts[1], ids]);
  const rawMs = Date.now() - rawStarted;
  await server.close();
  await app.close();
  return [
    `members table: ${N.toLocaleString('en')} members`,
    `  filtered, sorted page (name fragment, Active only, by name; ${times.length} pages): server time p50 ${p(0.5).toFixed(1)} ms, p95 ${p(0.95).toFixed(1)} ms (target p95 < 50 ms: ${p(0.95) < 50 ? 'met' : 'MISSED'})`,
    `  bulk uncheck of the members matching a filter: ${changed.toLocaleString('en')} changed in ${bulkMs} ms; one raw UPDATE of ${ids.length.toLocaleString('en')} rows: ${rawMs} ms; ${(bulkMs / rawMs).toFixed(2)}× (target ≤ 2×: ${bulkMs <= 2 * rawMs ? 'met' : 'MISSED'})`,
  ];
}
