import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/** The Active box in bulk (issue 10, item 8): one transaction, the seat limit and PSA rules honoured. */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
const fake = new ConnectWiseFake();
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(fake);
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

async function account(members: ReturnType<typeof cwMembers>, seatLimit?: number) {
  fake.setMembers(members);
  const { id } = await addCwAccount(t.app, cw.url, { seatLimit });
  await t.app.engine.sync(id, { trigger: 'manual', requestedBy: 'setup' });
  token = (await t.app.tokens.create({ role: 'admin', accountId: id })).token;
  return id;
}
const bulk = (accountId: string, payload: object) =>
  server.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/members/bulk`, headers: { authorization: `Bearer ${token}` }, payload });
const activeCount = async (accountId: string) => (await query(t.url, 'select count(*)::int as n from member where account_id = $1 and active', [accountId]))[0]!.n as number;

describe('POST /api/v1/accounts/:id/members/bulk', () => {
  it('unchecks the given members (sticky, with history), then re-checks them up to the seat limit, saying who was refused and why', async () => {
    const id = await account([...cwMembers(6), cwMember(7, { inactiveFlag: true })], 6);
    const members = await t.app.members.list(id, 'all');
    const byExt = Object.fromEntries(members.map((m) => [m.externalId, m]));
    const off = await bulk(id, { active: false, memberIds: ['1', '2', '3'].map((e) => byExt[e]!.id) });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toEqual({ changed: 3, refused: [] });
    expect(await activeCount(id)).toBe(3);
    const history = await t.app.members.explain(id, byExt['1']!.id);
    expect(history.history.at(-1)).toMatchObject({ action: 'admin_unchecked', reason: 'set_by_admin', actor: expect.stringContaining('token:') });

    // Fill two seats by hand-waving the limit down to 5: three members want back in, two seats are free.
    await t.app.accounts.update(id, { seatLimit: 5 });
    const on = await bulk(id, { active: true, memberIds: ['1', '2', '3', '7'].map((e) => byExt[e]!.id) });
    const result = on.json() as { changed: number; refused: { memberId: string; code: string; reason: string }[] };
    expect(result.changed).toBe(2);
    expect(result.refused.map((r) => [r.memberId, r.code])).toEqual(
      expect.arrayContaining([
        [byExt['7']!.id, 'psa_inactive'],
        [expect.any(String), 'seat_limit'],
      ]),
    );
    expect(result.refused.find((r) => r.code === 'seat_limit')!.reason).toBe("seat limit of 5 Active members reached; uncheck another member or raise the plan's limit");
    expect(result.refused.find((r) => r.code === 'psa_inactive')!.reason).toContain('is inactive in ConnectWise');
    expect(await activeCount(id)).toBe(5);
  });

  it('acts on every member matching a filter, and reports ids it does not know', async () => {
    const id = await account(cwMembers(12));
    const res = await bulk(id, { active: false, filter: { q: 'user1' } }); // user1, user10, user11, user12
    expect(res.json()).toEqual({ changed: 4, refused: [] });
    expect(await activeCount(id)).toBe(8);
    const unknown = await bulk(id, { active: true, memberIds: ['3f2a9c1e-0000-4000-8000-000000000000'] });
    expect(unknown.json()).toMatchObject({ changed: 0, refused: [{ memberId: '3f2a9c1e-0000-4000-8000-000000000000', code: 'not_found' }] });
  });

  it('refuses loose input by name', async () => {
    const id = await account(cwMembers(2));
    for (const [payload, message] of [
      [{ active: 'false', memberIds: ['x'] }, 'body.active must be boolean'],
      [{ active: false }, 'give either memberIds or filter'],
      [{ active: false, memberIds: ['nope'] }, '"nope" is not a valid member id'],
      [{ active: false, filter: { sort: 'salary' } }, 'sort must be one of'],
      [{ active: false, memberIds: [], extra: 1 }, 'body has unknown field "extra"'],
    ] as [object, string][]) {
      const res = await bulk(id, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.message).toContain(message);
    }
    expect(await activeCount(id)).toBe(2);
  });

  it('unchecks every one of 10,000 matching members in one transaction', async () => {
    const id = await account(cwMembers(10_000));
    const started = Date.now();
    const res = await bulk(id, { active: false, filter: { list: 'staff' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().changed).toBe(10_000);
    expect(await activeCount(id)).toBe(0);
    expect((await query(t.url, `select count(*)::int as n from member_change where account_id = $1 and action = 'admin_unchecked'`, [id]))[0]!.n).toBe(10_000);
    // A later sync keeps every one of them inactive (admin decisions stick).
    const { run } = await t.app.engine.sync(id, { trigger: 'manual', requestedBy: 'test' });
    expect(run.counts).toMatchObject({ keptInactiveByAdmin: 10_000 });
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
