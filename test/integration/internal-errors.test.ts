import { setupServer } from 'msw/node';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers } from '../fakes/connectwise-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, memoryLogger, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/db.js';

const SITE = 'https://internal.myconnectwise.test';
const server = setupServer();
const fake = new ConnectWiseFake(cwMembers(2));
const log = memoryLogger('error');
let t: TestApp;
let api: FastifyInstance;

/** Database internals that must never reach a person: statements, bound values, stacks. */
const LEAKS = /\b(select|insert|update|delete)\b.*\b(from|into|set)\b|greatest\(|poison-\d+|\bat .*\.(ts|js):\d+/i;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  server.use(...fakeHandlers(SITE, fake));
  t = await createTestApp({ logger: log.logger });
  api = await buildServer(t.app);
  // A database fault whose message carries row data, raised inside the statements a sync and an admin run.
  await query(
    t.url,
    `create function poison() returns trigger language plpgsql as $$
     begin
       if new.name like 'Poison%' then raise exception 'value poison-% refused', length(new.name); end if;
       return new;
     end $$`,
  );
  await query(t.url, 'create trigger poison before insert or update on member for each row execute function poison()');
});
afterAll(async () => {
  server.close();
  await api.close();
  await t.close();
});
afterEach(() => fake.setMembers(cwMembers(2)));

/** A synced account with one member whose name the database then refuses in any write. */
async function poisonedMember(name: string) {
  const account = await addCwAccount(t.app, SITE);
  await t.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
  const [member] = await t.app.members.list(account.id);
  await query(t.url, `alter table member disable trigger poison`);
  await query(t.url, `update member set name = $2 where id = $1`, [member!.id, name]);
  await query(t.url, `alter table member enable trigger poison`);
  return { account, member: member! };
}

const logged = (errorId: string) => log.lines().filter((l) => l.errorId === errorId);

describe('internal errors never carry SQL or row data (issue 9, item 5)', () => {
  it('a sync that hits a database fault fails as internal with an error id that finds the detail in the server log', async () => {
    const account = await addCwAccount(t.app, SITE);
    fake.setMembers([...cwMembers(2), cwMember(3, { firstName: 'Poison', lastName: 'Pill' })]);
    const { run } = await t.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
    expect(run.status).toBe('failed');
    expect(run.error!.kind).toBe('internal');
    expect(run.error!.message).not.toMatch(LEAKS);
    const errorId = /error id (err_[0-9a-f]+)/.exec(run.error!.message)?.[1];
    expect(errorId).toBeDefined();
    const lines = logged(errorId!);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain('poison-');
    const stored = await t.app.runs.show(run.id!);
    expect(stored.run.error!.message).toBe(run.error!.message);
    expect(await query(t.url, 'select count(*)::int as n from member where account_id = $1', [account.id])).toEqual([{ n: 0 }]);
  });

  it('an API request that hits one answers 500 with only an error id and a message to act on', async () => {
    const { account, member } = await poisonedMember('Poison Ivy');
    const { token } = await t.app.tokens.create({ role: 'admin', accountId: account.id });
    const res = await api.inject({ method: 'PATCH', url: `/api/v1/accounts/${account.id}/members/${member.id}`, headers: { authorization: `Bearer ${token}` }, payload: { active: false } });
    expect(res.statusCode).toBe(500);
    const body = res.json() as { error: { code: string; message: string; errorId: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.errorId).toMatch(/^err_[0-9a-f]+$/);
    expect(body.error.message).toContain(body.error.errorId);
    expect(res.body).not.toMatch(LEAKS);
    expect(JSON.stringify(logged(body.error.errorId))).toContain('poison-');
  });

  it('the CLI prints one line with the error id and exits 1', async () => {
    const { account, member } = await poisonedMember('Poison Oak');
    const res = await runCli(['members', 'set-active', account.id, member.id, 'false'], { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY });
    expect(res.code).toBe(1);
    const reason = res.stderr.split('\n').filter((l) => l.startsWith('psa-sync: '));
    expect(reason).toHaveLength(1);
    expect(reason[0]).toMatch(/error id err_[0-9a-f]+/);
    expect(reason[0]).not.toMatch(LEAKS);
    const errorId = /error id (err_[0-9a-f]+)/.exec(reason[0]!)![1]!;
    const detail = res.stderr.split('\n').filter((l) => l.includes(errorId) && l.startsWith('{'));
    expect(detail.join('')).toContain('poison-');
  });
});
