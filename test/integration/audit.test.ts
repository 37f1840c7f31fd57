import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/db.js';

/** The audit trail (product.md §7; issue 10, item 7): who did what, before and after, and why. */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
const fake = new ConnectWiseFake(cwMembers(8));
let accountId: string;
let admin: string;
let manager: string;

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(fake);
  server = await buildServer(t.app);
  accountId = (await addCwAccount(t.app, cw.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'setup' });
  admin = (await t.app.tokens.create({ role: 'admin', accountId, name: 'desk' }, 'cli:root')).token;
  manager = (await t.app.tokens.create({ role: 'account_manager', accountId })).token;
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, payload?: object) =>
  server.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

describe('audit trail', () => {
  it('records the Active box (with its reason), bulk changes, settings, approve and token actions, newest first', async () => {
    const [jane, joe] = await t.app.members.list(accountId);
    expect((await call('PATCH', `/api/v1/accounts/${accountId}/members/${jane!.id}`, admin, { active: false, reason: 'left the company in June' })).statusCode).toBe(200);
    expect((await call('POST', `/api/v1/accounts/${accountId}/members/bulk`, admin, { active: false, memberIds: [joe!.id], reason: 'contractor' })).statusCode).toBe(200);
    expect((await call('PATCH', `/api/v1/accounts/${accountId}`, admin, { seatLimit: 20, breakerPercent: 30, reason: 'new plan' })).statusCode).toBe(200);
    fake.setMembers([]);
    const held = await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    expect(held.run.status).toBe('held');
    expect((await call('POST', `/api/v1/runs/${held.run.id}/reject`, admin, { reason: 'PSA outage' })).statusCode).toBe(200);
    const tokenId = (await t.app.tokens.list({ accountId })).find((x) => x.role === 'account_manager')!.id;
    expect((await call('DELETE', `/api/v1/tokens/${tokenId}`, admin)).statusCode).toBe(200);

    const res = await call('GET', `/api/v1/accounts/${accountId}/audit?limit=500`, admin);
    expect(res.statusCode).toBe(200);
    const entries = res.json().entries as { action: string; actor: string; target: { type: string; id: string | null }; before: any; after: any; reason: string | null }[];
    expect(entries.map((e) => e.action)).toEqual(['token.revoked', 'run.rejected', 'account.updated', 'members.bulk_active', 'member.active', 'token.created', 'token.created']);
    const [revoked, rejected, updated, bulk, box] = entries;
    expect(box).toMatchObject({ actor: expect.stringContaining('desk'), target: { type: 'member', id: jane!.id }, before: { active: true }, after: { active: false, adminInactive: true }, reason: 'left the company in June' });
    expect(bulk).toMatchObject({ after: { active: false, changed: 1, refused: 0, selection: { memberIds: 1 } }, reason: 'contractor' });
    expect(updated).toMatchObject({ before: { seatLimit: null, breakerPercent: 20 }, after: { seatLimit: 20, breakerPercent: 30 }, reason: 'new plan' });
    expect(rejected).toMatchObject({ target: { type: 'run', id: held.run.id }, before: { status: 'held' }, after: { status: 'rejected' }, reason: 'PSA outage' });
    expect(revoked).toMatchObject({ target: { type: 'token', id: tokenId }, after: { state: 'revoked' } });
    expect(entries.at(-1)).toMatchObject({ actor: 'cli:root', after: { name: 'desk', role: 'admin' } });

    // Explain this member shows the admin's action and reason beside the history.
    const explained = (await call('GET', `/api/v1/accounts/${accountId}/members/${jane!.id}/explain`, admin)).json();
    expect(explained.audit).toEqual([expect.objectContaining({ action: 'member.active', reason: 'left the company in June' })]);
  });

  it('new credentials are noted in the trail, never recorded', async () => {
    await t.app.accounts.update(accountId, { settings: { site: cw.url, companyId: 'acme', publicKey: 'pubKEY123', privateKey: 'ROTATEDsecret77', clientId: '5b3a0c0e-1111-4222-8333-944455556666', codebase: 'v2025_1/' } }, 'cli:root');
    const rows = await query(t.url, `select before, after from audit_entry where account_id = $1 and action = 'account.updated' order by id desc limit 1`, [accountId]);
    expect(rows[0]!.after).toEqual({ settings: '(new settings, not recorded)' });
    expect(JSON.stringify(await query(t.url, 'select * from audit_entry'))).not.toContain('ROTATEDsecret77');
  });

  it('the CLI prints the trail; reasons longer than 500 characters are refused', async () => {
    const res = await runCli(['audit', accountId], { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('member.active');
    expect(res.stdout).toContain('left the company in June');
    const [, , third] = await t.app.members.list(accountId, 'all');
    const long = await call('PATCH', `/api/v1/accounts/${accountId}/members/${third!.id}`, admin, { active: false, reason: 'x'.repeat(501) });
    expect(long.statusCode).toBe(400);
    expect((await call('GET', `/api/v1/accounts/${accountId}/audit`, manager)).statusCode).toBe(401); // revoked above
  });
});
