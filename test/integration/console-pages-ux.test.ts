import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_JS } from '../../src/http/survey-assets.js';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { activationToken, signIn, TEST_PASSWORD, type TestSession } from '../helpers/people.js';

/**
 * Console pages as a reviewer used them (console review, items 2, 4, 6–11): a session that ends
 * under htmx, pages for missing addresses, the survey's names and reasons, dead links, one admin
 * action once, the account's time zone, the survey page without scripts, and wording.
 */
const ZONE = 'Pacific/Auckland';
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
let publicKey: string;
let runId: string;
const m: Record<string, string> = {};
let admin: TestSession;
let manager: TestSession;

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(new ConnectWiseFake([...cwMembers(6), cwMember(7, { inactiveFlag: true }), cwMember(9, { identifier: 'apibot', firstName: 'Api', lastName: 'Bot', licenseClass: 'A' })]));
  const account = await addCwAccount(t.app, cw.url);
  accountId = account.id;
  publicKey = account.publicKey;
  runId = (await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.id!;
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  server = await buildServer(t.app);
  admin = await signIn(t.app, server, { accountId, memberId: m.user1!, role: 'admin' });
  manager = await signIn(t.app, server, { accountId, memberId: m.user2!, role: 'account_manager' });
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const get = (url: string, who?: TestSession, headers: Record<string, string> = {}) => server.inject({ method: 'GET', url, headers: { ...(who ? { cookie: who.cookie } : {}), ...headers } });
const form = (url: string, fields: Record<string, string>, who?: TestSession, headers: Record<string, string> = {}) =>
  server.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(who ? { cookie: who.cookie } : {}), ...headers },
    payload: new URLSearchParams(who ? { _csrf: who.csrf, ...fields } : fields).toString(),
  });
const text = (body: string) => body.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
/** An instant as the console shows it in `zone` ("2026-12-05 11:20"), by another route than the console's code. */
const local = (iso: string, zone: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: zone }).slice(0, 16);

describe('a session that ended, under htmx (item 2)', () => {
  it('an htmx request answers 401 with HX-Redirect to sign in and back to the page it came from; a plain one keeps the 303', async () => {
    const page = `/accounts/${accountId}/members?q=turing`;
    const from = { 'hx-request': 'true', 'hx-current-url': `${t.app.env.publicUrl}${page}` };
    for (const res of [
      await get(`/accounts/${accountId}/members?q=turing`, undefined, from),
      await form(`/accounts/${accountId}/members/${m.user3}/active`, { active: 'true' }, undefined, from),
      await get(`/runs/${runId}/status`, undefined, from),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['hx-redirect']).toBe(`/login?next=${encodeURIComponent(page)}`);
      expect(res.body).not.toContain('<form method="post" action="/login">');
    }
    // A session that was signed out answers the same.
    const ended = await signIn(t.app, server, { accountId, memberId: m.user4!, role: 'employee' });
    await form('/logout', {}, ended);
    expect((await get('/me', ended, { 'hx-request': 'true', 'hx-current-url': `${t.app.env.publicUrl}/me` })).headers['hx-redirect']).toBe('/login?next=%2Fme');
    // Only a page of the console itself is returned to.
    expect((await get(page, undefined, { 'hx-request': 'true', 'hx-current-url': 'https://evil.example/accounts' })).headers['hx-redirect']).toBe('/login?next=%2F');
    const plain = await get(page);
    expect(plain.statusCode).toBe(303);
    expect(plain.headers.location).toBe(`/login?next=${encodeURIComponent(page)}`);
  });
});

describe('an address no route has (item 6)', () => {
  it('is a page for a browser (with the navigation when signed in), JSON for the API and scripts', async () => {
    const signedIn = await get(`/accounts/${accountId}/nope`, admin, { accept: 'text/html,application/xhtml+xml' });
    expect(signedIn.statusCode).toBe(404);
    expect(signedIn.headers['content-type']).toContain('text/html');
    expect(signedIn.body).toContain('<nav aria-label="Main">');
    expect(signedIn.body).toContain(`href="/accounts/${accountId}/members"`);
    const anonymous = await get('/nope', undefined, { accept: 'text/html' });
    expect(anonymous.statusCode).toBe(404);
    expect(anonymous.body).toContain('href="/login"');
    expect(anonymous.body).not.toContain('no route');
    expect((await get('/api/v1/nope', admin, { accept: 'text/html' })).json().error.code).toBe('not_found');
    expect((await get('/nope')).json().error.code).toBe('not_found');
  });
});

