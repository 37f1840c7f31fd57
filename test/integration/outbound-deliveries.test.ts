import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { SmtpMailer } from '../../src/notify/mailer.js';
import { raiseEvent } from '../../src/notify/events.js';
import { NotificationWorker } from '../../src/notify/worker.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/**
 * Outbound requests (issue 16 §5): webhook deliveries connect only where the address guard allows,
 * checked on the address actually connected to; a receiver's answer is read up to a cap; an SMTP
 * send never outlives the delivery's claim.
 */
let t: TestApp;
let strict: TestApp;
let accountId: string;
/** A plain TCP listener on 127.0.0.1 that counts connections: a refused delivery never reaches it. */
let listener: Server;
let connections = 0;
const openSockets: Socket[] = [];
/** Answers for host names in the strict app (no real DNS); each name's answers are used in turn. */
const dns = new Map<string, string[]>();

beforeAll(async () => {
  listener = createServer((s) => {
    connections++;
    openSockets.push(s);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t = await createTestApp({ env: { PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  accountId = (await addCwAccount(t.app, 'https://api-na.myconnectwise.net')).id;
  strict = await createTestApp({
    databaseUrl: t.url,
    env: { PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS: 'false' },
    resolve: async (hostname) => {
      const answers = dns.get(hostname) ?? [];
      const address = answers.length > 1 ? answers.shift()! : answers[0];
      return address ? [{ address, family: address.includes(':') ? 6 : 4 }] : [];
    },
  });
});
afterAll(async () => {
  for (const s of openSockets) s.destroy();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await strict.app.close();
  await t.close();
});

const port = () => (listener.address() as AddressInfo).port;
const lastAttempt = async (endpointId: string) => (await t.app.webhooks.list(accountId)).find((e) => e.id === endpointId)!.attempts[0];

describe('where webhooks may connect', () => {
  it('refuses every spelling of a private, loopback, link-local or metadata address when a URL is added', async () => {
    const refused = [
      'https://[::ffff:7f00:1]/x', // IPv4-mapped 127.0.0.1
      'https://[::ffff:127.0.0.1]/x',
      'https://[::ffff:a9fe:a9fe]/latest', // IPv4-mapped 169.254.169.254
      'https://[::ffff:0:7f00:1]/x', // IPv4-translated
      'https://[fe80::1]/x',
      'https://[fe90::1]/x', // all of fe80::/10, not just fe80::
      'https://[febf:ffff::1]/x',
      'https://[64:ff9b::a00:5]/x', // NAT64 of 10.0.0.5
      'https://[64:ff9b::7f00:1]/x', // NAT64 of 127.0.0.1
      'https://[2002:a9fe:a9fe::1]/x', // 6to4 of 169.254.169.254
      'https://[fd00:ec2::254]/x', // AWS metadata over IPv6
      'https://[fc00::1]/x',
      'https://[::]/x',
      'https://0.0.0.0/x',
      'https://100.64.0.1/x',
      'https://198.18.0.1/x',
      'https://192.0.2.1/x',
      'https://224.0.0.1/x',
      'https://[ff02::1]/x',
      'https://[2001:db8::1]/x',
    ];
    for (const url of refused) {
      await expect(strict.app.webhooks.add(accountId, url, 'test'), url).rejects.toThrow(/the webhook host .* is an? [a-z -]+ address/);
    }
    expect((await strict.app.webhooks.list(accountId)).map((e) => e.url)).toEqual([]);
  });

  it('a name that resolved to a public address when added and resolves to 127.0.0.1 at delivery is refused at connect: nothing reaches it', async () => {
    dns.set('hooks.rebind.test', ['93.184.216.34', '127.0.0.1']);
    const { endpoint } = await strict.app.webhooks.add(accountId, `https://hooks.rebind.test:${port()}/hook`, 'test');
    const before = connections;
    await strict.app.webhooks.test(accountId, endpoint.id, 'test');
    await strict.app.notifications.runOnce();
    const attempt = await lastAttempt(endpoint.id);
    expect(attempt).toMatchObject({ ok: false, statusCode: null, event: 'webhook.test' });
    expect(attempt!.error).toContain('hooks.rebind.test resolves to 127.0.0.1, which is a loopback address');
    expect(connections).toBe(before);
    await strict.app.webhooks.remove(accountId, endpoint.id, 'test');
  });

  it('every address at connect time is checked, IPv4-mapped and metadata ones too', async () => {
    dns.set('hooks.mapped.test', ['93.184.216.34', '::ffff:a9fe:a9fe']);
    const { endpoint } = await strict.app.webhooks.add(accountId, `https://hooks.mapped.test:${port()}/hook`, 'test');
    const before = connections;
    await strict.app.webhooks.test(accountId, endpoint.id, 'test');
    await strict.app.notifications.runOnce();
    expect((await lastAttempt(endpoint.id))!.error).toContain('a cloud metadata address (169.254.169.254)');
    expect(connections).toBe(before);
    await strict.app.webhooks.remove(accountId, endpoint.id, 'test');
  });

  it('PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true still allows loopback, but never link-local or metadata addresses', async () => {
    const receiver = createHttpServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { endpoint } = await t.app.webhooks.add(accountId, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ok`, 'test');
      await t.app.webhooks.test(accountId, endpoint.id, 'test');
      await t.app.notifications.runOnce();
      expect(await lastAttempt(endpoint.id)).toMatchObject({ ok: true, statusCode: 204 });
      await t.app.webhooks.remove(accountId, endpoint.id, 'test');
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
    for (const url of ['http://169.254.169.254/latest', 'http://[::ffff:a9fe:a9fe]/latest', 'http://[fe80::1]/x', 'http://[fd00:ec2::254]/x']) {
      await expect(t.app.webhooks.add(accountId, url, 'test'), url).rejects.toThrow(/link-local|metadata/);
    }
  });
});

describe('bounded deliveries', () => {
  it("reads at most 64 KB of a receiver's answer and closes the connection on the rest", async () => {
    let closedByUs = false;
    const endless = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 120);
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => {
        clearInterval(timer);
        closedByUs = true;
      });
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const { endpoint } = await t.app.webhooks.add(accountId, `http://127.0.0.1:${(endless.address() as AddressInfo).port}/endless`, 'test');
      await t.app.webhooks.test(accountId, endpoint.id, 'test');
      const started = Date.now();
      await Promise.race([t.app.notifications.runOnce(), new Promise((_, reject) => setTimeout(() => reject(new Error('the delivery is still reading the answer after 5 s')), 5_000))]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await lastAttempt(endpoint.id)).toMatchObject({ ok: true, statusCode: 200 });
      await expect.poll(() => closedByUs).toBe(true);
      await t.app.webhooks.remove(accountId, endpoint.id, 'test');
    } finally {
      endless.closeAllConnections();
      await new Promise<void>((resolve) => endless.close(() => resolve()));
    }
  });

  it('an SMTP server that never answers cannot hold a send past its claim: the send is abandoned first, and retried later', async () => {
    const stuck: Socket[] = [];
    let closed = 0;
    // Accepts the connection and never says hello.
    const blackhole = createServer((s) => {
      stuck.push(s);
      s.on('close', () => closed++);
    });
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    // Long enough that a loaded CI machine keeps the quarter of the claim the worker leaves spare.
    const claimMs = 4_000;
    try {
      const silent = createLogger('silent');
      const worker = new NotificationWorker({
        orm: t.app.orm,
        clock: t.app.clock,
        logger: silent,
        mailer: new SmtpMailer(`smtp://127.0.0.1:${(blackhole.address() as AddressInfo).port}`, 'psa-sync <psa-sync@localhost>', silent),
        secretBox: () => {
          throw new Error('no webhooks here');
        },
        publicUrl: 'https://reviews.example.test',
        supportEmail: 'support@psa-sync.test',
        allowPrivateWebhooks: false,
        claimMs,
      });
      await t.app.orm.em.fork().transactional((tem) => raiseEvent(tem, { accountId, event: 'account.stale', dedupeKey: `stale:${Date.now()}`, payload: {} }, t.app.clock.now()));
      await worker.fanOut();
      const started = Date.now();
      const sent = await Promise.race([worker.deliverDue(), new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`the send was still running ${claimMs * 2} ms after its ${claimMs} ms claim began`)), claimMs * 2))]);
      expect(sent).toBe(1);
      expect(Date.now() - started).toBeLessThan(claimMs);
      await expect.poll(() => closed).toBe(stuck.length);
      const [delivery] = await query(t.url, `select d.status, d.locked_until, d.last_error from notification_delivery d join notification n on n.id = d.notification_id where n.event = 'account.stale' and d.target = 'support@psa-sync.test'`);
      expect(delivery).toMatchObject({ status: 'pending', locked_until: null });
      expect(delivery!.last_error).toMatch(/abandoned before its claim lapsed/);
    } finally {
      for (const s of stuck) s.destroy();
      await new Promise<void>((resolve) => blackhole.close(() => resolve()));
    }
  });
});
