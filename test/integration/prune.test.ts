import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { listHeldMail } from '../../src/db/mail-repository.js';
import { DEFAULT_PRUNE_AGES, pruneOnce, type PruneAges } from '../../src/db/prune-repository.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { activationToken, TEST_PASSWORD } from '../helpers/people.js';

/**
 * Issue 16, item 7: rows that only grew (callback message ids, sign-in throttles, ended sessions,
 * raw links in the outbox) are pruned by the daemon's tick in bounded batches, judged by the
 * injected clock. Instants are pinned, so the test passes at any hour.
 */
const clock = new OffsetClock();
let t: TestApp;
let accountId: string;
const START = '2026-03-10T09:00:00Z';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ages = (): PruneAges => ({ ...DEFAULT_PRUNE_AGES, sessionIdleMs: t.app.env.sessions.idleMinutes * 60_000 });
const count = async (table: string) => (await query(t.url, `select count(*)::int as n from ${table}`))[0]!.n as number;
const client = { ip: '192.0.2.7', userAgent: 'test' };

beforeAll(async () => {
  clock.at(START);
  t = await createTestApp({ clock });
  accountId = (await t.app.accounts.add({ name: 'Prune Co', integration: 'snippet', settings: { requireSignedLinks: false } })).id;
});
afterAll(async () => {
  await t.close();
});

const callbackRows = (n: number, receivedAt: Date, prefix: string) =>
  query(t.url, `insert into callback_message (account_id, message_id, received_at) select $1, $2 || g, $3 from generate_series(1, $4::int) g`, [accountId, prefix, receivedAt, n]);

