import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { foldedRollup, recomputedRollup, storedRollup } from '../../src/db/rating-repository.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * The rollup buckets ratings by the account's local day, so a new time zone rebuilds it. A rating
 * recorded while the time zone changes, on another connection, must land in what reports read
 * exactly once and in the new zone's day, and stay there once folded — without a click waiting for
 * a rebuild or a rebuild for a click (Migration20261205000003: the rebuild clears the pending lines
 * and reads the events in one snapshot; folds and rebuilds exclude each other). Each case
 * interleaves connections by hand, then compares what reports read, and the rollup once folded,
 * with a recomputation from the events; a last one runs clickers, folds and zone changes at once.
 */
let t: TestApp;
let accountId: string;
let members: string[];
const clients: pg.Client[] = [];

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: t.url });
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await createTestApp();
  accountId = (await t.app.accounts.add({ name: 'Race', integration: 'snippet', settings: {}, timezone: 'UTC' })).id;
  await t.app.imports.import(accountId, 'name,email\nA One,a@msp.test\nB Two,b@msp.test\n', 'csv', 'test');
  members = (await t.app.members.list(accountId)).map((m) => m.id);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end()));
  await t?.close();
});

/** A rating at 02:30 UTC: the 10th in UTC, the 9th in New York. */
const insert = (c: pg.Client, at = '2026-03-10T02:30:00Z', member = members[0]!) =>
  c.query(
    `insert into survey_event (id, account_id, ticket, respondent, rating, agent_email, member_id, matched_by, channel, signed, clicks, created_at, updated_at, client)
     values ($1, $2, $3, '', 9, 'a@msp.test', $4, 'email', 'api', false, 1, $5, $5, 'Acme')`,
    [randomUUID(), accountId, `R-${randomUUID()}`, member, at],
  );
const setZone = (c: pg.Client, zone: string) => c.query('update account set timezone = $1 where id = $2', [zone, accountId]);

async function expectConsistent(label: string): Promise<void> {
  const em = t.app.orm.em.fork();
  expect(await storedRollup(em, accountId), label).toEqual(await recomputedRollup(em, accountId));
  await t.app.ratings.fold();
  expect(await foldedRollup(em, accountId), `${label}, folded`).toEqual(await recomputedRollup(em, accountId));
}

/** Whether a promise is still pending after a while (it waits on a lock). */
async function stillWaiting(p: Promise<unknown>, ms = 300): Promise<boolean> {
  return Promise.race([p.then(() => false, () => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
}

/** Each case starts from a rollup rebuilt from the events (an earlier case's failure does not carry over). */
beforeEach(async () => {
  const c = await connect();
  await setZone(c, 'Europe/Berlin');
  await setZone(c, 'UTC');
});

describe('the rollup while the time zone changes', () => {
  it('a rating recorded first, committed after the change: neither waits, and it lands in the new zone', async () => {
    const [click, admin] = [await connect(), await connect()];
    await setZone(admin, 'UTC');
    await click.query('begin');
    await insert(click);
    const change = setZone(admin, 'America/New_York');
    expect(await stillWaiting(change), 'the time-zone change waited for a rating').toBe(false);
    await click.query('commit');
    await change;
    await expectConsistent('click first');
  });

  it('a rating recorded while the change is open: it does not wait, and lands in the new zone', async () => {
    const [click, admin] = [await connect(), await connect()];
    await admin.query('begin');
    await setZone(admin, 'America/New_York');
    const recorded = insert(click);
    expect(await stillWaiting(recorded), 'the rating waited for the time-zone change').toBe(false);
    await admin.query('commit');
    await expectConsistent('change first');
  });

  it('a fold while the change is open waits for it, then folds in the new zone', async () => {
    const [click, admin] = [await connect(), await connect()];
    await insert(click);
    await insert(click, '2026-03-12T01:00:00Z', members[1]);
    await admin.query('begin');
    await setZone(admin, 'America/New_York');
    await insert(click, '2026-03-13T01:00:00Z');
    const fold = t.app.ratings.fold();
    expect(await stillWaiting(fold), 'the fold waited for the open change').toBe(true);
    await admin.query('commit');
    await fold;
    await expectConsistent('fold during a change');
  });

  it('a re-rating and a late match while the change is open land in the new zone too', async () => {
    const [click, admin] = [await connect(), await connect()];
    const id = randomUUID();
    await click.query(
      `insert into survey_event (id, account_id, ticket, respondent, rating, agent_email, member_id, matched_by, channel, signed, clicks, created_at, updated_at, client)
       values ($1, $2, $3, '', 5, 'b@msp.test', null, null, 'api', false, 1, '2026-03-11T03:30:00Z', '2026-03-11T03:30:00Z', 'Globex')`,
      [id, accountId, `L-${id}`],
    );
    await admin.query('begin');
    await setZone(admin, 'America/Los_Angeles');
    await click.query('update survey_event set member_id = $1, rating = 2 where id = $2', [members[1], id]);
    await admin.query('commit');
    await expectConsistent('late match');
  });

  it('clickers on several connections and zone changes at once leave it equal to a recomputation', async () => {
    const clickers = await Promise.all([connect(), connect(), connect()]);
    const admin = await connect();
    const zones = ['UTC', 'America/New_York', 'Pacific/Auckland', 'Asia/Kolkata'];
    let stop = false;
    const errors: unknown[] = [];
    const clicking = clickers.map(async (c, i) => {
      for (let n = 0; !stop; n++) {
        const at = new Date(Date.UTC(2026, 2, 1 + (n % 20), (n * 7 + i * 5) % 24, 30)).toISOString();
        try {
          if (n % 3 === 0) {
            await c.query('begin');
            await insert(c, at, members[n % 2]);
            await insert(c, at, members[(n + 1) % 2]);
            await c.query('commit');
          } else await insert(c, at, members[n % 2]);
        } catch (err) {
          errors.push((err as Error).message);
          await c.query('rollback').catch(() => undefined);
          return;
        }
      }
    });
    // Folds run beside the clicks and the zone changes, as the daemon's tick does on any replica.
    const folding = (async () => {
      while (!stop) await t.app.ratings.fold();
    })();
    for (let k = 0; k < 12; k++) {
      await setZone(admin, zones[k % zones.length]!);
      await new Promise((r) => setTimeout(r, 25));
    }
    stop = true;
    await Promise.all([...clicking, folding]);
    expect(errors).toEqual([]);
    await expectConsistent('stress');
    const [{ n }] = (await admin.query<{ n: number }>('select count(*)::int as n from survey_event where account_id = $1', [accountId])).rows as [{ n: number }];
    expect(n).toBeGreaterThan(40);

  }, 60_000);
});
