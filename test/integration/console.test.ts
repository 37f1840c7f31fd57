import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { AT_CREDENTIALS, atRoster, AutotaskFake } from '../fakes/autotask-fake.js';
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

  it('members: an admin gets Active boxes and bulk; a manager and support read only; an employee is sent to their own record', async () => {
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
    expect(employee.statusCode).toBe(303);
    expect(employee.headers.location).toBe('/me');
  });

  it("an employee's pages show their own record and the account's name, never the account record (issue 16, item 7)", async () => {
    const account = await t.app.accounts.get(accountId);
    await t.app.accounts.setNotificationEmails(accountId, ['boss-secret-recipient@acme.test'], 'test');
    const shown = [(await get('/me', 'employee')).body, (await get(`/accounts/${accountId}/members/${m.user3}`, 'employee')).body];
    for (const body of shown) {
      expect(body).toContain('First3 Last3');
      expect(body).toContain(account.name);
      expect(body).not.toContain('seats');
      expect(body).not.toContain('boss-secret-recipient');
      expect(body).not.toContain(account.publicKey);
    }
    // Pages of the account record are not the employee's, whatever they would show.
    expect((await get(`/accounts/${accountId}/settings`, 'employee')).statusCode).toBe(403);
    expect((await get(`/accounts/${accountId}/runs`, 'employee')).statusCode).toBe(403);
    await t.app.accounts.setNotificationEmails(accountId, null, 'test');
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
  it('bulk on the rows ticked: every ticked row is changed, not only the last (issue 16, item 2)', async () => {
    const rows = [m.user4!, m.user8!, m.user9!];
    // A browser sends one memberIds field per ticked row.
    const bulk = (active: string) =>
      server.inject({
        method: 'POST',
        url: `/accounts/${accountId}/members/bulk`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.admin.cookie },
        payload: `_csrf=${s.admin.csrf}&view_list=staff&scope=selected&${rows.map((id) => `memberIds=${id}`).join('&')}&active=${active}`,
      });
    const off = await bulk('false');
    expect(off.statusCode, off.body).toBe(200);
    expect(off.body).toContain('3 members unchecked; 0 refused');
    const state = async () => (await t.app.members.list(accountId, 'all')).filter((x) => rows.includes(x.id)).map((x) => x.active);
    expect(await state()).toEqual([false, false, false]);
    const on = await bulk('true');
    expect(on.body).toContain('3 members made Active; 0 refused');
    expect(await state()).toEqual([true, true, true]);
  });

  it('the Active box needs the CSRF token, saves at once, and shows a refusal in place', async () => {
    const url = `/accounts/${accountId}/members/${m.user5}/active`;
    const noToken = await server.inject({ method: 'POST', url, headers: { cookie: s.admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'active=false' });
    expect(noToken.statusCode).toBe(403);
    const off = await post(url, 'admin', {}, { 'hx-request': 'true' });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.body).toMatch(/^<form method="post"/); // the Active cell alone (console UX review, item 1)
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

  it("without scripts, the Save button posts and the browser returns to the member's page it was on", async () => {
    const res = await post(`/accounts/${accountId}/members/${m.user7}/active?back=member`, 'admin', {});
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

  it('the add-account form has Autotask fields, and an Autotask account is added once its connection passes', async () => {
    const page = await get('/accounts', 'support');
    expect(page.body).toContain('<option value="autotask"');
    for (const field of ['at_userName', 'at_secret', 'at_integrationCode', 'at_zoneUrl']) expect(page.body).toContain(`name="${field}"`);
    const at = await serveFake(new AutotaskFake(atRoster(3)));
    try {
      const form = { name: 'Console Autotask', integration: 'autotask', at_userName: AT_CREDENTIALS.userName, at_secret: 'wrong-secret-1', at_integrationCode: AT_CREDENTIALS.integrationCode, at_zoneUrl: `${at.url}/atservicesrest/` };
      const refused = await post('/accounts', 'support', form);
      expect(refused.statusCode).toBe(400);
      expect(refused.body, /role="alert"[\s\S]{0,400}/.exec(refused.body)?.[0]).toContain('check Secret'); // the form's label (UX review, item 5)
      expect(refused.body).not.toContain('wrong-secret-1');
      expect((await t.app.accounts.list()).some((a) => a.name === 'Console Autotask')).toBe(false);
      const added = await post('/accounts', 'support', { ...form, at_secret: AT_CREDENTIALS.secret });
      expect(added.statusCode, added.body).toBe(303);
      const account = (await t.app.accounts.list()).find((a) => a.name === 'Console Autotask')!;
      expect(account).toMatchObject({ integration: 'autotask', settings: { userName: AT_CREDENTIALS.userName, zoneUrl: `${at.url}/atservicesrest/` } });
    } finally {
      await at.close();
    }
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
    const final = (await get(`/runs/${runId}/status`, 'admin')).body;
    expect(final).toContain('Sync finished');
    // The outcome also swaps in the overview's facts (issue 16, item 8): this run's complete read, and the seats now.
    const account = await t.app.accounts.get(accountId);
    const finished = (await t.app.runs.get(runId)).finishedAt!;
    expect(final).toContain('<div id="account-facts" hx-swap-oob="true">');
    expect(account.schedule.lastCompleteSyncAt).toBe(finished);
    // In the account's time zone (UTC for this account), named once in the page's footer.
    expect(final).toContain(`<dt>Last complete sync</dt><dd>${finished.replace('T', ' ').slice(0, 16)}</dd>`);
    expect(final).toContain(`<dt>Seats</dt><dd>${account.seats!.active} of ${account.seats!.limit} seats</dd>`);
    // While the run is live, the poll answers the status alone.
    expect(res.body).not.toContain('account-facts');
    const preview = await post(`/accounts/${accountId}/preview`, 'admin', {});
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toMatch(/A sync now would change nothing|nothing has been changed yet/);
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

describe('bad input on console forms (issue 16, item 7)', () => {
  const json = (url: string, who: Who, payload: object) =>
    server.inject({ method: 'POST', url, headers: who === 'none' ? {} : { cookie: s[who].cookie, 'x-csrf-token': s[who].csrf }, payload });

  it('a JSON body with a non-string field is a 400 naming the field, never a 500', async () => {
    const addAccount = await json('/accounts', 'support', { name: 'Json Co', integration: 'connectwise', cw_site: 5 });
    expect(addAccount.statusCode, addAccount.body).toBe(400);
    expect(addAccount.body).toContain('body.cw_site must be string');
    const box = await json(`/accounts/${accountId}/members/${m.user8}/active`, 'admin', { active: 'false', reason: { why: 'x' } });
    expect(box.statusCode, box.body).toBe(400);
    expect(box.body).toContain('body.reason must be string');
    const login = await json('/login', 'none', { email: ['a@x.test'], password: 'x' });
    expect(login.statusCode, login.body).toBe(400);
    expect(login.body).toContain('body.email must be string');
    expect((await t.app.members.list(accountId, 'all')).find((x) => x.id === m.user8)?.active).toBe(true);
  });

  it('every form a page posts refuses a non-string field by name, before anything is done', async () => {
    const forms = server.routeTable.filter((r) => r.page && r.method === 'POST');
    expect(forms.length).toBeGreaterThan(10);
    const ids: Record<string, string> = { id: accountId, memberId: m.user8!, personId: '3f2a9c1e-0000-4000-8000-000000000000', webhookId: '3f2a9c1e-0000-4000-8000-000000000001', token: 'x'.repeat(43) };
    for (const route of forms) {
      const url = route.url.replace(/:(\w+)/g, (_, name: string) => ids[name]!);
      for (const payload of [{ note: 5 }, { note: ['a', 'b'] }, { note: { a: 1 } }, { note: null }]) {
        const res = await json(url, route.auth === 'public' ? 'none' : 'admin', payload);
        expect(res.statusCode, `${route.method} ${route.url} ${JSON.stringify(payload)}: ${res.body.slice(0, 200)}`).toBe(400);
        expect(res.body, route.url).toContain('body.note must be string');
      }
    }
    // A field sent twice where one value belongs is refused the same way.
    const repeated = await server.inject({
      method: 'POST',
      url: `/accounts/${accountId}/members/${m.user8}/active`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.admin.cookie },
      payload: `_csrf=${s.admin.csrf}&active=false&active=true`,
    });
    expect(repeated.statusCode).toBe(400);
    expect(repeated.body).toContain('body.active must be string');
    expect((await t.app.members.list(accountId, 'all')).find((x) => x.id === m.user8)?.active).toBe(true);
  });
});

describe('the People page checks access before it looks anything up (issue 16, item 7)', () => {
  it('a caller without access gets the same answer whether or not the member exists', async () => {
    const missing = '3f2a9c1e-0000-4000-8000-0000000000ff';
    for (const who of ['employee', 'otherAdmin'] as const) {
      const existing = await get(`/accounts/${accountId}/people?member=${m.user4}`, who);
      const absent = await get(`/accounts/${accountId}/people?member=${missing}`, who);
      const malformed = await get(`/accounts/${accountId}/people?member=nope`, who);
      expect(existing.statusCode, who).toBe(who === 'employee' ? 403 : 404);
      expect([absent.statusCode, malformed.statusCode], who).toEqual([existing.statusCode, existing.statusCode]);
      const message = (body: string) => /role="alert">([^<]*)</.exec(body)?.[1] ?? body;
      expect(message(absent.body), who).toBe(message(existing.body));
      expect(message(malformed.body), who).toBe(message(existing.body));
    }
    // An admin's invite form is filled in from the member.
    const admin = await get(`/accounts/${accountId}/people?member=${m.user4}`, 'admin');
    expect(admin.body).toContain('value="user4@acme.test" readonly');
  });
});

describe('the console as a person finds it (issue 16, item 8)', () => {
  it('the explain timeline and a run\'s changes read as words, never field names', async () => {
    // user8 was unchecked and checked again by the admin's bulk change above.
    const explain = await get(`/accounts/${accountId}/members/${m.user8}`, 'manager');
    expect(explain.statusCode).toBe(200);
    expect(explain.body).toContain(`Unchecked</strong> by ${s.admin.email}`);
    expect(explain.body).toContain('Active: yes → no');
    expect(explain.body).toContain('Kept unchecked by an admin: no → yes');
    const run = await get(`/runs/${runId}`, 'manager');
    expect(run.body).toContain('PSA id: 1');
    for (const body of [explain.body, run.body]) for (const raw of ['adminInactive', 'psaActive', 'externalId', 'inactiveReason', '<code>']) expect(body).not.toContain(raw);
  });

  it('support names a first admin and reads who was invited and until when the link works', async () => {
    const psa = await serveFake(new ConnectWiseFake(cwMembers(3, 300)));
    try {
      const fresh = await addCwAccount(t.app, psa.url);
      await t.app.engine.sync(fresh.id, { trigger: 'manual', requestedBy: 'test' });
      const invited = await post(`/accounts/${fresh.id}/people`, 'support', { role: 'admin', email: 'user300@acme.test' });
      expect(invited.statusCode).toBe(303);
      const person = (await t.app.people.list(fresh.id)).find((p) => p.email === 'user300@acme.test')!;
      expect(invited.headers.location).toBe(`/accounts/${fresh.id}?invited=${person.id}&mail=outbox`);
      const page = await get(invited.headers.location as string, 'support');
      const until = `${person.invitationExpiresAt!.replace('T', ' ').slice(0, 16)}`;
      expect(page.body).toContain(`First300 Last300 (user300@acme.test) is invited as the first admin`); // named as a person (UX review, item 8)
      expect(page.body).toContain(`it works once, until ${until}`);
      // Nothing to confirm for someone who is no pending invitation, or for a made-up id.
      expect((await get(`/accounts/${fresh.id}?invited=3f2a9c1e-0000-4000-8000-000000000000&mail=smtp`, 'support')).body).not.toContain('invited as the first admin');
    } finally {
      await psa.close();
    }
  });

  it('a held run is announced on the overview with a link that says what it opens; run rows name their run', async () => {
    const psa = new ConnectWiseFake(cwMembers(10, 400));
    const served = await serveFake(psa);
    try {
      const held = await addCwAccount(t.app, served.url, { breakerPercent: 5, breakerMinMembers: 1 });
      await t.app.engine.sync(held.id, { trigger: 'manual', requestedBy: 'test' });
      psa.setMembers(cwMembers(10, 400).slice(0, 2));
      const run = (await t.app.engine.sync(held.id, { trigger: 'manual', requestedBy: 'test' })).run;
      expect(run.status).toBe('held');
      const overview = await get(`/accounts/${held.id}`, 'support');
      expect(overview.body).toContain('A run waits for approval.');
      const started = `${(run.startedAt ?? run.createdAt)!.replace('T', ' ').slice(0, 19)}`;
      expect(overview.body).toContain(`<a href="/runs/${run.id}">Open the held manual run of ${started}</a>`);
      const runs = await get(`/accounts/${held.id}/runs`, 'support');
      expect(runs.body).toContain(`<a href="/runs/${run.id}">Held manual run of ${started}</a>`);
      // Every row's link says which run it opens, and no two say the same.
      const links = [...runs.body.matchAll(/<a href="\/runs\/[0-9a-f-]+">([^<]+)<\/a>/g)].map((x) => x[1]!);
      expect(links).toHaveLength(2);
      for (const text of links) expect(text).toMatch(/^(Held )?[Mm]anual run of \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(runs.body).toContain(`Times are in UTC, the time zone of ${held.name}.`);
      expect(new Set(links).size).toBe(links.length);
      // Once decided, the overview no longer announces it.
      await t.app.engine.reject(run.id!, 'test', null);
      expect((await get(`/accounts/${held.id}`, 'support')).body).not.toContain('A run waits for approval');
    } finally {
      await served.close();
    }
  });
});
