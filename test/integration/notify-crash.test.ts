import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/notify/retry.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { startReplica } from '../helpers/replica.js';
import { startSmtp } from '../helpers/smtp.js';

/**
 * A crash between a notification's cause and its delivery (issue 12): a replica claims the delivery
 * and dies mid-send (kill -9); after its claim lapses another worker delivers it, exactly once.
 */
let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let blackhole: Server;
const sockets: Socket[] = [];
let cw: Awaited<ReturnType<typeof serveFake>>;
const clock = new OffsetClock();

beforeAll(async () => {
  smtp = await startSmtp();
  // An SMTP server that accepts the connection and never says hello: a send hangs there.
  blackhole = createServer((s) => void sockets.push(s));
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  t = await createTestApp({ clock, env: { SMTP_URL: smtp.url } });
  cw = await serveFake(new ConnectWiseFake(cwMembers(10)));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  await cw.close();
  await t.close();
  await smtp.close();
});

describe('notification delivery survives a crashed replica', () => {
  it('a held run is notified once, by another worker, after the replica that claimed it was killed', async () => {
    const fake = new ConnectWiseFake(cwMembers(10));
    const psa = await serveFake(fake);
    try {
      const accountId = (await addCwAccount(t.app, psa.url)).id;
      await t.app.accounts.setNotificationEmails(accountId, ['ops@acme.test'], 'test');
      await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
      fake.setMembers(cwMembers(10).slice(0, 3));
      expect((await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.status).toBe('held');

      const replica = await startReplica('doomed', t.url, { SMTP_URL: `smtp://127.0.0.1:${(blackhole.address() as AddressInfo).port}` });
      // Wait until the replica has claimed the delivery and is stuck sending it.
      const deadline = Date.now() + 20_000;
      let claimed: Record<string, any> | undefined;
      while (Date.now() < deadline) {
        [claimed] = await query(t.url, `select d.* from notification_delivery d join notification n on n.id = d.notification_id where n.event = 'run.held' and n.account_id = $1`, [accountId]);
        if (claimed?.locked_until && sockets.length > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(claimed).toMatchObject({ status: 'pending', attempts: 1 });
      replica.child.kill('SIGKILL');
      await replica.exited;

      // Another worker (this process) picks it up only once the dead claim has lapsed…
      expect(await t.app.notifications.runOnce()).toBe(0);
      clock.offsetMs = 61_000;
      try {
        await t.app.notifications.runOnce();
        await t.app.notifications.runOnce();
      } finally {
        clock.offsetMs = 0;
      }
      const mail = await smtp.find('ops@acme.test', 'waiting for your approval');
      expect(mail).toBeDefined();
      // …and delivers it exactly once.
      await t.app.notifications.runOnce();
      expect(smtp.received.filter((m) => (m.subject ?? '').includes('waiting for your approval') && m.to && 'text' in m.to && m.to.text === 'ops@acme.test')).toHaveLength(1);
      const [done] = await query(t.url, `select status, attempts from notification_delivery where id = $1`, [claimed!.id]);
      expect(done).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      await psa.close();
    }
  });
});

describe('retry schedule', () => {
  it('backs off from about 30 s, doubling, to at most an hour, with jitter either way', () => {
    expect(retryDelayMs(1, 0.5)).toBe(30_000);
    expect(retryDelayMs(2, 0.5)).toBe(60_000);
    expect(retryDelayMs(5, 0.5)).toBe(480_000);
    expect(retryDelayMs(30, 0.5)).toBe(3_600_000);
    expect(retryDelayMs(1, 0)).toBe(24_000);
    expect(retryDelayMs(1, 0.999)).toBeLessThan(36_001);
    // About 24 hours of attempts take some 30 tries, never a storm.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < 24 * 3_600_000) elapsed += retryDelayMs(++attempts, 0.5);
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(35);
  });
});
