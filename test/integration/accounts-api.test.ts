import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** Account endpoints (issue 10, item 8): read by every role within its reach, changed by admins. */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountA: string;
let accountB: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(new ConnectWiseFake(cwMembers(6)));
  accountA = (await addCwAccount(t.app, cw.url, { seatLimit: 10 })).id;
  accountB = (await addCwAccount(t.app, cw.url)).id;
  await t.app.engine.sync(accountA, { trigger: 'manual', requestedBy: 'setup' });
  tokens.admin = (await t.app.tokens.create({ role: 'admin', accountId: accountA })).token;
  tokens.manager = (await t.app.tokens.create({ role: 'account_manager', accountId: accountA })).token;
  tokens.support = (await t.app.tokens.create({ role: 'support' })).token;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const call = (method: 'GET' | 'PATCH', url: string, token: string, payload?: object) =>
  server.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

describe('GET /api/v1/accounts', () => {
  it('support sees every account; an admin or manager only its own, with state, seats and last run, never a secret', async () => {
    const all = (await call('GET', '/api/v1/accounts', tokens.support!)).json().accounts as { id: string }[];
    expect(all.map((a) => a.id)).toEqual(expect.arrayContaining([accountA, accountB]));
    for (const role of ['admin', 'manager']) {
      const own = (await call('GET', '/api/v1/accounts', tokens[role]!)).json().accounts as Record<string, any>[];
      expect(own.map((a) => a.id)).toEqual([accountA]);
      expect(own[0]).toMatchObject({ seats: { active: 6, limit: 10 }, schedule: { state: 'ok', stale: false }, lastRun: { status: 'succeeded' }, breaker: { percent: 20, minMembers: 5 } });
    }
    const body = (await call('GET', `/api/v1/accounts/${accountA}`, tokens.support!)).body;
    for (const secret of [FAKE_CREDENTIALS.privateKey, FAKE_CREDENTIALS.publicKey]) expect(body).not.toContain(secret);
  });

  it("another account is not found", async () => {
    expect((await call('GET', `/api/v1/accounts/${accountB}`, tokens.admin!)).statusCode).toBe(404);
  });
});

describe('PATCH /api/v1/accounts/:id', () => {
  it('an admin changes the seat limit, schedule and breaker thresholds; the account reflects them', async () => {
    const res = await call('PATCH', `/api/v1/accounts/${accountA}`, tokens.admin!, { seatLimit: 8, syncAt: '03:30', timezone: 'Europe/Berlin', breakerPercent: 50, breakerMinMembers: 2 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().account).toMatchObject({ seatLimit: 8, seats: { active: 6, limit: 8 }, syncAt: '03:30', timezone: 'Europe/Berlin', breaker: { percent: 50, minMembers: 2 } });
    expect((await t.app.accounts.get(accountA)).breaker).toEqual({ percent: 50, minMembers: 2 });
  });

  it('new credentials are accepted write-only: validated, never echoed back', async () => {
    const res = await call('PATCH', `/api/v1/accounts/${accountA}`, tokens.admin!, { settings: { site: cw.url, ...FAKE_CREDENTIALS, privateKey: 'brandNEWsecret42', codebase: 'v2025_1/' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain('brandNEWsecret42');
    const bad = await call('PATCH', `/api/v1/accounts/${accountA}`, tokens.admin!, { settings: { site: 'not a url' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('brandNEWsecret42');
  });

  it('refuses loose input naming the field, and changes nothing', async () => {
    const before = await t.app.accounts.get(accountA);
    for (const [payload, message] of [
      [{ seatLimit: '5' }, 'body.seatLimit must be integer,null'],
      [{ breakerPercent: 150 }, 'body.breakerPercent must be <= 100'],
      [{ seatLimit: 5, owner: 'x' }, 'body has unknown field "owner"'],
      [{ syncAt: '25:00' }, 'sync time must be HH:MM'],
      [{ timezone: 'Mars/Olympus' }, 'unknown IANA time zone'],
      [{}, 'body must NOT have fewer than 1 properties'],
    ] as [object, string][]) {
      const res = await call('PATCH', `/api/v1/accounts/${accountA}`, tokens.admin!, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.message).toContain(message);
    }
    expect(await t.app.accounts.get(accountA)).toEqual(before);
  });

  it('a manager or support may not change an account (403)', async () => {
    for (const role of ['manager', 'support']) expect((await call('PATCH', `/api/v1/accounts/${accountA}`, tokens[role]!, { seatLimit: 3 })).statusCode).toBe(403);
  });
});
