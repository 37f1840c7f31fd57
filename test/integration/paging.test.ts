import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** Runs, a run's changes and survey events, paged like the members table (issue 10, item 8). */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
const fake = new ConnectWiseFake(cwMembers(23));
let accountId: string;
let firstRunId: string;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(fake);
  server = await buildServer(t.app);
  accountId = (await addCwAccount(t.app, cw.url)).id;
  firstRunId = (await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'setup' })).run.id!;
  for (let i = 0; i < 6; i++) await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'again' });
  fake.intercept((req) => (req.url.pathname.endsWith('/count') ? { status: 500, body: 'down' } : undefined));
  for (let i = 0; i < 2; i++) await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'failing' });
  token = (await t.app.tokens.create({ role: 'support' })).token;
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const get = async (url: string) => {
  const res = await server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Record<string, any>;
};
async function walk(base: string, key: string, limit: number): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const page: Record<string, any> = await get(`${base}${base.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page[key]);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('paged lists', () => {
  it('runs come newest first, page by page, each once, and filter by status, trigger and time', async () => {
    const runs = await walk(`/api/v1/accounts/${accountId}/runs`, 'runs', 3);
    expect(runs).toHaveLength(9);
    expect(new Set(runs.map((r) => r.id)).size).toBe(9);
    expect(runs.at(-1).id).toBe(firstRunId);
    const created = runs.map((r) => r.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    expect((await get(`/api/v1/accounts/${accountId}/runs?status=failed`)).runs).toHaveLength(2);
    expect((await get(`/api/v1/accounts/${accountId}/runs?trigger=manual&status=succeeded&limit=500`)).runs).toHaveLength(7);
    expect((await get(`/api/v1/accounts/${accountId}/runs?since=2999-01-01`)).runs).toHaveLength(0);
  });

  it("a run's changes page in order, each once", async () => {
    const changes = await walk(`/api/v1/runs/${firstRunId}`, 'changes', 10);
    expect(changes).toHaveLength(23);
    expect(new Set(changes.map((c) => c.id)).size).toBe(23);
    const first = await get(`/api/v1/runs/${firstRunId}?limit=5`);
    expect(first.run.id).toBe(firstRunId);
    expect(first.changes).toHaveLength(5);
  });

  it('survey events page newest first, each once, and filter to the unmatched', async () => {
    const account = await t.app.accounts.add({ name: 'Paging survey', integration: 'connectwise', settings: { site: cw.url, companyId: 'acme', publicKey: 'pubKEY123', privateKey: 'privSECRETkey987', clientId: '5b3a0c0e-1111-4222-8333-944455556666', codebase: 'v2025_1/' } });
    const batch = Array.from({ length: 11 }, (_, i) => ({ accountKey: account.publicKey, rating: 5, ticket: `P${i}`, agentEmail: `nobody${i}@acme.test` }));
    expect((await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: batch })).statusCode).toBe(201);
    const events = await walk(`/api/v1/accounts/${account.id}/survey-events?unmatched=true`, 'events', 4);
    expect(events).toHaveLength(11);
    expect(new Set(events.map((e) => e.id)).size).toBe(11);
  });

  it('names bad paging and filter values', async () => {
    const res = await server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/runs?status=done&limit=9999&since=yesterday&page=2`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(400);
    const message = res.json().error.message as string;
    for (const part of ['status must be one of', 'limit must be a whole number from 1 to 500', 'since must be a date', 'unknown query parameter "page"']) expect(message).toContain(part);
    expect((await server.inject({ method: 'GET', url: `/api/v1/runs/${firstRunId}?cursor=WyJ4Il0`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(400);
  });
});
