import type { FastifyInstance } from 'fastify';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import type { MemberView } from '../../src/db/views.js';
import { eventMail } from '../../src/notify/templates.js';
import { buildServer } from '../../src/web/server.js';
import { AT_CREDENTIALS, atResource, atResources, AutotaskFake } from '../fakes/autotask-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { addAtAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/**
 * The sync scope through the real engine and an Autotask fake (issue 17, product.md §2 "Sync
 * scope"). The fake puts even resources in Service Desk (1) at Head Office (3), odd ones in
 * Projects (2) at Branch Office (4), and every tenth in Accounting (3) as well.
 */
const msw = setupServer();
let t: TestApp;
let server: FastifyInstance;
let fake: AutotaskFake;
let origin: string;
let hostNo = 0;

beforeAll(async () => {
  msw.listen({ onUnhandledRequest: 'error' });
  t = await createTestApp();
  server = await buildServer(t.app);
});
afterAll(async () => {
  msw.close();
  await server.close();
  await t.close();
});
beforeEach(() => {
  origin = `https://scope${++hostNo}.autotask.test`;
  fake = new AutotaskFake();
  msw.use(...fakeHandlers(origin, fake));
});
afterEach(() => msw.resetHandlers());

const sync = (accountId: string) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
const byExternal = async (accountId: string) => Object.fromEntries((await t.app.members.list(accountId, 'all')).map((m) => [m.externalId, m])) as Record<string, MemberView>;
const setScope = (accountId: string, scope: object) => t.app.syncScope.set(accountId, scope, 'admin:test');
const snapshot = async (accountId: string) => query(t.url, 'select id, active, list, inactive_reason, admin_inactive from member where account_id = $1 order by id', [accountId]);

/** An account with `n` resources, synced once (everyone Active). */
async function synced(n: number, options: Parameters<typeof addAtAccount>[2] = {}) {
  fake.setResources(atResources(n));
  const account = await addAtAccount(t.app, origin, options);
  expect((await sync(account.id)).run.status).toBe('succeeded');
  return account;
}

describe('sync scope on an Autotask account', () => {
  it('narrowing moves the members outside it to Inactive Synced (out_of_scope), says how many, and keeps them there', async () => {
    const account = await synced(6);
    await setScope(account.id, { departments: ['1'] });
    const { run, changes } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ movedToInactive: 3, deactivated: 3, outOfScope: 3 });
    expect(changes.filter((c) => c.reason === 'out_of_scope').map((c) => c.externalId).sort()).toEqual(['1', '3', '5']);
    const m = await byExternal(account.id);
    expect(m['3']).toMatchObject({ active: false, list: 'inactive_synced', psaActive: true, inactiveReason: 'out_of_scope' });
    expect(m['4']).toMatchObject({ active: true, list: 'staff' });
    // The next sync changes nothing and still says how many are out of scope (the unchanged-roster path included).
    const again = await sync(account.id);
    expect(again.run.counts).toMatchObject({ movedToInactive: 0, deactivated: 0, outOfScope: 3, unchanged: 6 });
    // A new resource outside the scope is recorded straight onto Inactive Synced.
    fake.setResources([...atResources(6), atResource(7)]);
    const third = await sync(account.id);
    expect(third.changes.find((c) => c.externalId === '7')).toMatchObject({ action: 'added', reason: 'new_out_of_scope' });
    expect((await byExternal(account.id))['7']).toMatchObject({ active: false, list: 'inactive_synced', inactiveReason: 'out_of_scope' });
    expect(third.run.counts).toMatchObject({ added: 1, outOfScope: 4 });
  });

  it('a member in several departments is in when any one is chosen; locations narrow too', async () => {
    const account = await synced(10, { breakerPercent: 100 });
    await setScope(account.id, { departments: ['3'] });
    await sync(account.id);
    let m = await byExternal(account.id);
    expect(Object.values(m).filter((x) => x.active).map((x) => x.externalId)).toEqual(['10']);
    await setScope(account.id, { departments: [], locations: ['4'] });
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ outOfScope: 5 });
    m = await byExternal(account.id);
    expect(Object.values(m).filter((x) => x.active).map((x) => Number(x.externalId)).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9]);
  });

  it('widening returns members as rule 7: Active again, an admin’s uncheck sticks, within the seat limit', async () => {
    const account = await synced(6);
    await setScope(account.id, { departments: ['1'] });
    await sync(account.id);
    let m = await byExternal(account.id);
    await t.app.members.setActive(account.id, m['3']!.id, false, 'admin:test');
    await t.app.accounts.update(account.id, { seatLimit: 4 });
    await setScope(account.id, { departments: [] });
    const { run, changes } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    m = await byExternal(account.id);
    expect(m['1']).toMatchObject({ id: m['1']!.id, active: true, list: 'staff', inactiveReason: null });
    expect(m['3']).toMatchObject({ active: false, list: 'staff', adminInactive: true, inactiveReason: 'admin' });
    expect(m['5']).toMatchObject({ active: false, list: 'staff', inactiveReason: 'seat_limit' });
    expect(changes.find((c) => c.externalId === '1')).toMatchObject({ action: 'reactivated', reason: 'back_in_scope' });
    expect(run.counts).toMatchObject({ reactivated: 3, outOfScope: 0 });
  });

  it('narrowing that would deactivate many is held; approving applies exactly it; a later scope change makes an older hold unapprovable', async () => {
    const account = await synced(12);
    const before = await snapshot(account.id);
    await setScope(account.id, { departments: ['1'] });
    const held = await sync(account.id);
    expect(held.run).toMatchObject({ status: 'held', holdKind: 'breaker', holdReason: expect.stringContaining('would deactivate 6 of 12') });
    expect(await snapshot(account.id)).toEqual(before);
    const approved = await t.app.engine.approve(held.run.id!, 'admin:test');
    expect(approved.run.status).toBe('succeeded');
    expect(Object.values(await byExternal(account.id)).filter((x) => x.inactiveReason === 'out_of_scope')).toHaveLength(6);

    await setScope(account.id, { departments: [] });
    await setScope(account.id, { departments: ['2'] });
    // 6 back in, 6 out: held again; then the admin changes the scope before deciding.
    const second = await sync(account.id);
    expect(second.run.status).toBe('held');
    await setScope(account.id, { departments: ['1', '2'] });
    await expect(t.app.engine.approve(second.run.id!, 'admin:test')).rejects.toThrow(/sync scope of this account changed after run .* was held/);
  });

  it('a scope that matches nobody is held, never applied: approval is refused (API 409 too), rejecting changes nothing', async () => {
    const account = await synced(9);
    const before = await snapshot(account.id);
    await setScope(account.id, { departments: ['3'] });
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'held', holdKind: 'scope_matches_nobody', holdReason: expect.stringContaining('matches none of the 9 members active in Autotask') });
    // The admins' email and the webhook event say it is never applied, and send them to the scope, not to an approval.
    const [raised] = await query(t.url, `select payload from notification where account_id = $1 and event = 'run.held'`, [account.id]);
    expect(raised!.payload).toMatchObject({ runId: run.id, holdKind: 'scope_matches_nobody' });
    const mail = eventMail({ event: 'run.held', accountName: 'Acme', accountId: account.id, payload: raised!.payload, publicUrl: 'https://reviews.example.test' });
    expect(mail.subject).toBe('Acme: the sync scope matches nobody');
    expect(mail.text).toContain('can never be approved');
    expect(mail.text).toContain(`https://reviews.example.test/accounts/${account.id}/settings/scope`);
    await expect(t.app.engine.approve(run.id!, 'admin:test')).rejects.toBeInstanceOf(ConflictError);
    const token = (await t.app.tokens.create({ role: 'admin', accountId: account.id })).token;
    const res = await server.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/approve`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain('it is never applied. Change the scope');
    expect(await snapshot(account.id)).toEqual(before);
    expect((await t.app.engine.reject(run.id!, 'admin:test')).run.status).toBe('rejected');
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('the Active box refuses a member outside the scope, naming why, and changes nothing', async () => {
    const account = await synced(4);
    await setScope(account.id, { departments: ['2'] });
    await sync(account.id);
    const out = (await byExternal(account.id))['2']!;
    await expect(t.app.members.setActive(account.id, out.id, true, 'admin:test')).rejects.toThrow(`member ${out.name} is outside this account's sync scope, so they cannot be made Active`);
    const bulk = await t.app.members.bulkSetActive(account.id, { active: true, memberIds: [out.id] }, 'admin:test');
    expect(bulk).toMatchObject({ changed: 0, refused: [{ memberId: out.id, code: 'out_of_scope' }] });
    expect((await byExternal(account.id))['2']).toMatchObject({ active: false, inactiveReason: 'out_of_scope' });
  });
});

