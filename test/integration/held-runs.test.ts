import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectWiseFake, cwMembers } from '../fakes/connectwise-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

const server = setupServer();
const clock = new OffsetClock();
let t: TestApp;
let fake: ConnectWiseFake;
let site: string;
let siteNo = 0;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  t = await createTestApp({ clock });
});
afterAll(async () => {
  server.close();
  await t.close();
});
beforeEach(() => {
  clock.offsetMs = 0;
  site = `https://held${++siteNo}.myconnectwise.test`;
  fake = new ConnectWiseFake();
  server.use(...fakeHandlers(site, fake));
});
afterEach(() => server.resetHandlers());

const sync = (accountId: string) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
const members = (accountId: string) => query(t.url, 'select external_id, active, list, inactive_reason from member where account_id = $1 order by external_id', [accountId]);
const lastFullRead = async (accountId: string) => (await query(t.url, 'select last_full_read_at from account where id = $1', [accountId]))[0]!.last_full_read_at as Date;

/** An account of three Active members whose PSA then answered an empty roster: a held run. */
async function heldEmptyRead() {
  fake.setMembers(cwMembers(3));
  const account = await addCwAccount(t.app, site);
  await sync(account.id);
  fake.setMembers([]);
  const held = await sync(account.id);
  expect(held.run.status).toBe('held');
  return { account, held: held.run };
}

describe('a held run goes stale (issue 9, item 2)', () => {
  it('is refused once a later sync read the full roster without writing members, and deactivates nobody', async () => {
    const { account, held } = await heldEmptyRead();
    fake.setMembers(cwMembers(3)); // the PSA recovered
    const later = await sync(account.id);
    expect(later.run.status).toBe('succeeded');
    expect(later.run.counts).toMatchObject({ unchanged: 3, deactivated: 0 });
    const before = await members(account.id);

    await expect(t.app.engine.approve(held.id!, 'admin:alice')).rejects.toThrow(/a later sync read this account's PSA after run .* was held.*reject it/);
    expect(await members(account.id)).toEqual(before);
    expect(before.every((m) => m.active === true)).toBe(true);
    expect((await t.app.runs.show(held.id!)).run.status).toBe('held'); // still there to be rejected
    await t.app.engine.reject(held.id!, 'admin:alice');
  });

  it('is refused once a later held run read the account again; the newer hold can be approved', async () => {
    const { account, held } = await heldEmptyRead();
    const again = await sync(account.id);
    expect(again.run.status).toBe('held');
    await expect(t.app.engine.approve(held.id!, 'admin')).rejects.toThrow(/later sync read/);
    const approved = await t.app.engine.approve(again.run.id!, 'admin');
    expect(approved.run.status).toBe('succeeded');
    expect((await members(account.id)).every((m) => m.list === 'inactive_synced' && m.inactive_reason === 'vanished')).toBe(true);
  });

  it('a failed later run does not make the hold stale (no complete read)', async () => {
    const { account, held } = await heldEmptyRead();
    fake.intercept((req) => (req.url.pathname.endsWith('/count') ? { status: 500, body: 'down' } : undefined));
    expect((await sync(account.id)).run.status).toBe('failed');
    expect((await t.app.engine.approve(held.id!, 'admin')).run.status).toBe('succeeded');
  });

  it('expires after 7 days undecided: approval is refused and the run ends as expired with its plan discarded', async () => {
    const { account, held } = await heldEmptyRead();
    clock.offsetMs = 7 * 24 * 3600_000 + 60_000;
    await expect(t.app.engine.approve(held.id!, 'admin')).rejects.toThrow(/more than 7 days ago and has expired/);
    const shown = await t.app.runs.show(held.id!);
    expect(shown.run.status).toBe('expired');
    expect(shown.changes.every((c) => c.state === 'discarded')).toBe(true);
    expect((await members(account.id)).every((m) => m.active === true)).toBe(true);
  });

  it('the scheduler tick expires week-old held runs and leaves younger ones', async () => {
    const { held } = await heldEmptyRead();
    clock.offsetMs = 6 * 24 * 3600_000;
    expect((await t.app.engine.expireHeld()).map((r) => r.id)).not.toContain(held.id);
    clock.offsetMs = 8 * 24 * 3600_000;
    expect((await t.app.engine.expireHeld()).map((r) => r.id)).toContain(held.id);
  });

  it('approving does not move the last full read back to the time of the hold', async () => {
    const { account, held } = await heldEmptyRead();
    // A full read recorded after the hold (e.g. by a replica whose clock runs ahead), without a newer read version.
    const later = new Date(Date.now() + 3600_000);
    await query(t.url, 'update account set last_full_read_at = $2 where id = $1', [account.id, later]);
    await t.app.engine.approve(held.id!, 'admin');
    expect((await lastFullRead(account.id)).getTime()).toBe(later.getTime());
  });
});
