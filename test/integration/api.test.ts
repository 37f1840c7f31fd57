import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { buildServer } from '../../src/web/server.js';
import { AT_CREDENTIALS } from '../fakes/autotask-fake.js';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountA: string;
let accountB: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(new ConnectWiseFake(cwMembers(12)));
  accountA = (await addCwAccount(t.app, cw.url, { seatLimit: 12 })).id;
  accountB = (await addCwAccount(t.app, cw.url)).id;
  for (const id of [accountA, accountB]) await t.app.engine.sync(id, { trigger: 'manual', requestedBy: 'setup' });
  tokens.adminA = (await t.app.tokens.create({ role: 'admin', accountId: accountA, name: 'admin A' })).token;
  tokens.adminB = (await t.app.tokens.create({ role: 'admin', accountId: accountB })).token;
  tokens.managerA = (await t.app.tokens.create({ role: 'account_manager', accountId: accountA })).token;
  tokens.support = (await t.app.tokens.create({ role: 'support', name: 'support desk' })).token;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, token?: string, payload?: unknown) =>
  server.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
const firstMember = async (accountId: string) => (await t.app.members.list(accountId))[0]!;
const lastRunOf = async (accountId: string) => (await t.app.runs.list(accountId))[0]!;

describe('authentication and roles (product.md §7)', () => {
  it('refuses a request without a token, or with an unknown one, with 401 and a JSON error', async () => {
    const none = await call('GET', `/api/v1/accounts/${accountA}/members`);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'unauthenticated', message: expect.stringContaining('Bearer') } });
    expect((await call('GET', `/api/v1/accounts/${accountA}/members`, 'psa_not-a-real-token')).statusCode).toBe(401);
  });

  it('stores tokens hashed, never as given', async () => {
    const rows = await query(t.url, 'select token_hash from api_token');
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(Object.values(tokens)).not.toContain(r.token_hash);
    await call('GET', `/api/v1/accounts/${accountA}/runs`, tokens.managerA);
    const used = await query(t.url, `select role, last_used_at from api_token where role = 'account_manager'`);
    expect(used[0]!.last_used_at).not.toBeNull();
  });

  it('an account_manager reads its account but cannot trigger a sync or change a member (403)', async () => {
    expect((await call('GET', `/api/v1/accounts/${accountA}/members`, tokens.managerA)).statusCode).toBe(200);
    const sync = await call('POST', `/api/v1/accounts/${accountA}/sync`, tokens.managerA);
    expect(sync.statusCode).toBe(403);
    expect(sync.json().error.code).toBe('forbidden');
    const member = await firstMember(accountA);
    expect((await call('PATCH', `/api/v1/accounts/${accountA}/members/${member.id}`, tokens.managerA, { active: false })).statusCode).toBe(403);
  });

  it("an admin token of account A gets 404 for account B's runs and members", async () => {
    const memberB = await firstMember(accountB);
    const runB = await lastRunOf(accountB);
    for (const [method, url] of [
      ['GET', `/api/v1/accounts/${accountB}/runs`],
      ['GET', `/api/v1/accounts/${accountB}/members`],
      ['GET', `/api/v1/accounts/${accountB}/members/${memberB.id}/explain`],
      ['GET', `/api/v1/runs/${runB.id}`],
      ['POST', `/api/v1/accounts/${accountB}/sync`],
      ['POST', `/api/v1/runs/${runB.id}/approve`],
      ['PATCH', `/api/v1/accounts/${accountB}/members/${memberB.id}`],
    ] as const) {
      const res = await call(method, url, tokens.adminA, method === 'PATCH' ? { active: false } : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await firstMember(accountB)).active).toBe(true);
  });

  it('support reads every account and changes nothing', async () => {
    for (const id of [accountA, accountB]) {
      expect((await call('GET', `/api/v1/accounts/${id}/members?list=all`, tokens.support)).json().members).toHaveLength(12);
      expect((await call('GET', `/api/v1/accounts/${id}/runs`, tokens.support)).statusCode).toBe(200);
    }
    const member = await firstMember(accountB);
    expect((await call('GET', `/api/v1/accounts/${accountB}/members/${member.id}/explain`, tokens.support)).json().history.length).toBeGreaterThan(0);
    expect((await call('POST', `/api/v1/accounts/${accountB}/sync`, tokens.support)).statusCode).toBe(403);
    expect((await call('PATCH', `/api/v1/accounts/${accountB}/members/${member.id}`, tokens.support, { active: false })).statusCode).toBe(403);
    const run = await lastRunOf(accountB);
    expect((await call('POST', `/api/v1/runs/${run.id}/reject`, tokens.support)).statusCode).toBe(403);
    expect((await firstMember(accountB)).active).toBe(true);
  });
});