describe('pruning', () => {
  it('callback message ids go once past their dedup window, at most a batch a statement and a few batches a pass', async () => {
    clock.at(START);
    const now = clock.now();
    await callbackRows(2500, new Date(now.getTime() - 8 * DAY), 'old-');
    await callbackRows(3, new Date(now.getTime() - 6 * DAY), 'recent-');
    const first = await pruneOnce(t.app.orm.em.fork(), now, ages(), { batch: 1000, maxBatches: 2 });
    expect(first.callbackMessages).toBe(2000);
    expect(await count('callback_message')).toBe(503);
    expect((await pruneOnce(t.app.orm.em.fork(), now, ages(), { batch: 1000, maxBatches: 2 })).callbackMessages).toBe(500);
    expect((await query(t.url, 'select message_id from callback_message order by 1')).map((r) => r.message_id)).toEqual(['recent-1', 'recent-2', 'recent-3']);
  });

  it('sign-in throttles of long past windows go; a current window stays and keeps counting', async () => {
    clock.at(START);
    await expect(t.app.auth.login('nobody@prune.test', 'Wrong-Password-1', client)).rejects.toThrow();
    expect(await count('signin_throttle')).toBe(2); // the address and the person
    clock.at(new Date(new Date(START).getTime() + 2 * DAY));
    await expect(t.app.auth.login('someone@prune.test', 'Wrong-Password-1', { ...client, ip: '192.0.2.8' })).rejects.toThrow();
    const pruned = await pruneOnce(t.app.orm.em.fork(), clock.now(), ages());
    expect(pruned.signinThrottles).toBe(2);
    expect((await query(t.url, 'select key from signin_throttle order by 1')).map((r) => r.key)).toEqual(['address:192.0.2.8', 'person:someone@prune.test']);
  });

  it("sessions ended or expired a month ago go; a live session stays, and an outbox message keeps its words but loses its link once the link expired", async () => {
    clock.at(START);
    const { person } = await t.app.people.addSupport({ email: 'ops@prune.test', name: 'Ops' }, 'cli');
    const token = await activationToken(t.app, person.email);
    const first = await t.app.auth.activate(token, TEST_PASSWORD, client);
    await t.app.auth.logout((await t.app.auth.authenticate(first.sessionToken))!.sessionId!);
    // Activated: the link is used, but the message in the outbox still holds it until it expires.
    expect((await listHeldMail(t.app.orm.em.fork(), person.email))[0]!.text).toContain(`/activate/${token}`);
    t.app.auth.forgot(person.email);
    await expect.poll(async () => (await listHeldMail(t.app.orm.em.fork(), person.email)).length).toBe(2);
    const resetText = (await listHeldMail(t.app.orm.em.fork(), person.email))[0]!.text;
    const resetToken = /\/reset\/([A-Za-z0-9_-]+)/.exec(resetText)![1]!;

    // Two hours on: the reset link has expired, the activation link (7 days) not yet.
    clock.at(new Date(new Date(START).getTime() + 2 * HOUR));
    expect((await pruneOnce(t.app.orm.em.fork(), clock.now(), ages())).outboxLinks).toBe(1);
    let held = await listHeldMail(t.app.orm.em.fork(), person.email);
    expect(held.find((m) => m.purpose === 'reset')!.text).not.toContain(resetToken);
    expect(held.find((m) => m.purpose === 'reset')!.text).toContain('/reset/link-expired');
    expect(held.find((m) => m.purpose === 'reset')!.html).not.toContain(resetToken);
    expect(held.find((m) => m.purpose === 'activation')!.text).toContain(token);

    // Eight days on: the activation link too; the message itself stays.
    clock.at(new Date(new Date(START).getTime() + 8 * DAY));
    expect((await pruneOnce(t.app.orm.em.fork(), clock.now(), ages())).outboxLinks).toBe(1);
    held = await listHeldMail(t.app.orm.em.fork(), person.email);
    expect(held).toHaveLength(2);
    expect(JSON.stringify(held)).not.toContain(token);
    expect(held.find((m) => m.purpose === 'activation')!.text).toContain('/activate/link-expired');
    expect((await pruneOnce(t.app.orm.em.fork(), clock.now(), ages())).outboxLinks).toBe(0);

    // A month after the sign-out (and the session's expiry), the ended session goes; today's stays.
    expect(await count('person_session')).toBe(1);
    clock.at(new Date(new Date(START).getTime() + 31 * DAY));
    const live = await t.app.auth.login(person.email, TEST_PASSWORD, client);
    expect(await count('person_session')).toBe(2);
    expect((await pruneOnce(t.app.orm.em.fork(), clock.now(), ages())).sessions).toBe(1);
    expect(await count('person_session')).toBe(1);
    expect(await t.app.auth.authenticate(live.sessionToken)).toBeDefined();
  });

  it("the daemon's tick prunes, and folds ratings recorded since the last tick into the reports' rollups", async () => {
    clock.at(new Date(new Date(START).getTime() + 40 * DAY));
    await callbackRows(5, new Date(clock.now().getTime() - 30 * DAY), 'tick-');
    const before = await count('callback_message');
    expect(before).toBeGreaterThanOrEqual(5);
    await t.app.imports.import(accountId, 'name,email\nRay Rater,ray@prune.test\n', 'csv', 'test');
    const [ray] = await t.app.members.list(accountId);
    await query(t.url, `insert into survey_event (id, account_id, ticket, respondent, rating, member_id, matched_by, channel, signed, clicks, created_at, updated_at) values (gen_random_uuid(), $1, 'P1', '', 9, $2, 'email', 'api', false, 1, $3, $3)`, [accountId, ray!.id, clock.now()]);
    expect(await count('rating_pending')).toBe(1);
    const daemon = await startDaemon(t.app, { tickCron: '*/1 * * * * *', http: false });
    try {
      await expect.poll(() => count('callback_message'), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => count('rating_pending'), { timeout: 10_000 }).toBe(0);
      expect((await query(t.url, 'select count, sum from rating_member_day where member_id = $1', [ray!.id]))[0]).toEqual({ count: 1, sum: 9 });
    } finally {
      await daemon.stop();
    }
  });
  it('a tick whose deliveries fail still folds new ratings', async () => {
    const [ray] = await t.app.members.list(accountId);
    await query(t.url, `insert into survey_event (id, account_id, ticket, respondent, rating, member_id, matched_by, channel, signed, clicks, created_at, updated_at) values (gen_random_uuid(), $1, 'P2', '', 3, $2, 'email', 'api', false, 1, $3, $3)`, [accountId, ray!.id, clock.now()]);
    expect(await count('rating_pending')).toBe(1);
    const runOnce = t.app.notifications.runOnce;
    t.app.notifications.runOnce = async () => {
      throw new Error('the mail server is down');
    };
    const daemon = await startDaemon(t.app, { tickCron: '*/1 * * * * *', http: false });
    try {
      await expect.poll(() => count('rating_pending'), { timeout: 10_000 }).toBe(0);
    } finally {
      await daemon.stop();
      t.app.notifications.runOnce = runOnce;
    }
  });
});
