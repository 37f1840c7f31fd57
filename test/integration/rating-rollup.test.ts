import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { foldedRollup, recomputedRollup, storedRollup } from '../../src/db/rating-repository.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/**
 * The per-day rollup that reports read stays equal to a recomputation from the events, whatever
 * happens to them: new ratings, second clicks that change a rating or name a client, ratings
 * matched to a member later, imports, any other update or delete, a new time zone, and folds of
 * the pending lines into the rollups at any point. A property-style run: a few hundred random steps
 * from a fixed seed, compared every few steps; at the end, everything folded, the rollup tables
 * alone equal the recomputation.
 */
const clock = new ManualClock('2026-02-01T08:00:00Z');
let t: TestApp;
let server: FastifyInstance;

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 1_000_000, perAccountPerMinute: 1_000_000 } });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

/** mulberry32: a small seeded generator, so a failure replays exactly. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the ratings rollup', () => {
  it('equals a recomputation from the events after re-clicks, late matches, imports, updates, deletes and a time zone change', async () => {
    const seed = 18;
    const random = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const account = await t.app.accounts.add({ name: 'Rollup', integration: 'snippet', settings: {}, timezone: 'Pacific/Auckland' });
    await t.app.imports.import(account.id, 'name,email\nA One,a@msp.test\nB Two,b@msp.test\n', 'csv', 'test');
    // Unknown agents stay unmatched until they are imported as members (a late match on their next click).
    await t.app.accounts.update(account.id, { surveyAutoAddCap: 0 });
    const agents = ['a@msp.test', 'b@msp.test', 'c@msp.test', 'd@msp.test'];
    const clients = [null, 'Acme', 'ACME', 'Globex', 'Initech'];
    const tickets = Array.from({ length: 25 }, (_, i) => `T${i}`);
    const respondents = ['', 'x@c.test', 'y@c.test'];
    const compare = async (step: number) => {
      const em = t.app.orm.em.fork();
      expect(await storedRollup(em, account.id), `seed ${seed}, step ${step}`).toEqual(await recomputedRollup(em, account.id));
    };
    let imported = 0;
    for (let step = 0; step < 240; step++) {
      clock.advance(Math.floor(random() * 7 * 3600_000));
      const r = random();
      if (r < 0.6) {
        // A click: often a ticket seen before (a second click: another rating, maybe a client, maybe now matched).
        const client = pick(clients);
        const res = await server.inject({
          method: 'POST',
          url: '/api/v1/survey-events',
          payload: { accountKey: account.publicKey, rating: Math.floor(random() * 11), ticket: pick(tickets), respondent: pick(respondents), agentEmail: pick(agents), ...(client ? { client } : {}) },
        });
        expect(res.statusCode, res.body).toBe(201);
      } else if (r < 0.65) {
        // An unknown agent becomes a member: their next click matches.
        const email = pick(['c@msp.test', 'd@msp.test']);
        await t.app.imports.import(account.id, `name,email\n${email[0]!.toUpperCase()} Late,${email}\n`, 'csv', 'test');
      } else if (r < 0.75) {
        const rows = Array.from({ length: 1 + Math.floor(random() * 5) }, () => ({ at: new Date(clock.now().getTime() - Math.floor(random() * 60 * 86_400_000)).toISOString(), rating: Math.floor(random() * 11), ticket: `I${imported++ % 30}`, agentEmail: pick(agents), client: pick(clients) }));
        // Tickets repeat across imports (already there: left alone); within one file they are distinct.
        const distinct = [...new Map(rows.map((row) => [row.ticket, row])).values()];
        await t.app.ratings.import(account.id, { format: 'json', rows: distinct }, 'test');
      } else if (r < 0.85) {
        // Any other path that changes an event (a future rematch, a fix by hand): the database keeps the rollup.
        const [member] = await query(t.url, 'select id from member where account_id = $1 order by random() limit 1', [account.id]);
        await query(t.url, `update survey_event set member_id = case when random() < 0.2 then null else $2::uuid end, rating = (random() * 10)::int, client = $3
                             where id = (select id from survey_event where account_id = $1 order by random() limit 1)`, [account.id, member!.id, pick(clients)]);
      } else if (r < 0.9) {
        await query(t.url, 'delete from survey_event where id = (select id from survey_event where account_id = $1 order by random() limit 1)', [account.id]);
      } else if (r < 0.93) {
        await t.app.accounts.update(account.id, { timezone: pick(['Pacific/Auckland', 'America/Los_Angeles', 'UTC', 'Asia/Kolkata']) });
      } else if (r < 0.97) {
        await t.app.ratings.fold();
      }
      if (step % 20 === 19) await compare(step);
    }
    await compare(240);
    // Folded: nothing pending, and the rollup tables alone hold every rating.
    await t.app.ratings.fold([account.id]);
    const [pending] = await query<{ n: number }>(t.url, 'select count(*)::int as n from rating_pending where account_id = $1', [account.id]);
    expect(pending!.n).toBe(0);
    expect(await foldedRollup(t.app.orm.em.fork(), account.id)).toEqual(await recomputedRollup(t.app.orm.em.fork(), account.id));
    const [row] = await query<{ n: number }>(t.url, 'select count(*)::int as n from survey_event where account_id = $1 and member_id is not null', [account.id]);
    expect(row!.n).toBeGreaterThan(50);
  }, 120_000);
});
