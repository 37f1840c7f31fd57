import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listHeldMail } from '../../src/db/mail-repository.js';
import { issueLink } from '../../src/db/people-repository.js';
import { buildServer } from '../../src/web/server.js';
import { newSecret, sha256 } from '../../src/people/links.js';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, memoryLogger, OffsetClock, type TestApp } from '../helpers/app.js';
import { activationToken, signIn, TEST_PASSWORD } from '../helpers/people.js';

/** Sign-in and links (issue 16, item 3): what the log keeps, forgot for the invited, next=, invitation words, the activation email. */
const PUBLIC_URL = 'https://reviews.example.test';
const log = memoryLogger('info');
const clock = new OffsetClock();
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
let otherId: string;
const m: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp({ clock, logger: log.logger, env: { PSA_SYNC_PUBLIC_URL: PUBLIC_URL } });
  cw = await serveFake(new ConnectWiseFake(cwMembers(8)));
  accountId = (await addCwAccount(t.app, cw.url)).id;
  otherId = (await addCwAccount(t.app, cw.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  await t.app.engine.sync(otherId, { trigger: 'manual', requestedBy: 'test' });
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const form = (url: string, fields: Record<string, string>) =>
  server.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

/** The newest held mail to `to` with a link starting `prefix` other than `except`, waiting for it (forgot mails after answering). */
async function mailedLink(to: string, prefix: string, except?: string): Promise<{ token: string; text: string }> {
  for (let i = 0; i < 100; i++) {
    const [mail] = await listHeldMail(t.app.orm.em.fork(), to, 1);
    const match = mail ? new RegExp(`${PUBLIC_URL}${prefix}([A-Za-z0-9_-]+)`).exec(mail.text) : null;
    if (match && match[1] !== except) return { token: match[1]!, text: mail!.text };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no mail to ${to} with a ${prefix} link`);
}

describe('the request log', () => {
  it('never holds an activation or reset token: the line names the route pattern (GET, POST, a refusal, a 404)', async () => {
    const { person } = await t.app.people.invite(accountId, { memberId: m.user1!, role: 'employee' }, 'cli');
    const activation = await activationToken(t.app, person.email);
    const before = log.lines().length;
    expect((await server.inject({ method: 'GET', url: `/activate/${activation}` })).statusCode).toBe(200);
    expect((await form(`/activate/${activation}`, { password: 'short' })).statusCode).toBe(400);
    expect((await form(`/activate/${activation}`, { password: TEST_PASSWORD })).statusCode).toBe(303);
    expect((await server.inject({ method: 'GET', url: `/activate/${activation}/extra?x=1` })).statusCode).toBe(404);

    expect((await form('/forgot', { email: person.email })).statusCode).toBe(200);
    const reset = (await mailedLink(person.email, '/reset/')).token;
    expect((await server.inject({ method: 'GET', url: `/reset/${reset}` })).statusCode).toBe(200);
    expect((await form(`/reset/${reset}`, { password: 'New-Secret-22' })).statusCode).toBe(303);

    const lines = log.lines().slice(before);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => `${l.method} ${l.route}`)).toEqual(
      expect.arrayContaining(['GET /activate/:token', 'POST /activate/:token', 'GET /reset/:token', 'POST /reset/:token', 'POST /forgot']),
    );
    expect(requests.filter((l) => l.route === '/activate/:token' || l.route === '/reset/:token').every((l) => l.path === l.route)).toBe(true);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(activation);
    expect(text).not.toContain(reset);
  });
});

describe('forgot password for someone who never accepted the invitation', () => {
  it('mails a fresh activation link (same answer); they stay invited until they use it, and no reset link ever activates', async () => {
    const { person } = await t.app.people.invite(accountId, { memberId: m.user2!, role: 'employee' }, 'cli');
    const first = await activationToken(t.app, person.email);
    const invited = await server.inject({ method: 'POST', url: '/api/v1/auth/forgot', payload: { email: person.email } });
    const unknown = await server.inject({ method: 'POST', url: '/api/v1/auth/forgot', payload: { email: 'nobody@acme.test' } });
    expect(invited.statusCode).toBe(202);
    expect(invited.json()).toEqual(unknown.json());

    const fresh = await mailedLink(person.email, '/activate/', first);
    expect(fresh.token).not.toBe(first);
    expect(fresh.text).toContain('7 days');
    expect((await t.app.people.get(accountId, person.id)).state).toBe('invited');
    const [latest] = await listHeldMail(t.app.orm.em.fork(), person.email, 1);
    expect(latest!.text).not.toContain('/reset/');

    // A reset link (one issued before this fix, say) cannot stand in for the activation.
    const resetToken = newSecret();
    await t.app.orm.em.fork().transactional((tem) => issueLink(tem, { id: crypto.randomUUID(), person: person.id, purpose: 'reset', tokenHash: sha256(resetToken), expiresAt: new Date(t.app.clock.now().getTime() + 3_600_000), createdAt: t.app.clock.now() }));
    const viaReset = await server.inject({ method: 'POST', url: '/api/v1/auth/reset', payload: { token: resetToken, password: TEST_PASSWORD } });
    expect(viaReset.statusCode).toBe(400);
    expect(viaReset.json().error.message).toContain('activation');
    expect((await t.app.people.get(accountId, person.id)).state).toBe('invited');

    // The fresh link works (and the invitation's first link no longer does).
    expect((await server.inject({ method: 'POST', url: '/api/v1/auth/activate', payload: { token: first, password: TEST_PASSWORD } })).statusCode).toBe(400);
    expect((await server.inject({ method: 'POST', url: '/api/v1/auth/activate', payload: { token: fresh.token, password: TEST_PASSWORD } })).statusCode).toBe(200);
    expect((await t.app.people.get(accountId, person.id)).state).toBe('active');
  });
});

describe('next= after sign-in', () => {
  it('returns only to a path of the console itself, whatever a browser would make of the value', async () => {
    const session = await signIn(t.app, server, { accountId, memberId: m.user3!, role: 'employee' });
    const origin = new URL(PUBLIC_URL).origin;
    const nasty = ['//evil.example', '/\t/evil.example', '/\n/evil.example', '/\\evil.example', '\\/evil.example', 'https://evil.example/', 'HTTPS://evil.example', '/%09/evil.example', '/.//evil.example', 'javascript:alert(1)', ' //evil.example', `${PUBLIC_URL}@evil.example/`];
    for (const next of nasty) {
      const res = await form('/login', { email: session.email, password: TEST_PASSWORD, next });
      expect(res.statusCode, next).toBe(303);
      const location = String(res.headers.location);
      // A browser resolves Location against the page's URL, dropping tabs and newlines and reading \ as /.
      expect(new URL(location, `${PUBLIC_URL}/login`).origin, `${JSON.stringify(next)} → ${JSON.stringify(location)}`).toBe(origin);
      expect(location.startsWith('/') && !/^\/[/\\]/.test(location.replace(/[\t\n\r]/g, '')), JSON.stringify(location)).toBe(true);
      const page = await server.inject({ method: 'GET', url: `/login?next=${encodeURIComponent(next)}` });
      const hidden = /name="next" value="([^"]*)"/.exec(page.body)![1]!.replace(/&#x2F;|&#47;/g, '/').replace(/&amp;/g, '&');
      expect(new URL(hidden, `${PUBLIC_URL}/login`).origin, `GET ${JSON.stringify(next)}`).toBe(origin);
    }
    // A path of the console (with its query) is kept.
    const good = await form('/login', { email: session.email, password: TEST_PASSWORD, next: `/accounts/${accountId}/members?q=ada&page=2` });
    expect(good.headers.location).toBe(`/accounts/${accountId}/members?q=ada&page=2`);
  });
});

describe('invitations', () => {
  it('an email that signs in to another account is refused without saying where', async () => {
    await t.app.people.invite(otherId, { memberId: (await t.app.members.list(otherId)).find((x) => x.identifier === 'user5')!.id, role: 'employee' }, 'cli');
    const other = await t.app.accounts.get(otherId);
    const err = await t.app.people.invite(accountId, { memberId: m.user5!, role: 'employee' }, 'cli').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBeDefined();
    expect(err!.message).not.toMatch(/another account|other account|elsewhere/i);
    expect(err!.message).not.toContain(other.name);
    expect(err!.message).not.toContain(otherId);
    // The same answer whether the email signs in elsewhere or is already invited here with another role.
    await t.app.people.invite(accountId, { memberId: m.user6!, role: 'employee' }, 'cli');
    const here = await t.app.people.invite(accountId, { memberId: m.user6!, role: 'account_manager' }, 'cli').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(here!.message).toContain('change the role');
  });

  it('the activation email says the link is valid for 7 days, and until when in the account\'s zone', async () => {
    const zoned = await t.app.accounts.add({ name: 'Kiwi MSP', integration: 'connectwise', settings: { site: cw.url, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' }, timezone: 'Pacific/Auckland' });
    clock.at('2026-06-01T10:00:00Z');
    try {
      await t.app.people.invite(zoned.id, { email: 'first@kiwi.test', role: 'admin' }, 'cli');
    } finally {
      clock.offsetMs = 0;
    }
    const [mail] = await listHeldMail(t.app.orm.em.fork(), 'first@kiwi.test', 1);
    // 7 days after 10:00 UTC on 1 June is 22:00 on 8 June in Auckland (NZST, UTC+12).
    expect(mail!.text).toContain('valid for 7 days');
    expect(mail!.text).toMatch(/until Monday,? 8 June 2026,? (at )?22:00 \(Pacific\/Auckland\)/);
    expect(mail!.html).toContain('valid for 7 days');
  });
});
