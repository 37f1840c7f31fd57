/**
 * `npm run bench -- --members`: the members table at scale (issue 10, item 8). On an account of
 * 100,000 members (BENCH_MEMBERS_N): server time of a filtered, sorted page (a name fragment,
 * Active only, sorted by name) over many fragments, and a bulk uncheck of 10,000 matching members
 * beside one raw UPDATE of the same rows on an identical account, measured in the same run; and
 * the console's Members page (issue 11) for every sort, order and filter, first and next page.
 */
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { insertMembers } from '../src/db/member-repository.js';
import { exec } from '../src/db/sql.js';
import { NO_PROFILE, type MemberState } from '../src/domain/member.js';
import { buildServer } from '../src/web/server.js';
import { listHeldMail } from '../src/db/mail-repository.js';

/** Signs an admin in to the console the way a person does: invitation, the outbox's link, a password. */
async function adminSession(app: Awaited<ReturnType<typeof createApp>>, server: Awaited<ReturnType<typeof buildServer>>, accountId: string): Promise<string> {
  const [member] = (await app.members.page(accountId, { limit: '1', active: 'true' })).members;
  const { person } = await app.people.invite(accountId, { memberId: member!.id, role: 'admin' }, 'bench');
  const [mail] = await listHeldMail(app.orm.em.fork(), person.email, 1);
  const token = /\/activate\/([\w-]+)/.exec(mail!.text)![1]!;
  const res = await server.inject({ method: 'POST', url: '/api/v1/auth/activate', payload: { token, password: 'Bench-Pass-1' } });
  const cookie = res.cookies.find((c) => c.name === 'psa_session');
  if (!cookie) throw new Error(`could not sign in: ${res.body}`);
  return `psa_session=${cookie.value}`;
}

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
        ...NO_PROFILE,
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

  // The console's Members page (issue 11): every sort, both orders, under each filter, and the next
  // page of each; server time of the whole HTML page, signed in as an admin.
  const cookie = await adminSession(app, server, accounts[0]!);
  const filters = ['', 'q=ada', 'active=false', 'source=import', 'role=none', 'list=all', 'q=member04&active=true'];
  const consoleTimes: { ms: number; view: string }[] = [];
  for (const filter of filters) {
    for (const sort of ['name', 'email', 'firstSeenAt', 'active', 'source', 'list']) {
      for (const order of ['asc', 'desc']) {
        let url = `/accounts/${accounts[0]}/members?${filter}&sort=${sort}&order=${order}`;
        for (let pageNo = 0; pageNo < 2; pageNo++) {
          const t0 = performance.now();
          const res = await server.inject({ method: 'GET', url, headers: { cookie } });
          const ms = performance.now() - t0;
          if (res.statusCode !== 200) throw new Error(`console page failed: ${res.statusCode} ${res.body.slice(0, 300)}`);
          consoleTimes.push({ ms, view: url });
          const next = /href="([^"]+)">Next page</.exec(res.body)?.[1];
          if (!next) break;
          url = next.replace(/&amp;/g, '&');
        }
      }
    }
  }
  consoleTimes.sort((a, b) => a.ms - b.ms);
  const cp = (q: number) => consoleTimes[Math.min(consoleTimes.length - 1, Math.floor(consoleTimes.length * q))]!.ms;
  const slowest = consoleTimes.at(-1)!;

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
    `  console Members page (${consoleTimes.length} views: ${filters.length} filters × 6 sorts × 2 orders, first and next page): server time p50 ${cp(0.5).toFixed(1)} ms, p95 ${cp(0.95).toFixed(1)} ms, slowest ${slowest.ms.toFixed(1)} ms (${decodeURIComponent(slowest.view.split('?')[1] ?? '')}) (target: every view < 300 ms: ${slowest.ms < 300 ? 'met' : 'MISSED'})`,
    `  bulk uncheck of the members matching a filter: ${changed.toLocaleString('en')} changed in ${bulkMs} ms; one raw UPDATE of ${ids.length.toLocaleString('en')} rows: ${rawMs} ms; ${(bulkMs / rawMs).toFixed(2)}× (target ≤ 2×: ${bulkMs <= 2 * rawMs ? 'met' : 'MISSED'})`,
  ];
}
