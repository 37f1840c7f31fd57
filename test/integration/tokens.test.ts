import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, OffsetClock, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/db.js';

/** Service tokens: listable, revocable, optionally expiring (product.md §7; issue 10, item 1). */
const clock = new OffsetClock();
let t: TestApp;
let server: FastifyInstance;
let accountA: string;
let accountB: string;

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app);
  accountA = (await t.app.accounts.add({ name: 'Tokens A', integration: 'snippet', settings: {} })).id;
  accountB = (await t.app.accounts.add({ name: 'Tokens B', integration: 'snippet', settings: {} })).id;
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const get = (url: string, token: string) => server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

describe('token lifecycle', () => {
  it('an expiring token works until its expiry, then answers 401 at once and lists as expired', async () => {
    clock.offsetMs = 0;
    const { token, record } = await t.app.tokens.create({ role: 'admin', accountId: accountA, expiresInDays: 1 });
    expect(record.expiresAt!.getTime() - record.createdAt.getTime()).toBe(86_400_000);
    expect((await get(`/api/v1/accounts/${accountA}/runs`, token)).statusCode).toBe(200);
    clock.offsetMs = 86_400_000 + 1_000;
    expect((await get(`/api/v1/accounts/${accountA}/runs`, token)).statusCode).toBe(401);
    expect((await t.app.tokens.list({ accountId: accountA })).find((x) => x.id === record.id)!.state).toBe('expired');
    clock.offsetMs = 0;
  });

  it('a revoked token answers 401 at once; who revoked it and when is listed', async () => {
    const admin = await t.app.tokens.create({ role: 'admin', accountId: accountA, name: 'desk' });
    const victim = await t.app.tokens.create({ role: 'account_manager', accountId: accountA, name: 'report script' });
    expect((await get(`/api/v1/accounts/${accountA}/members`, victim.token)).statusCode).toBe(200);
    const res = await server.inject({ method: 'DELETE', url: `/api/v1/tokens/${victim.record.id}`, headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().token).toMatchObject({ id: victim.record.id, state: 'revoked', revokedBy: expect.stringContaining('desk') });
    expect((await get(`/api/v1/accounts/${accountA}/members`, victim.token)).statusCode).toBe(401);
  });

  it('an admin lists and revokes only its own account\'s tokens; support sees all; a manager neither', async () => {
    const adminA = await t.app.tokens.create({ role: 'admin', accountId: accountA });
    const adminB = await t.app.tokens.create({ role: 'admin', accountId: accountB });
    const manager = await t.app.tokens.create({ role: 'account_manager', accountId: accountA });
    const support = await t.app.tokens.create({ role: 'support' });
    const listed = (await get('/api/v1/tokens', adminA.token)).json().tokens as { id: string; accountId: string }[];
    expect(listed.every((x) => x.accountId === accountA)).toBe(true);
    expect(listed.map((x) => x.id)).toContain(adminA.record.id);
    const all = (await get('/api/v1/tokens', support.token)).json().tokens as { id: string }[];
    expect(all.map((x) => x.id)).toEqual(expect.arrayContaining([adminA.record.id, adminB.record.id, support.record.id]));
    expect((await get('/api/v1/tokens', manager.token)).statusCode).toBe(403);
    expect((await get(`/api/v1/tokens?account=${accountB}`, adminA.token)).statusCode).toBe(404);
    const cross = await server.inject({ method: 'DELETE', url: `/api/v1/tokens/${adminB.record.id}`, headers: { authorization: `Bearer ${adminA.token}` } });
    expect(cross.statusCode).toBe(404);
    expect((await get(`/api/v1/accounts/${accountB}/runs`, adminB.token)).statusCode).toBe(200);
    // No listing ever carries a token or its hash.
    const hashes = (await query(t.url, 'select token_hash from api_token')).map((r) => r.token_hash as string);
    const body = JSON.stringify(all);
    for (const h of hashes) expect(body).not.toContain(h);
    for (const secret of [adminA.token, adminB.token, manager.token, support.token]) expect(body).not.toContain(secret);
  });

  it('the CLI creates an expiring token, lists tokens and revokes one', async () => {
    const env = { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
    const created = await runCli(['--json', 'tokens', 'create', '--role', 'admin', '--account', accountB, '--name', 'cli', '--expires-in', '30'], env);
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout) as { id: string; token: string; expiresAt: string };
    expect(new Date(made.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const listed = await runCli(['--json', 'tokens', 'list', '--account', accountB], env);
    const tokens = JSON.parse(listed.stdout) as { id: string; state: string }[];
    expect(tokens.find((x) => x.id === made.id)).toMatchObject({ state: 'active' });
    expect(listed.stdout).not.toContain(made.token);
    const revoked = await runCli(['--json', 'tokens', 'revoke', made.id], env);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: made.id, state: 'revoked', revokedBy: expect.stringMatching(/^cli/) });
    expect((await get(`/api/v1/accounts/${accountB}/runs`, made.token)).statusCode).toBe(401);
    const text = await runCli(['tokens', 'list'], env);
    expect(text.stdout).toContain('revoked');
    const bad = await runCli(['tokens', 'create', '--role', 'support', '--expires-in', '0'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expiry must be a whole number of days from 1 to 3650/);
  });
});
