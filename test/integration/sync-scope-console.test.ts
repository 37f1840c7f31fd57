import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { atResources, AutotaskFake } from '../fakes/autotask-fake.js';
import { serveFake } from '../fakes/connectwise-fake.js';
import { addAtAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Settings → Sync scope in the console (issue 17): checkboxes named as the PSA names them, a plain
 * form that works without scripts, refusals inline with the ticks kept, a preview, and no scope
 * for accounts whose PSA has none. Even resources are in Service Desk (1) at Head Office (3),
 * odd ones in Projects (2) at Branch Office (4).
 */
let t: TestApp;
let server: FastifyInstance;
let at: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
let snippetId: string;
const s: Record<'admin' | 'manager' | 'employee', TestSession> = {} as never;

beforeAll(async () => {
  t = await createTestApp();
  at = await serveFake(new AutotaskFake(atResources(8)));
  accountId = (await addAtAccount(t.app, at.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  snippetId = (await t.app.accounts.add({ name: `Snippet ${Date.now()}`, integration: 'snippet', settings: { requireSignedLinks: false } })).id;
  const members = Object.fromEntries((await t.app.members.list(accountId, 'all')).map((m) => [m.externalId, m.id]));
  server = await buildServer(t.app);
  s.admin = await signIn(t.app, server, { accountId, memberId: members['2']!, role: 'admin' });
  s.manager = await signIn(t.app, server, { accountId, memberId: members['4']!, role: 'account_manager' });
  s.employee = await signIn(t.app, server, { accountId, memberId: members['6']!, role: 'employee' });
});
afterAll(async () => {
  await server.close();
  await at.close();
  await t.close();
});

const get = (url: string, who: keyof typeof s) => server.inject({ method: 'GET', url, headers: { cookie: s[who].cookie } });
const post = (url: string, who: keyof typeof s, fields: [string, string][]) =>
  server.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s[who].cookie },
    payload: new URLSearchParams([['_csrf', s[who].csrf], ...fields]).toString(),
  });
const ticked = (body: string, name: string, id: string) => new RegExp(`name="${name}" value="${id}" checked`).test(body);
const page = () => `/accounts/${accountId}/settings/scope`;

describe('Settings → Sync scope', () => {
  it('Settings links to it for a PSA with a scope, and not for one without', async () => {
    const settings = await get(`/accounts/${accountId}/settings`, 'admin');
    expect(settings.body).toContain(`href="/accounts/${accountId}/settings/scope"`);
    expect(settings.body).toContain('by department, location');
    const support = await signIn(t.app, server, { support: true });
    const snippet = await server.inject({ method: 'GET', url: `/accounts/${snippetId}/settings`, headers: { cookie: support.cookie } });
    expect(snippet.body).not.toContain('/settings/scope');
    const direct = await server.inject({ method: 'GET', url: `/accounts/${snippetId}/settings/scope`, headers: { cookie: support.cookie } });
    expect(direct.body).toContain('have no sync scope');
  });

  it('shows a box per department and location, named as Autotask names them, in a plain form', async () => {
    const res = await get(page(), 'admin');
    expect(res.statusCode).toBe(200);
    for (const name of ['Service Desk', 'Projects', 'Accounting', 'Head Office', 'Branch Office']) expect(res.body).toContain(name);
    expect(res.body).toContain('<legend>Departments</legend>');
    expect(res.body).not.toContain('<legend>Member types</legend>');
    expect(res.body).toMatch(/<form class="card" method="post" action="\/accounts\/[^"]+\/settings\/scope"><input type="hidden" name="_csrf"/);
    expect(res.body).toContain('Now: <strong>everyone</strong>');
    expect(res.body).toContain('name="do" value="preview"');
  });

  it('a preview says whose sign-in the scope would end: the admin themselves, and that no admin could sign in', async () => {
    const res = await post(page(), 'admin', [['departments', '2'], ['do', 'preview']]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toMatch(/3 people who sign in to this console would lose their sign-in: [^<]*\(admin, you\)/);
    expect(res.body).toContain('(account manager)');
    expect(res.body).toContain('No admin could sign in afterwards');
    const fine = await post(page(), 'admin', [['departments', '1'], ['do', 'preview']]);
    expect(fine.body).not.toContain('would lose their sign-in');
  });

  it('a preview says what a sync would do under the ticked scope, storing nothing', async () => {
    const res = await post(page(), 'admin', [['departments', '1'], ['do', 'preview']]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('Preview (nothing saved)');
    expect(res.body).toContain('a sync now would move 4 members to Inactive Synced Members and return 0 members to All Staff');
    expect(ticked(res.body, 'departments', '1')).toBe(true);
    expect((await t.app.syncScope.get(accountId)).scope.departments).toEqual([]);
  });

  it('a refusal shows inline, naming the bad id, with the boxes as they were ticked; nothing is stored', async () => {
    const res = await post(page(), 'admin', [['departments', '1'], ['departments', '99'], ['locations', '3'], ['do', 'save']]);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Not saved: departments: 99 is not one of the departments Autotask lists');
    expect(ticked(res.body, 'departments', '1')).toBe(true);
    expect(ticked(res.body, 'locations', '3')).toBe(true);
    expect(ticked(res.body, 'departments', '2')).toBe(false);
    expect((await t.app.syncScope.get(accountId)).scope).toEqual({ memberTypes: [], departments: [], locations: [] });
  });

  it('saving stores the ticked scope and says what the next sync does; the run then reads "outside the sync scope"', async () => {
    const res = await post(page(), 'admin', [['departments', '1'], ['reason', 'desk only'], ['do', 'save']]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('Saved: department Service Desk. The next sync moves members outside the scope to Inactive Synced Members');
    expect(res.body).toContain('Now: <strong>department Service Desk</strong>');
    expect(ticked(res.body, 'departments', '1')).toBe(true);
    const { run } = await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    const runPage = await get(`/runs/${run.id}`, 'admin');
    expect(runPage.body).toContain('4 moved to Inactive Synced');
    expect(runPage.body).toContain('4 outside the sync scope');
    const inactive = await get(`/accounts/${accountId}/members?list=inactive`, 'admin');
    expect(inactive.body).toContain('outside the sync scope');
  });

  it('an account manager reads it without boxes to change; only an admin saves; an employee is refused', async () => {
    const read = await get(page(), 'manager');
    expect(read.statusCode).toBe(200);
    expect(read.body).toContain('Only an admin of this account changes the sync scope.');
    expect(read.body).toMatch(/name="departments" value="1" checked disabled/);
    expect((await post(page(), 'manager', [['departments', '2'], ['do', 'save']])).statusCode).toBe(403);
    expect((await get(page(), 'employee')).statusCode).toBe(403);
    expect((await t.app.syncScope.get(accountId)).scope.departments).toEqual(['1']);
  });

  it('a run held because the scope matches nobody offers no Approve, only Reject and the way to the scope', async () => {
    await t.app.syncScope.set(accountId, { departments: ['3'] }, 'admin:test');
    const { run } = await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    expect(run.holdKind).toBe('scope_matches_nobody');
    const res = await get(`/runs/${run.id}`, 'admin');
    expect(res.body).toContain('This run cannot be approved');
    expect(res.body).toContain(`href="/accounts/${accountId}/settings/scope"`);
    expect(res.body).not.toContain('Approve and apply');
    expect(res.body).toContain(`action="/runs/${run.id}/reject"`);
    const overview = await get(`/accounts/${accountId}`, 'admin');
    expect(overview.body).toContain('A run is held: the sync scope matches nobody.');
    expect(overview.body).not.toContain('A run waits for approval.');
  });
});