describe('Sync Members over HTTP', () => {
  it('twenty concurrent presses make one run, and every response names it', async () => {
    const before = (await t.app.runs.list(accountA)).length;
    const responses = await Promise.all(Array.from({ length: 20 }, () => call('POST', `/api/v1/accounts/${accountA}/sync`, tokens.adminA)));
    for (const r of responses) expect(r.statusCode).toBe(202);
    const ids = new Set(responses.map((r) => r.json().run.id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.json().joined === false)).toHaveLength(1);
    const runs = await t.app.runs.list(accountA);
    expect(runs).toHaveLength(before + 1);
    expect(runs[0]).toMatchObject({ id: [...ids][0], status: 'queued', trigger: 'manual', requestedBy: expect.stringContaining('admin A') });

    // Any replica picks the queued run up at its next tick.
    const scheduler = new Scheduler({ orm: t.app.orm, engine: t.app.engine, clock: t.app.clock, logger: t.app.logger, maxConcurrent: 2 });
    expect(await scheduler.tick()).toBe(1);
    await scheduler.idle();
    const done = await call('GET', `/api/v1/runs/${[...ids][0]}`, tokens.adminA);
    expect(done.json().run).toMatchObject({ status: 'succeeded', counts: { fetched: 12, unchanged: 12 } });
  });

  it('a dry run returns the plan with 200 and stores nothing', async () => {
    const before = await query(t.url, 'select count(*)::int as n from sync_run');
    const res = await call('POST', `/api/v1/accounts/${accountA}/sync?dryRun=true`, tokens.adminA);
    expect(res.statusCode).toBe(200);
    expect(res.json().run).toMatchObject({ id: null, dryRun: true, counts: { fetched: 12 } });
    expect(await query(t.url, 'select count(*)::int as n from sync_run')).toEqual(before);
  });
});