describe('GET and PUT /api/v1/accounts/:id/scope', () => {
  const call = (method: 'GET' | 'PUT', url: string, token: string, payload?: object) => server.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  it('answers the scope with the choices by name; refuses bad input naming the dimension or id, storing nothing; an admin sets it, audited', async () => {
    const account = await synced(4);
    const admin = (await t.app.tokens.create({ role: 'admin', accountId: account.id, name: 'ops' })).token;
    const manager = (await t.app.tokens.create({ role: 'account_manager', accountId: account.id })).token;
    const url = `/api/v1/accounts/${account.id}/scope`;
    const got = await call('GET', url, manager);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({
      scope: { memberTypes: [], departments: [], locations: [] },
      dimensions: ['departments', 'locations'],
      choices: {
        memberTypes: [],
        departments: [{ id: '3', name: 'Accounting' }, { id: '2', name: 'Projects' }, { id: '1', name: 'Service Desk' }],
        locations: [{ id: '4', name: 'Branch Office' }, { id: '3', name: 'Head Office' }],
      },
      choicesError: null,
      words: 'everyone',
    });

    const refusals: [object, string][] = [
      [{ memberTypes: ['1'] }, 'Autotask accounts cannot be narrowed by member type'],
      [{ departments: ['99'] }, 'departments: 99 is not one of the departments Autotask lists'],
      [{ locations: ['x y'] }, 'locations holds "x y", which is not a location id'],
      [{ teams: ['1'] }, 'body has unknown field "teams"'],
      [{ departments: '1' }, 'body.departments must be'],
    ];
    for (const [body, words] of refusals) {
      const res = await call('PUT', url, admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toContain(words);
    }
    expect((await call('PUT', url, manager, { departments: ['1'] })).statusCode).toBe(403);
    expect((await call('GET', url, admin)).json().scope).toEqual({ memberTypes: [], departments: [], locations: [] });

    const put = await call('PUT', url, admin, { departments: ['1', '3'], reason: 'the help desk only' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ scope: { departments: ['1', '3'], locations: [] }, changed: true, message: expect.stringContaining('Saved: departments Service Desk, Accounting. The next sync moves members outside the scope') });
    expect((await call('PUT', url, admin, { departments: ['3', '1'] })).json().changed).toBe(false);
    expect((await call('GET', url, admin)).json()).toMatchObject({ scope: { departments: ['1', '3'] }, words: 'departments Service Desk, Accounting' });
    const audit = (await t.app.members.audit(account.id, {})).entries.filter((e) => e.action === 'account.sync_scope');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: expect.stringContaining('token:ops'), before: { departments: 'all', locations: 'all' }, after: { departments: ['Service Desk (1)', 'Accounting (3)'], locations: 'all' }, reason: 'the help desk only' });
  });

  it('previews a scope without storing it (dryRun=true)', async () => {
    const account = await synced(6);
    const admin = (await t.app.tokens.create({ role: 'admin', accountId: account.id })).token;
    const res = await call('PUT', `/api/v1/accounts/${account.id}/scope?dryRun=true`, admin, { locations: ['3'] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.run).toMatchObject({ dryRun: true, counts: { movedToInactive: 3, outOfScope: 3 } });
    expect(body.changes.filter((c: { reason: string }) => c.reason === 'out_of_scope')).toHaveLength(3);
    expect((await t.app.syncScope.get(account.id)).scope.locations).toEqual([]);
    expect(Object.values(await byExternal(account.id)).every((m) => m.active)).toBe(true);
  });

  it('when the PSA cannot be read, GET still answers the stored scope with why, a new id is refused with a 502, and widening still works', async () => {
    const account = await synced(4);
    await setScope(account.id, { departments: ['1'] });
    const admin = (await t.app.tokens.create({ role: 'admin', accountId: account.id })).token;
    fake.credentials.secret = 'rotated-elsewhere';
    const url = `/api/v1/accounts/${account.id}/scope`;
    const got = await call('GET', url, admin);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ scope: { departments: ['1'] }, choices: null, choicesError: { code: 'psa_unavailable', kind: 'auth' }, words: 'department id 1' });
    const refused = await call('PUT', url, admin, { departments: ['1', '2'] });
    expect(refused.statusCode).toBe(502);
    expect(refused.json().error).toMatchObject({ code: 'psa_unavailable', message: expect.stringContaining('could not read the sync scope') });
    for (const r of [got, refused]) {
      expect(r.body).not.toContain(AT_CREDENTIALS.secret);
      expect(r.body).not.toContain('rotated-elsewhere');
    }
    expect((await t.app.syncScope.get(account.id)).scope.departments).toEqual(['1']);
    // Keeping what is chosen, or widening, needs no PSA.
    expect((await call('PUT', url, admin, { departments: ['1'], locations: [] })).json().changed).toBe(false);
    const widened = await call('PUT', url, admin, { departments: [] });
    expect(widened.statusCode).toBe(200);
    expect(widened.json()).toMatchObject({ changed: true, scope: { departments: [] } });
  });
});
