import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { raiseAutoAddDigests, raiseStale } from '../../src/notify/events.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { linkIn, startSmtp } from '../helpers/smtp.js';

/**
 * Notifications (issue 12): each event raised by its real cause, received over real SMTP and by a
 * real local webhook receiver that verifies the Standard Webhooks signature with the reference library.
 */
interface Received {
  type: string;
  data: Record<string, any>;
  id: string;
}

let t: TestApp;
let server: FastifyInstance;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let fake: ConnectWiseFake;
let cw: Awaited<ReturnType<typeof serveFake>>;
let receiver: Server;
let receiverUrl: string;
let answer = 200;
const received: Received[] = [];
const rejected: string[] = [];
let secret = '';
let firstSecret = '';
const clock = new OffsetClock();
let accountId: string;
const m: Record<string, string> = {};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => resolve(body));
  });
}

beforeAll(async () => {
  smtp = await startSmtp();
  receiver = createServer(async (req, res) => {
    const body = await readBody(req);
    try {
      const payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as Received;
      received.push({ ...payload, id: String(req.headers['webhook-id']) });
    } catch (err) {
      rejected.push((err as Error).message);
    }
    res.writeHead(answer).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  t = await createTestApp({ clock, env: { SMTP_URL: smtp.url, PSA_SYNC_SUPPORT_EMAIL: 'support@psa-sync.test', PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS: 'true', PSA_SYNC_PUBLIC_URL: 'https://reviews.example.test' } });
  fake = new ConnectWiseFake(cwMembers(10));
  cw = await serveFake(fake);
  accountId = (await addCwAccount(t.app, cw.url, { seatLimit: 10 })).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  server = await buildServer(t.app);
  // The admin activates from the emailed link (only people who can sign in receive notifications).
  await t.app.people.invite(accountId, { memberId: m.user1!, role: 'admin' }, 'test');
  const { token } = linkIn(await smtp.next('user1@acme.test'), 'https://reviews.example.test/activate/');
  expect((await server.inject({ method: 'POST', url: '/api/v1/auth/activate', payload: { token, password: 'Admin-Pass-1' } })).statusCode).toBe(200);
  ({ secret } = await t.app.webhooks.add(accountId, receiverUrl, 'test'));
  firstSecret = secret;
  await t.app.notifications.runOnce();
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
  await smtp.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/** Runs the worker until nothing is due, as the daemon's ticks would. */
async function deliver(): Promise<void> {
  for (let i = 0; i < 5; i++) if ((await t.app.notifications.runOnce()) === 0) break;
}
const hooksOf = (type: string) => received.filter((r) => r.type === type && r.data.accountId === accountId);

describe('notifications by their real causes', () => {
  it('run.held: the breaker holds a run; admins get an email, the webhook a signed event', async () => {
    fake.setMembers(cwMembers(10).slice(0, 4));
    const held = await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    expect(held.run.status).toBe('held');
    await deliver();
    const mail = await smtp.find('user1@acme.test', 'waiting for your approval');
    expect(mail.text).toContain(`https://reviews.example.test/runs/${held.run.id}`);
    expect(hooksOf('run.held')).toHaveLength(1);
    expect(hooksOf('run.held')[0]!.data).toMatchObject({ runId: held.run.id, holdReason: expect.stringContaining('would deactivate') });
    expect(rejected).toEqual([]);
    await t.app.engine.reject(held.run.id!, 'test');
    fake.setMembers(cwMembers(10));
  });

  it('run.failed: one email per failure streak, not per retry; account.auth_blocked reaches support too', async () => {
    fake.interceptors.push((req) => (req.url.pathname.includes('/system/members') ? { status: 500, headers: {}, body: 'boom' } : undefined));
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    await deliver();
    expect(hooksOf('run.failed')).toHaveLength(1);
    await smtp.find('user1@acme.test', 'Sync Members is failing');
    fake.interceptors.length = 0;
    expect((await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.status).toBe('succeeded');

    // A new streak, of auth failures this time.
    await t.app.accounts.update(accountId, { settings: { site: cw.url, companyId: 'acme', publicKey: 'pubKEY123', privateKey: 'wrong-key-1', clientId: '5b3a0c0e-1111-4222-8333-944455556666', codebase: 'v2025_1/' } }, 'test');
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    await deliver();
    expect(hooksOf('run.failed')).toHaveLength(2);
    expect(hooksOf('account.auth_blocked')).toHaveLength(1);
    await smtp.find('support@psa-sync.test', "refused psa-sync's credentials");
    await t.app.accounts.update(accountId, { settings: { site: cw.url, companyId: 'acme', publicKey: 'pubKEY123', privateKey: 'privSECRETkey987', clientId: '5b3a0c0e-1111-4222-8333-944455556666', codebase: 'v2025_1/' } }, 'test');
    expect((await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.status).toBe('succeeded');
  });

  it('seats.limit_reached: an admin checking a member past the seat limit', async () => {
    await t.app.members.setActive(accountId, m.user9!, false, 'test');
    await t.app.accounts.update(accountId, { seatLimit: 9 }, 'test');
    await t.app.members.setActive(accountId, m.user10!, false, 'test');
    await t.app.members.setActive(accountId, m.user9!, true, 'test');
    await expect(t.app.members.setActive(accountId, m.user10!, true, 'test')).rejects.toThrow(/seat limit/);
    await deliver();
    expect(hooksOf('seats.limit_reached')).toHaveLength(1);
    await smtp.find('user1@acme.test', 'seat limit is reached');
  });

  it('account.stale: no complete read for 48 hours (clock moved), once per stale spell', async () => {
    clock.offsetMs = 49 * 3_600_000;
    try {
      await raiseStale(t.app.orm.em.fork(), t.app.clock.now(), ['connectwise']);
      await raiseStale(t.app.orm.em.fork(), t.app.clock.now(), ['connectwise']);
    } finally {
      // Delivered now: the receiver checks each message's timestamp against its own clock.
      clock.offsetMs = 0;
    }
    await deliver();
    expect(hooksOf('account.stale')).toHaveLength(1);
    await smtp.find('support@psa-sync.test', 'no complete sync for 48 hours');
  });

  it('members.auto_added: one digest per finished day in the account\'s zone, at any hour, to the account\'s own recipients', async () => {
    // Pinned instants around midnight in Auckland (UTC+13 in December), not the wall clock's hour.
    const snippet = await t.app.accounts.add({ name: `Snippet ${Date.now()}`, integration: 'snippet', settings: { requireSignedLinks: false }, timezone: 'Pacific/Auckland' });
    await t.app.accounts.setNotificationEmails(snippet.id, ['Digest@Acme.test'], 'test');
    const hook = await t.app.webhooks.add(snippet.id, `${receiverUrl}?digest`, 'test');
    const verified = received.length;
    const digests = async () => (await query(t.url, `select payload from notification where event = 'members.auto_added' and account_id = $1`, [snippet.id])).map((r) => r.payload);
    const raiseAt = async (instant: string) => {
      clock.at(instant);
      await raiseAutoAddDigests(t.app.orm.em.fork(), t.app.clock.now());
    };
    try {
      clock.at('2026-03-09T10:58:00Z'); // 23:58 on 9 March in Auckland
      const res = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: { accountKey: snippet.publicKey, rating: 9, ticket: 'T-1', respondent: 'r@client.test', agentEmail: 'newtech@acme.test', agentName: 'New Tech' } });
      expect(res.statusCode, res.body).toBe(201);
      expect((await t.app.members.list(snippet.id, 'all')).some((x) => x.email === 'newtech@acme.test')).toBe(true);
      await raiseAt('2026-03-09T10:59:30Z'); // 23:59:30 the same day: the day is not over
      expect(await digests()).toEqual([]);
      await raiseAt('2026-03-09T11:00:30Z'); // 00:00:30 the next day: yesterday's digest
      expect(await digests()).toEqual([expect.objectContaining({ day: '2026-03-09', count: 1 })]);
      await raiseAt('2026-03-10T00:00:00Z'); // noon the next day, and again: still one
      await raiseAt('2026-03-10T00:00:00Z');
      await raiseAt('2026-03-11T23:00:00Z'); // a daemon back after a day and a half: nothing new, nothing twice
      expect(await digests()).toHaveLength(1);
      await deliver();
    } finally {
      clock.offsetMs = 0;
    }
    // The webhook message carries a timestamp from the moved clock; deliver it again as of now.
    await query(t.url, `update notification_delivery set next_attempt_at = $2, status = 'pending', attempts = 0 where target = $1`, [hook.endpoint.id, t.app.clock.now()]);
    secret = hook.secret;
    try {
      await deliver();
    } finally {
      secret = firstSecret;
    }
    expect(received.slice(verified).filter((r) => r.type === 'members.auto_added' && r.data.accountId === snippet.id)).toHaveLength(1);
    const mail = await smtp.find('digest@acme.test', 'added from survey activity');
    expect(mail.subject).toContain('1 members added from survey activity');
    expect(mail.text).toContain('On 2026-03-09');
    expect(mail.text).toContain('New Tech <newtech@acme.test>');
  });

  it('members.auto_added: a daemon that was down for a whole day still sends the digest of the day before', async () => {
    const snippet = await t.app.accounts.add({ name: `Snippet late ${Date.now()}`, integration: 'snippet', settings: { requireSignedLinks: false } });
    try {
      clock.at('2026-05-01T14:00:00Z');
      const res = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: { accountKey: snippet.publicKey, rating: 9, ticket: 'T-9', respondent: 'r@client.test', agentEmail: 'late@acme.test', agentName: 'Late Tech' } });
      expect(res.statusCode, res.body).toBe(201);
      clock.at('2026-05-03T06:00:00Z'); // the daemon was down all of 2 May
      await raiseAutoAddDigests(t.app.orm.em.fork(), t.app.clock.now());
      await raiseAutoAddDigests(t.app.orm.em.fork(), t.app.clock.now());
    } finally {
      clock.offsetMs = 0;
    }
    const rows = await query(t.url, `select payload from notification where event = 'members.auto_added' and account_id = $1`, [snippet.id]);
    expect(rows.map((r) => r.payload.day)).toEqual(['2026-05-01']);
    await query(t.url, `delete from notification where account_id = $1`, [snippet.id]);
  });

  it('account.no_admin: a sync deactivates the last admin; support is told', async () => {
    fake.update(1, { inactiveFlag: true });
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    await deliver();
    expect(hooksOf('account.no_admin')).toHaveLength(1);
    await smtp.find('support@psa-sync.test', 'has no admin who can sign in');
  });

  it('every delivery is logged and visible in the API, with each webhook message id once', async () => {
    const list = await t.app.webhooks.list(accountId);
    expect(list[0]!.state).toBe('enabled');
    expect(list[0]!.attempts.length).toBeGreaterThanOrEqual(received.length - 1);
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length);
    const rows = await query(t.url, `select count(*)::int as n from notification_delivery where status <> 'delivered'`);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('webhook endpoints', () => {
  it('a 410 Gone disables the endpoint at once, and the account is told by email', async () => {
    // The last admin was deactivated above: the account names its own recipients now.
    await t.app.accounts.setNotificationEmails(accountId, ['ops@acme.test'], 'test');
    answer = 410;
    try {
      const { endpoint } = await t.app.webhooks.add(accountId, `${receiverUrl}?gone`, 'test');
      await t.app.webhooks.test(accountId, endpoint.id, 'test');
      await deliver();
      const after = (await t.app.webhooks.list(accountId)).find((e) => e.id === endpoint.id)!;
      expect(after).toMatchObject({ state: 'disabled', disabledReason: 'it answered 410 Gone' });
      expect(after.attempts[0]).toMatchObject({ ok: false, statusCode: 410, event: 'webhook.test' });
    } finally {
      answer = 200;
    }
    await deliver();
    await smtp.find('ops@acme.test', 'a webhook was disabled');
  });

  it('a failing endpoint is retried with back-off, not at once', async () => {
    answer = 503;
    try {
      const { endpoint } = await t.app.webhooks.add(accountId, `${receiverUrl}?flaky`, 'test');
      await t.app.webhooks.test(accountId, endpoint.id, 'test');
      await deliver();
      await deliver();
      const [row] = await query(t.url, `select attempts, next_attempt_at, status from notification_delivery where target = $1`, [endpoint.id]);
      expect(row).toMatchObject({ attempts: 1, status: 'pending' });
      expect(new Date(row!.next_attempt_at).getTime() - clock.now().getTime()).toBeGreaterThan(20_000);
      answer = 200;
      clock.offsetMs = 60_000;
      try {
        await deliver();
      } finally {
        clock.offsetMs = 0;
      }
      const [done] = await query(t.url, `select attempts, status from notification_delivery where target = $1`, [endpoint.id]);
      expect(done).toMatchObject({ attempts: 2, status: 'delivered' });
    } finally {
      answer = 200;
    }
  });

  it('an endpoint failing for a day is disabled, and the account is told', async () => {
    answer = 500;
    try {
      const { endpoint } = await t.app.webhooks.add(accountId, `${receiverUrl}?down`, 'test');
      await t.app.webhooks.test(accountId, endpoint.id, 'test');
      await deliver();
      clock.offsetMs = 25 * 3_600_000;
      try {
        await deliver();
      } finally {
        clock.offsetMs = 0;
      }
      const after = (await t.app.webhooks.list(accountId)).find((e) => e.id === endpoint.id)!;
      expect(after.state).toBe('disabled');
      expect(after.disabledReason).toContain('failed for 24 hours');
      await deliver();
      await expect.poll(() => smtp.received.some((m) => (m.subject ?? '').includes('a webhook was disabled') && (m.text ?? '').includes('?down'))).toBe(true);
    } finally {
      answer = 200;
    }
  });

  it('refuses URLs on private or loopback addresses unless allowed, and non-https ones', async () => {
    const strict = await createTestApp({ databaseUrl: t.url, env: { PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS: 'false' } });
    try {
      for (const url of ['https://127.0.0.1/x', 'https://10.0.0.5/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://localhost/x', 'http://example.com/x', 'https://user:pw@example.com/x']) {
        await expect(strict.app.webhooks.add(accountId, url, 'test'), url).rejects.toThrow(/private or loopback|https|user name|resolve/);
      }
    } finally {
      await strict.app.close();
    }
  });
});
