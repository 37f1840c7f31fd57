import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { linkIn, startSmtp } from '../helpers/smtp.js';

/** People (issue 10, items 1–4): invitations over real SMTP, activation, sessions, CSRF, reset, sign-in limits. */
const PUBLIC_URL = 'https://reviews.example.test';
const GOOD = 'Correct-Horse-9';
let t: TestApp;
let server: FastifyInstance;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let cw: Awaited<ReturnType<typeof serveFake>>;
const clock = new OffsetClock();
let accountId: string;
const memberIds: Record<string, string> = {};

beforeAll(async () => {
  smtp = await startSmtp();
  t = await createTestApp({ clock, env: { SMTP_URL: smtp.url, PSA_SYNC_PUBLIC_URL: PUBLIC_URL, PSA_SYNC_SIGNIN_LIMIT_PER_PERSON: '3', PSA_SYNC_SIGNIN_LIMIT_PER_ADDRESS: '50' } });
  cw = await serveFake(new ConnectWiseFake(cwMembers(6)));
  accountId = (await addCwAccount(t.app, cw.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  for (const m of await t.app.members.list(accountId, 'all')) memberIds[m.identifier!] = m.id;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
  await smtp.close();
});

const cookieOf = (res: LightMyRequestResponse) => {
  const c = res.cookies.find((x) => x.name === 'psa_session');
  return c ? `psa_session=${c.value}` : undefined;
};
const post = (url: string, payload: object, headers: Record<string, string> = {}) => server.inject({ method: 'POST', url, payload, headers });
const get = (url: string, cookie?: string) => server.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

/** Invites a member (as the operator's CLI would) and returns the activation token read from the received email. */
async function invite(identifier: string, role = 'employee'): Promise<{ personId: string; token: string }> {
  const { person, mail } = await t.app.people.invite(accountId, { memberId: memberIds[identifier]!, role }, 'cli');
  expect(mail).toEqual({ sent: true, channel: 'smtp' });
  const message = await smtp.next(`${identifier}@acme.test`);
  return { personId: person.id, token: linkIn(message, `${PUBLIC_URL}/activate/`).token };
}

describe('invitation and activation', () => {
  it('invite → email over SMTP → the link sets a password → signed in; the same link again fails', async () => {
    const { token } = await invite('user1', 'admin');
    const mail = smtp.received.at(-1)!;
    expect(mail.subject).toMatch(/invited to Acme/);
    expect(mail.html).toContain(`href="${PUBLIC_URL}/activate/${token}"`);

    const res = await post('/api/v1/auth/activate', { token, password: GOOD });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = cookieOf(res)!;
    const set = res.cookies.find((c) => c.name === 'psa_session')!;
    expect(set).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true, path: '/' });
    const me = await get('/api/v1/me', cookie);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'session', role: 'admin', account: { id: accountId }, person: { email: 'user1@acme.test', state: 'active', memberId: memberIds.user1 }, csrfToken: res.json().csrfToken });

    const again = await post('/api/v1/auth/activate', { token, password: 'Another-Pass-1' });
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toMatchObject({ code: 'link_invalid', message: expect.stringContaining('already used') });
    // The password set by the link signs in; the one refused did not replace it.
    expect((await post('/api/v1/auth/login', { email: 'USER1@acme.test', password: GOOD })).statusCode).toBe(200);
    expect((await post('/api/v1/auth/login', { email: 'user1@acme.test', password: 'Another-Pass-1' })).statusCode).toBe(401);
    // The member's explain history shows what concerned their sign-in.
    const { audit } = await t.app.members.explain(accountId, memberIds.user1!);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['person.invited', 'person.activated', 'auth.signin_failed']));
  });

  it('a link used after 7 days fails, with words saying why', async () => {
    const { token } = await invite('user2');
    clock.offsetMs = 7 * 86_400_000 + 1_000;
    try {
      const res = await post('/api/v1/auth/activate', { token, password: GOOD });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('expired (links last 7 days)');
    } finally {
      clock.offsetMs = 0;
    }
    // Just inside the 7 days it works.
    clock.offsetMs = 7 * 86_400_000 - 60_000;
    try {
      expect((await post('/api/v1/auth/activate', { token, password: GOOD })).statusCode).toBe(200);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('resending kills the earlier link', async () => {
    const first = await invite('user3');
    const { mail } = await t.app.people.resend(accountId, first.personId, 'cli');
    expect(mail.sent).toBe(true);
    const second = linkIn(await smtp.next('user3@acme.test'), `${PUBLIC_URL}/activate/`).token;
    expect(second).not.toBe(first.token);
    const old = await post('/api/v1/auth/activate', { token: first.token, password: GOOD });
    expect(old.statusCode).toBe(400);
    expect(old.json().error.message).toContain('replaced by a newer one');
    expect((await post('/api/v1/auth/activate', { token: second, password: GOOD })).statusCode).toBe(200);
  });

  it('each password rule broken is named; nothing is used up by a refused password', async () => {
    const { token } = await invite('user4');
    const cases: [string, string[]][] = [
      ['short1!', ['at least 8 characters']],
      ['a'.repeat(47) + 'B1!!', ['at most 50 characters']],
      ['nouppercase1!', ['an upper-case letter']],
      ['NOLOWERCASE1!', ['a lower-case letter']],
      ['NoDigits!!', ['a digit']],
      ['NoSpecial123', ['a special character']],
      ['abc', ['at least 8 characters', 'an upper-case letter', 'a digit', 'a special character']],
    ];
    for (const [password, rules] of cases) {
      const res = await post('/api/v1/auth/activate', { token, password });
      expect(res.statusCode, password).toBe(400);
      for (const rule of rules) expect(res.json().error.message, password).toContain(rule);
    }
    // 50 characters is accepted (and the link was still good after all those refusals).
    const fifty = 'Aa1!' + 'x'.repeat(46);
    expect(fifty.length).toBe(50);
    expect((await post('/api/v1/auth/activate', { token, password: fifty })).statusCode).toBe(200);
  });

  it('roles go only to Active members with an email; one email has one sign-in', async () => {
    await t.app.members.setActive(accountId, memberIds.user6!, false, 'test');
    await expect(t.app.people.invite(accountId, { memberId: memberIds.user6!, role: 'employee' }, 'cli')).rejects.toThrow(/not Active/);
    await t.app.members.setActive(accountId, memberIds.user6!, true, 'test');
    await expect(t.app.people.invite(accountId, { email: 'nobody@acme.test', role: 'employee' }, 'cli')).rejects.toThrow(/no member of .* has the email nobody@acme.test/);
    await expect(t.app.people.invite(accountId, { memberId: memberIds.user1!, role: 'employee' }, 'cli')).rejects.toThrow(/already signs in here as admin/);
  });
});

describe('sessions and CSRF', () => {
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    const res = await post('/api/v1/auth/login', { email: 'user1@acme.test', password: GOOD });
    cookie = cookieOf(res)!;
    csrf = res.json().csrfToken;
  });
  const patchMember = (headers: Record<string, string>) =>
    server.inject({ method: 'PATCH', url: `/api/v1/accounts/${accountId}/members/${memberIds.user5}`, payload: { active: true }, headers: { cookie, ...headers } });

  it('a cookie session reads like a token does', async () => {
    const res = await get(`/api/v1/accounts/${accountId}/members`, cookie);
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(6);
  });

  it('a change with the cookie but without the CSRF token is refused; with it, it is made', async () => {
    expect((await patchMember({})).statusCode).toBe(403);
    expect((await patchMember({ 'x-csrf-token': 'x'.repeat(43) })).statusCode).toBe(403);
    expect((await patchMember({ 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    const ok = await patchMember({ 'x-csrf-token': csrf, 'sec-fetch-site': 'same-origin' });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('a sign-in posted from another site is refused (login CSRF)', async () => {
    expect((await post('/api/v1/auth/login', { email: 'user1@acme.test', password: GOOD }, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
  });

  it('idle and absolute expiry end a session', async () => {
    const s = cookieOf(await post('/api/v1/auth/login', { email: 'user1@acme.test', password: GOOD }))!;
    clock.offsetMs = 59 * 60_000;
    try {
      expect((await get('/api/v1/me', s)).statusCode).toBe(200); // touched: idle starts again
      clock.offsetMs = 2 * 59 * 60_000;
      expect((await get('/api/v1/me', s)).statusCode).toBe(200);
      clock.offsetMs = 2 * 59 * 60_000 + 61 * 60_000;
      expect((await get('/api/v1/me', s)).statusCode).toBe(401);
    } finally {
      clock.offsetMs = 0;
    }
    const s2 = cookieOf(await post('/api/v1/auth/login', { email: 'user1@acme.test', password: GOOD }))!;
    for (let h = 0.9; h < 12; h += 0.9) {
      clock.offsetMs = h * 3_600_000;
      expect((await get('/api/v1/me', s2)).statusCode).toBe(200);
    }
    clock.offsetMs = 12 * 3_600_000 + 1000;
    try {
      expect((await get('/api/v1/me', s2)).statusCode).toBe(401);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('sign-out ends the session at once', async () => {
    const res = await post('/api/v1/auth/login', { email: 'user1@acme.test', password: GOOD });
    const s = cookieOf(res)!;
    expect((await server.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: s, 'x-csrf-token': res.json().csrfToken } })).statusCode).toBe(200);
    expect((await get('/api/v1/me', s)).statusCode).toBe(401);
    expect((await get('/api/v1/me', cookie)).statusCode).toBe(200); // other sessions go on
  });
});

describe('forgotten password', () => {
  it('answers the same for an unknown email, and mails a 1-hour link to a known one', async () => {
    const unknown = await post('/api/v1/auth/forgot', { email: 'stranger@acme.test' });
    const known = await post('/api/v1/auth/forgot', { email: 'user2@acme.test' });
    expect(unknown.statusCode).toBe(202);
    expect(known.statusCode).toBe(202);
    expect(known.json()).toEqual(unknown.json());
    const token = linkIn(await smtp.next('user2@acme.test'), `${PUBLIC_URL}/reset/`).token;
    expect(smtp.received.some((m) => m.to && 'text' in m.to && m.to.text === 'stranger@acme.test')).toBe(false);

    clock.offsetMs = 61 * 60_000;
    try {
      expect((await post('/api/v1/auth/reset', { token, password: 'New-Secret-22' })).json().error.message).toContain('expired (links last 1 hour)');
    } finally {
      clock.offsetMs = 0;
    }
    await post('/api/v1/auth/forgot', { email: 'user2@acme.test' });
    const fresh = linkIn(await smtp.next('user2@acme.test'), `${PUBLIC_URL}/reset/`).token;
    const before = cookieOf(await post('/api/v1/auth/login', { email: 'user2@acme.test', password: GOOD }))!;
    const res = await post('/api/v1/auth/reset', { token: fresh, password: 'New-Secret-22' });
    expect(res.statusCode, res.body).toBe(200);
    expect((await get('/api/v1/me', cookieOf(res))).statusCode).toBe(200);
    // Resetting ends the sessions signed in with the old password.
    expect((await get('/api/v1/me', before)).statusCode).toBe(401);
    expect((await post('/api/v1/auth/login', { email: 'user2@acme.test', password: GOOD })).statusCode).toBe(401);
  });
});

describe('sign-in limits', () => {
  it('limits failures per person, shared by every replica, and records them in aggregate', async () => {
    const replica = await createTestApp({ clock, databaseUrl: t.url, env: { PSA_SYNC_SIGNIN_LIMIT_PER_PERSON: '3' } });
    const other = await buildServer(replica.app);
    try {
      const attempt = (s: FastifyInstance, password: string) => s.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'user3@acme.test', password } });
      expect((await attempt(server, 'wrong-1')).statusCode).toBe(401);
      expect((await attempt(other, 'wrong-2')).statusCode).toBe(401);
      expect((await attempt(server, 'wrong-3')).statusCode).toBe(401);
      // The limit is reached on either replica, and even the right password waits.
      const limited = await attempt(other, GOOD);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.json().error.message).toContain('too many failed sign-ins for this email');
      clock.offsetMs = 16 * 60_000;
      try {
        expect((await attempt(server, GOOD)).statusCode).toBe(200);
      } finally {
        clock.offsetMs = 0;
      }
      const audit = await query(t.url, `select after from audit_entry where action = 'auth.signin_failed' and target_id = $1`, [memberIds.user3]);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.after.failures).toBe(3);
    } finally {
      await other.close();
      await replica.app.close();
    }
  });
});