describe('the survey page (item 4)', () => {
  beforeAll(async () => {
    for (const [ticket, agent] of [['901', 'user3'], ['902', 'nosuchperson'], ['903', 'apibot']] as const) {
      const res = await server.inject({ method: 'POST', url: `/s/${publicKey}?rating=8&ticket=${ticket}&agent_identifier=${agent}`, headers: { accept: 'application/json' } });
      expect(res.statusCode, res.body).toBe(200);
    }
  });

  it('credits a rating to the member by name, says how it matched, and keeps dates on one line', async () => {
    const body = (await get(`/accounts/${accountId}/survey`, admin)).body;
    expect(body).toContain(`<a href="/accounts/${accountId}/members/${m.user3}">First3 Last3</a><div class="muted small">matched by identifier</div>`);
    expect(body).not.toMatch(/>member<\/a>/);
    expect(body).toMatch(/<td class="nowrap">\d{4}-\d{2}-\d{2} \d{2}:\d{2}<\/td>/);
  });

  it('says why a rating is unmatched in words, and that an agent the sync skips is an API member', async () => {
    const words = text((await get(`/accounts/${accountId}/survey?unmatched=true`, admin)).body);
    expect(words).not.toContain('connectwise_is_source_of_truth');
    expect(words).toContain('Only a sync adds members to a ConnectWise account');
    expect(words).toContain('The PSA lists Api Bot as an API member, which a sync skips');
    expect(words.match(/The PSA lists/g)).toHaveLength(1);
  });
});

describe('activation and reset links (item 7)', () => {
  it('a used, replaced or unknown link says so when the page opens, with the ways on, and offers no form', async () => {
    const { person } = await t.app.people.invite(accountId, { memberId: m.user5!, role: 'employee' }, 'cli');
    const token = await activationToken(t.app, person.email);
    const fresh = await get(`/activate/${token}`);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.body).toContain('name="password"');
    expect((await form(`/activate/${token}`, { password: TEST_PASSWORD })).statusCode).toBe(303);
    for (const [url, why] of [
      [`/activate/${token}`, 'already used'],
      ['/activate/bogus-token-that-was-never-issued', 'not valid'],
      ['/reset/bogus-token-that-was-never-issued', 'not valid'],
    ] as const) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.body, url).toContain(why);
      expect(res.body, url).not.toContain('name="password"');
      expect(res.body, url).toContain('<a href="/login">Sign in</a>');
      expect(res.body, url).toContain('<a href="/forgot">Forgot your password?</a>');
    }
    // A page opened before the link was used, and submitted after: the same words and ways on.
    const late = await form(`/activate/${token}`, { password: TEST_PASSWORD });
    expect(late.statusCode).toBe(400);
    expect(late.body).toContain('already used');
    expect(late.body).toContain('<a href="/forgot">Forgot your password?</a>');
    expect(late.body).not.toContain('name="password"');
  });

  it('"forgot password" answers the same neutral words for a known, an invited and an unknown email', async () => {
    const { person } = await t.app.people.invite(accountId, { memberId: m.user6!, role: 'employee' }, 'cli');
    const answers = await Promise.all([admin.email, person.email, 'nobody@acme.test'].map(async (email) => /role="status">([^<]*)</.exec((await form('/forgot', { email })).body)![1]));
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toBe('If the email belongs to someone here, we sent them a link to set a password. Check your inbox.');
  });
});

