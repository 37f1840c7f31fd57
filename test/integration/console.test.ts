import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, TEST_PASSWORD, type TestSession } from '../helpers/people.js';

/** The console's pages (issue 11) for each role: what is shown, what is hidden, what is refused. */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
let otherId: string;
let runId: string;
const m: Record<string, string> = {};
const s: Record<'admin' | 'manager' | 'employee' | 'support' | 'otherAdmin', TestSession> = {} as never;

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(new ConnectWiseFake([...cwMembers(8), cwMember(9, { firstName: '<script>alert(1)</script>', lastName: 'O"Brien', officeEmail: 'xss@acme.test' })]));
  accountId = (await addCwAccount(t.app, cw.url, { seatLimit: 9 })).id;
  otherId = (await addCwAccount(t.app, cw.url)).id;
  runId = (await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.id!;
  await t.app.engine.sync(otherId, { trigger: 'manual', requestedBy: 'test' });
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  server = await buildServer(t.app);
  s.admin = await signIn(t.app, server, { accountId, memberId: m.user1!, role: 'admin' });
  s.manager = await signIn(t.app, server, { accountId, memberId: m.user2!, role: 'account_manager' });
  s.employee = await signIn(t.app, server, { accountId, memberId: m.user3!, role: 'employee' });
  s.support = await signIn(t.app, server, { support: true });
  // The other account reads the same fake PSA; one email has one sign-in, so its admin is a member no one here signs in as.
  const otherMember = (await t.app.members.list(otherId)).find((x) => x.email === 'xss@acme.test')!.id;
  s.otherAdmin = await signIn(t.app, server, { accountId: otherId, memberId: otherMember, role: 'admin' });
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

type Who = keyof typeof s | 'none';
const get = (url: string, who: Who) => server.inject({ method: 'GET', url, headers: who === 'none' ? {} : { cookie: s[who].cookie } });
const post = (url: string, who: Who, form: Record<string, string>, extra: Record<string, string> = {}) =>
  server.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(who === 'none' ? {} : { cookie: s[who].cookie }), ...extra },
    payload: new URLSearchParams(who === 'none' ? form : { _csrf: s[who].csrf, ...form }).toString(),
  });