describe('members over HTTP', () => {
  it('an admin unchecks and checks Active; refusals are 409 with the reason; bad bodies are 400', async () => {
    const member = await firstMember(accountA);
    const off = await call('PATCH', `/api/v1/accounts/${accountA}/members/${member.id}`, tokens.adminA, { active: false });
    expect(off.statusCode).toBe(200);
    expect(off.json().member).toMatchObject({ id: member.id, active: false });
    const explain = await call('GET', `/api/v1/accounts/${accountA}/members/${member.id}/explain`, tokens.adminA);
    expect(explain.json().history.at(-1).actor).toContain('admin A');

    const on = await call('PATCH', `/api/v1/accounts/${accountA}/members/${member.id}`, tokens.adminA, { active: true });
    expect(on.statusCode).toBe(200);
    expect(on.json().member.active).toBe(true);

    const bad = await call('PATCH', `/api/v1/accounts/${accountA}/members/${member.id}`, tokens.adminA, { active: 'yes' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_input');
    expect((await call('GET', `/api/v1/accounts/${accountA}/members?list=bogus`, tokens.adminA)).statusCode).toBe(400);
    const malformed = await call('GET', `/api/v1/accounts/not-a-uuid/members`, tokens.adminA);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.message).toContain('"not-a-uuid" is not a valid account id');
  });

  it('refuses to check Active beyond the seat limit with 409 naming the limit', async () => {
    await t.app.accounts.update(accountA, { seatLimit: 12 });
    const member = await firstMember(accountA);
    await call('PATCH', `/api/v1/accounts/${accountA}/members/${member.id}`, tokens.adminA, { active: false });
    await t.app.accounts.update(accountA, { seatLimit: 11 });
    const res = await call('PATCH', `/api/v1/accounts/${accountA}/members/${member.id}`, tokens.adminA, { active: true });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain('seat limit of 11');
  });
});

describe('operations endpoints', () => {
  it('serves the OpenAPI document, readiness and Prometheus metrics', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/accounts/{id}/sync', '/api/v1/runs/{id}/approve', '/api/v1/accounts/{id}/members/{memberId}/explain']));
    expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/psa_sync_runs_total\{status="succeeded",trigger="manual"\} \d+/);
    expect(metrics).toMatch(/psa_sync_psa_requests_total\{psa="ConnectWise",status="2xx"\} \d+/);
    expect(metrics).toContain('psa_sync_run_duration_seconds_count');
  });

  it('documents and serves Autotask accounts: the integration in the OpenAPI account schema, settings without secrets', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    const accountSchema = doc.paths['/api/v1/accounts/{id}'].get.responses['200'].content['application/json'].schema.properties.account;
    expect(accountSchema.properties.integration.enum).toEqual(['connectwise', 'autotask', 'halopsa', 'snippet']);
    const account = await t.app.accounts.add({ name: 'API Autotask', integration: 'autotask', settings: { ...AT_CREDENTIALS, zoneUrl: 'https://webservices5.autotask.test/atservicesrest/' } });
    const res = await call('GET', `/api/v1/accounts/${account.id}`, tokens.support);
    expect(res.statusCode).toBe(200);
    expect(res.json().account).toMatchObject({ integration: 'autotask', settings: { userName: AT_CREDENTIALS.userName, zoneUrl: 'https://webservices5.autotask.test/atservicesrest/' } });
    expect(res.body).not.toContain(AT_CREDENTIALS.secret);
    expect(res.body).not.toContain(AT_CREDENTIALS.integrationCode);
  });

  it('never returns connector secrets, even when the PSA echoes the credentials back in an error', async () => {
    // A verbose gateway in front of ConnectWise that quotes the request's credentials in its 400 body.
    const echo = new ConnectWiseFake(cwMembers(2));
    echo.intercept((req) =>
      req.url.pathname.endsWith('/system/members')
        ? { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'InvalidObject', message: `bad request; auth=${req.headers.authorization} clientId=${req.headers.clientid} key=${FAKE_CREDENTIALS.privateKey}` }) }
        : undefined,
    );
    const echoing = await serveFake(echo);
    try {
      const account = await addCwAccount(t.app, echoing.url);
      const failed = await t.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
      expect(failed.run.status).toBe('failed');
      expect(failed.run.error!.message).toContain('[redacted]');
      const basic = Buffer.from(`${FAKE_CREDENTIALS.companyId}+${FAKE_CREDENTIALS.publicKey}:${FAKE_CREDENTIALS.privateKey}`).toString('base64');
      const secrets = [FAKE_CREDENTIALS.privateKey, FAKE_CREDENTIALS.publicKey, FAKE_CREDENTIALS.clientId, basic];
      const member = (await t.app.members.list(accountA))[0]!;
      // Every route that answers with account data: runs (with their errors), members, history, survey events, docs, metrics.
      const urls = [
        `/api/v1/accounts/${account.id}/runs`,
        `/api/v1/runs/${failed.run.id}`,
        `/api/v1/accounts/${account.id}/members?list=all`,
        `/api/v1/accounts/${account.id}/survey-events`,
        `/api/v1/accounts/${accountA}/runs`,
        `/api/v1/accounts/${accountA}/members?list=all`,
        `/api/v1/accounts/${accountA}/members/${member.id}/explain`,
        '/docs/openapi.json',
        '/metrics',
      ];
      for (const url of urls) {
        const res = await call('GET', url, tokens.support);
        expect(res.statusCode, url).toBe(200);
        for (const secret of secrets) expect(res.body, `${url} leaks a credential`).not.toContain(secret);
      }
      const preview = await call('POST', `/api/v1/accounts/${accountA}/sync?dryRun=true`, tokens.adminA);
      for (const secret of secrets) expect(preview.body).not.toContain(secret);
    } finally {
      await echoing.close();
    }
  });
});