describe("a member's history (item 8)", () => {
  it('lists an admin unchecking a member once, with the reason they gave', async () => {
    await t.app.members.setActive(accountId, m.user3!, false, `person:${admin.email} (00000000-0000-4000-8000-000000000001)`, 'on leave');
    const body = (await get(`/accounts/${accountId}/members/${m.user3}`, manager)).body;
    expect(body.match(/<strong>Unchecked<\/strong>/g)).toHaveLength(1);
    expect(body).not.toContain('Active box changed');
    expect(text(body)).toContain('Unchecked by ' + admin.email + ' — set by an admin; reason: “on leave”');
    await t.app.members.setActive(accountId, m.user3!, true, 'test');
  });
});

describe("times in the account's time zone (item 9)", () => {
  it('the overview, runs, a run, the survey and a member history show the account zone, named in the footer', async () => {
    await t.app.accounts.update(accountId, { timezone: ZONE }, 'test');
    const run = await t.app.runs.get(runId);
    const account = await t.app.accounts.get(accountId);
    const pages = {
      overview: (await get(`/accounts/${accountId}`, admin)).body,
      runs: (await get(`/accounts/${accountId}/runs`, admin)).body,
      run: (await get(`/runs/${runId}`, admin)).body,
      survey: (await get(`/accounts/${accountId}/survey`, admin)).body,
      member: (await get(`/accounts/${accountId}/members/${m.user3}`, admin)).body,
    };
    for (const [name, body] of Object.entries(pages)) {
      expect(body, name).toContain(`Times are in ${ZONE}, the time zone of ${account.name}.`);
      expect(body, name).not.toMatch(/\d{2}:\d{2}(:\d{2})? UTC/);
    }
    expect(pages.overview).toContain(`<dt>Last complete sync</dt><dd>${local(account.schedule.lastCompleteSyncAt!, ZONE)}</dd>`);
    expect(pages.runs).toContain(`Manual run of ${new Date(run.startedAt!).toLocaleString('sv-SE', { timeZone: ZONE })}`);
    expect(pages.run).toContain(`<h1>Run of ${local(run.startedAt!, ZONE)}</h1>`);
    const event = (await t.app.survey.list(accountId, false))[0]!;
    expect(pages.survey).toContain(`<td class="nowrap">${local(event.updatedAt, ZONE)}</td>`);
    const member = (await t.app.members.explain(accountId, m.user3!)).member;
    expect(pages.member).toContain(`${local(member.firstSeenAt, ZONE)} · ${local(member.lastSeenAt!, ZONE)}`);
    // Support's list of every account is in UTC, and says so.
    const support = await signIn(t.app, server, { support: true });
    expect((await get('/accounts', support)).body).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    await t.app.accounts.update(accountId, { timezone: 'UTC' }, 'test');
  });
});

describe('the survey link without scripts (item 10)', () => {
  it('asks to confirm until the rating is recorded, then thanks; the script thanks once it has recorded it', async () => {
    const url = `/s/${publicKey}?rating=9&ticket=950&agent_identifier=user3`;
    const page = await get(url);
    expect(page.body).toContain('<h1>One more step: confirm your rating</h1>');
    expect(page.body).not.toContain('Thank you');
    const recorded = await server.inject({ method: 'POST', url });
    expect(recorded.body).toContain('<h1>Thank you for your feedback</h1>');
    expect(RECORD_JS).toContain("heading.textContent = \"Thank you for your feedback\"");
  });
});

describe('wording (item 11)', () => {
  it('a refusal names a role in words; a person cannot be made Active, "they"; one member is one member; one full stop', async () => {
    const refused = await form(`/accounts/${accountId}/sync`, {}, manager);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('an account manager may not');
    expect(refused.body).not.toContain('account_manager');
    const inactive = await t.app.members.setActive(accountId, m.user7!, true, 'test').catch((e: Error) => e);
    expect((inactive as Error).message).toBe('member First7 Last7 is inactive in ConnectWise, so they cannot be made Active');
    const one = text((await get(`/accounts/${accountId}/members?q=user6%40`, admin)).body);
    expect(one).toContain('The 1 member matching this view');
    expect(one).not.toContain('All 1 members');
    const report = text((await get(`/accounts/${accountId}/reports?client=${encodeURIComponent('Stark, Inc.')}`, admin)).body);
    expect(report).toContain('clients: only Stark, Inc.');
    expect(report).not.toContain('Inc..');
  });
});