describe('pages for each role', () => {
  it('without a session, every page sends the browser to sign in and back', async () => {
    for (const url of ['/', '/accounts', `/accounts/${accountId}`, `/accounts/${accountId}/members?q=a`, `/accounts/${accountId}/runs`, `/runs/${runId}`, `/accounts/${accountId}/people`, `/accounts/${accountId}/settings`, '/me']) {
      const res = await get(url, 'none');
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
    // A bearer token does not open console pages.
    const token = (await t.app.tokens.create({ role: 'admin', accountId })).token;
    expect((await server.inject({ method: 'GET', url: `/accounts/${accountId}`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(303);
  });

  it('everyone lands where their role works', async () => {
    expect((await get('/', 'support')).headers.location).toBe('/accounts');
    expect((await get('/', 'admin')).headers.location).toBe(`/accounts/${accountId}`);
    expect((await get('/', 'manager')).headers.location).toBe(`/accounts/${accountId}`);
    expect((await get('/', 'employee')).headers.location).toBe('/me');
  });

  it('accounts: support sees every account and the add form; others land on their own', async () => {
    const res = await get('/accounts', 'support');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`/accounts/${accountId}`);
    expect(res.body).toContain(`/accounts/${otherId}`);
    expect(res.body).toContain('Test connection and add');
    expect((await get('/accounts', 'admin')).headers.location).toBe(`/accounts/${accountId}`);
  });

  it('overview: only an admin sees Sync Members and Preview; another account is not found', async () => {
    const admin = await get(`/accounts/${accountId}`, 'admin');
    expect(admin.statusCode).toBe(200);
    expect(admin.body).toContain('Sync Members');
    expect(admin.body).toContain('9 of 9 seats');
    for (const who of ['manager', 'support'] as const) {
      const res = await get(`/accounts/${accountId}`, who);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('Sync Members');
      expect(res.body).not.toContain('action="/accounts/' + accountId + '/preview"');
    }
    expect((await get(`/accounts/${accountId}`, 'otherAdmin')).statusCode).toBe(404);
    expect((await get(`/accounts/${accountId}`, 'employee')).headers.location).toBe('/me');
  });

  it('members: an admin gets Active boxes and bulk; a manager and support read only; an employee sees only themselves', async () => {
    const admin = await get(`/accounts/${accountId}/members`, 'admin');
    expect(admin.statusCode).toBe(200);
    const rowForm = `hx-post="/accounts/${accountId}/members/`;
    expect(admin.body).toContain(rowForm);
    expect(admin.body).toContain('id="bulk"');
    expect(admin.body).toMatch(/9 Active \/ 9 Total/);
    for (const who of ['manager', 'support'] as const) {
      const res = await get(`/accounts/${accountId}/members`, who);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(rowForm);
      expect(res.body).not.toContain('id="bulk"');
      expect(res.body).toContain('First1 Last1');
    }
    const employee = await get(`/accounts/${accountId}/members?list=all`, 'employee');
    expect(employee.statusCode).toBe(200);
    expect(employee.body).toContain('First3 Last3');
    expect(employee.body).not.toContain('First1 Last1');
  });

  it('a view is a URL: filters, sort and page survive, and sort headers say their order', async () => {
    const res = await get(`/accounts/${accountId}/members?q=last&active=true&sort=email&order=desc`, 'admin');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('aria-sort="descending"');
    expect(res.body).toContain('value="last"');
    expect(res.body.indexOf('user9@acme.test') === -1 || res.body.indexOf('xss@acme.test') < res.body.indexOf('user1@acme.test')).toBe(true);
    expect((await get(`/accounts/${accountId}/members?sort=bogus`, 'admin')).statusCode).toBe(400);
  });

  it('runs and a run: readable by admin, manager and support; not by an employee', async () => {
    for (const who of ['admin', 'manager', 'support'] as const) {
      expect((await get(`/accounts/${accountId}/runs`, who)).statusCode).toBe(200);
      const run = await get(`/runs/${runId}`, who);
      expect(run.statusCode).toBe(200);
      expect(run.body).toContain('9 added');
    }
    expect((await get(`/accounts/${accountId}/runs`, 'employee')).statusCode).toBe(403);
    expect((await get(`/runs/${runId}`, 'employee')).statusCode).toBe(403);
    expect((await get(`/runs/${runId}`, 'otherAdmin')).statusCode).toBe(404);
  });

  it('explain: a timeline of the member; an employee reads only their own', async () => {
    const res = await get(`/accounts/${accountId}/members/${m.user1}`, 'manager');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('What happened, and why');
    expect(res.body).toContain('given a sign-in (invited)');
    expect((await get(`/accounts/${accountId}/members/${m.user1}`, 'employee')).statusCode).toBe(404);
    const me = await get('/me', 'employee');
    expect(me.statusCode).toBe(200);
    expect(me.body).toContain('My record');
    expect(me.body).toContain('First3 Last3');
    expect(me.body).toContain('Your ratings');
    expect(me.body).not.toContain('href="/accounts/' + accountId + '/runs"');
  });

  it('people: admins manage, managers and support read, employees cannot; settings are for admins', async () => {
    const admin = await get(`/accounts/${accountId}/people`, 'admin');
    expect(admin.body).toContain('Invite someone');
    expect(admin.body).toContain('Change role');
    const manager = await get(`/accounts/${accountId}/people`, 'manager');
    expect(manager.statusCode).toBe(200);
    expect(manager.body).not.toContain('Invite someone');
    expect((await get(`/accounts/${accountId}/people`, 'employee')).statusCode).toBe(403);
    expect((await get(`/accounts/${accountId}/settings`, 'admin')).statusCode).toBe(200);
    for (const who of ['manager', 'support', 'employee'] as const) expect((await get(`/accounts/${accountId}/settings`, who)).statusCode).toBe(403);
  });

  it('escapes what the PSA sends, and serves every page under a strict CSP', async () => {
    const res = await get(`/accounts/${accountId}/members?q=xss`, 'admin');
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; O&quot;Brien');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe');
    expect(res.body).not.toMatch(/<script>(?!<\/script>)/);
    expect(res.body).not.toMatch(/ style="/);
    expect(res.body).not.toMatch(/ on[a-z]+="/);
  });
});

describe('changes from the console', () => {
  it('the Active box needs the CSRF token, saves at once, and shows a refusal in place', async () => {
    const url = `/accounts/${accountId}/members/${m.user5}/active`;
    const noToken = await server.inject({ method: 'POST', url, headers: { cookie: s.admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'active=false' });
    expect(noToken.statusCode).toBe(403);
    const off = await post(url, 'admin', {}, { 'hx-request': 'true' });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.body).toMatch(/^<tr id="member-/);
    expect(off.body).toContain('unchecked by an admin');
    // The seat limit is 9 and 9 were Active: user5's seat went to nobody, so re-checking works…
    expect((await post(url, 'admin', { active: 'true' }, { 'hx-request': 'true' })).statusCode).toBe(200);
    // …but with the seat limit lowered below the Active count, checking is refused: the row says why, in place.
    await t.app.members.setActive(accountId, m.user6!, false, 'test');
    const over = await t.app.accounts.update(accountId, { seatLimit: 8 }, 'test');
    expect(over.seats?.limit).toBe(8);
    const refused = await post(`/accounts/${accountId}/members/${m.user6}/active`, 'admin', { active: 'true' }, { 'hx-request': 'true' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('seat limit of 8');
    expect(refused.body).toContain('role="alert"');
  });

  it('without scripts, the Save button posts and the browser returns to the member', async () => {
    const res = await post(`/accounts/${accountId}/members/${m.user7}/active`, 'admin', {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/accounts/${accountId}/members/${m.user7}?saved=1`);
  });

  it('read-only roles are refused every change', async () => {
    for (const who of ['manager', 'support'] as const) {
      expect((await post(`/accounts/${accountId}/members/${m.user7}/active`, who, { active: 'true' })).statusCode).toBe(403);
      expect((await post(`/accounts/${accountId}/sync`, who, {})).statusCode).toBe(403);
      expect((await post(`/accounts/${accountId}/members/bulk`, who, { active: 'false', scope: 'matching' })).statusCode).toBe(403);
    }
    expect((await post(`/accounts/${accountId}/members/${m.user7}/active`, 'otherAdmin', { active: 'true' })).statusCode).toBe(404);
  });

  it('bulk on "all matching" answers a summary of what changed and what was refused, and why', async () => {
    const res = await post(`/accounts/${accountId}/members/bulk`, 'admin', { active: 'true', scope: 'matching', view_list: 'staff', view_active: 'false' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Bulk change: summary');
    expect(res.body).toMatch(/\d+ members? made Active; \d+ refused/);
    expect(res.body).toContain('Back to the members');
  });

  it('sign-in form: a wrong password is refused on the page; the right one signs in and returns to the page asked for', async () => {
    const bad = await server.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=${encodeURIComponent(s.manager.email)}&password=nope&next=%2Faccounts` });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toContain('the email or password is wrong');
    const good = await server.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=${encodeURIComponent(s.manager.email)}&password=${TEST_PASSWORD}&next=${encodeURIComponent(`/accounts/${accountId}/runs`)}` });
    expect(good.statusCode).toBe(303);
    expect(good.headers.location).toBe(`/accounts/${accountId}/runs`);
    // Never back to another site.
    const evil = await server.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=${encodeURIComponent(s.manager.email)}&password=${TEST_PASSWORD}&next=%2F%2Fevil.example` });
    expect(evil.headers.location).toBe('/');
  });

  it('support adds an account only after the credentials pass a test connection', async () => {
    const form = { name: 'Console Co', integration: 'connectwise', cw_site: cw.url, cw_companyId: 'acme', cw_publicKey: 'pubKEY123', cw_privateKey: 'wrong-key', cw_clientId: '5b3a0c0e-1111-4222-8333-944455556666' };
    const refused = await post('/accounts', 'support', form);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).not.toContain('wrong-key');
    expect((await t.app.accounts.list()).some((a) => a.name === 'Console Co')).toBe(false);
    const added = await post('/accounts', 'support', { ...form, cw_privateKey: 'privSECRETkey987' });
    expect(added.statusCode, added.body).toBe(303);
    const account = (await t.app.accounts.list()).find((a) => a.name === 'Console Co')!;
    expect(added.headers.location).toBe(`/accounts/${account.id}?added=1`);
    const page = await get(`/accounts/${account.id}?added=1`, 'support');
    expect(page.body).toContain('Name a first admin');
    expect((await post('/accounts', 'admin', form)).statusCode).toBe(403);
  });

  it('Sync Members answers the live status, which polls until the run has an outcome (286 stops htmx)', async () => {
    const res = await post(`/accounts/${accountId}/sync`, 'admin', {}, { 'hx-request': 'true' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('id="run-status"');
    expect(res.body).toContain('aria-live="polite"');
    const runId = /hx-get="\/runs\/([0-9a-f-]+)\/status"/.exec(res.body)![1]!;
    expect((await get(`/runs/${runId}/status`, 'manager')).statusCode).toBe(200);
    // A replica's scheduler claims the queued run and runs it; the status then carries the outcome.
    await new Scheduler({ orm: t.app.orm, engine: t.app.engine, clock: t.app.clock, logger: t.app.logger, maxConcurrent: 1 }).tick();
    await expect.poll(async () => (await get(`/runs/${runId}/status`, 'admin')).statusCode, { timeout: 15_000 }).toBe(286);
    expect((await get(`/runs/${runId}/status`, 'admin')).body).toContain('Sync finished');
    const preview = await post(`/accounts/${accountId}/preview`, 'admin', {});
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('nothing has been changed');
  });

  it('Settings: notification recipients and webhooks (a private address is refused on the page)', async () => {
    const saved = await post(`/accounts/${accountId}/settings/notifications`, 'admin', { emails: 'ops@acme.test, Boss@acme.test' });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Notification recipients saved.');
    expect((await t.app.accounts.get(accountId)).notificationEmails).toEqual(['ops@acme.test', 'boss@acme.test']);
    const refused = await post(`/accounts/${accountId}/settings/webhooks`, 'admin', { url: 'https://127.0.0.1/hook' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('private or loopback');
    expect((await post(`/accounts/${accountId}/settings/webhooks`, 'manager', { url: 'https://example.com/hook' })).statusCode).toBe(403);
    const page = await get(`/accounts/${accountId}/settings`, 'admin');
    expect(page.body).toContain('Add a webhook URL');
    expect(page.body).toContain('ConnectWise callbacks');
  });
});

