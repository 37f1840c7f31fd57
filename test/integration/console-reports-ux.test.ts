import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * The reports page as a second reviewer read it (UX review, item 6): the pickers count the chosen
 * range, "(no client)" is a choice like any client, the per-engineer chart says when it shows only
 * the busiest 30, and the colours' legend is the page's own list (it wraps, never overlaps).
 * Time comes from the injected clock; the account is in UTC, "today" is 2026-01-14.
 */
const clock = new ManualClock('2026-01-14T12:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
let admin: TestSession;
/** 34 engineers: e1–e34, each rated once in December; e1 and e2 also in January, some ratings naming no client. */
const ENGINEERS = Array.from({ length: 34 }, (_, i) => `Eng ${String(i + 1).padStart(2, '0')}`);

const row = (who: number, client: string | null, rating: number, at: string, ticket: string) => ({ at, rating, ticket, respondent: 'pat@customer.test', client, comment: null, agentEmail: `e${who}@msp.test` });

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app);
  accountId = (await t.app.accounts.add({ name: 'Busy MSP', integration: 'snippet', settings: {}, timezone: 'UTC' })).id;
  await t.app.imports.import(accountId, JSON.stringify(ENGINEERS.map((name, i) => ({ name, email: `e${i + 1}@msp.test` }))), 'json', 'test');
  const december = ENGINEERS.map((_, i) => row(i + 1, i % 2 === 0 ? 'Acme' : 'Globex', 8, `2025-12-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`, `D${i}`));
  const january = [row(1, 'Acme', 9, '2026-01-05T10:00:00Z', 'J1'), row(1, null, 4, '2026-01-06T10:00:00Z', 'J2'), row(2, null, 6, '2026-01-07T10:00:00Z', 'J3'), row(2, 'Globex', 10, '2026-01-08T10:00:00Z', 'J4')];
  await t.app.ratings.import(accountId, { format: 'json', rows: [...december, ...january] }, 'test');
  const admins = await t.app.members.list(accountId, 'all');
  admin = await signIn(t.app, server, { accountId, memberId: admins[0]!.id, role: 'admin' });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const get = (url: string) => server.inject({ method: 'GET', url, headers: { cookie: admin.cookie } });
const page = async (query: string) => (await get(`/accounts/${accountId}/reports?${query}`)).body;
/** The count a picker shows beside a choice, by the choice's value. */
const countOf = (body: string, name: 'member' | 'client', value: string) => {
  const hit = new RegExp(`name="${name}" value="${value.replace(/[()]/g, '\\$&')}"[^>]*> [^<]*<span class="count">(\\d+)</span>`).exec(body);
  return hit ? Number(hit[1]) : undefined;
};
const figures = (body: string) => [...body.matchAll(/<dd>(\d+)<\/dd>/g)].map((x) => Number(x[1]))[0];

describe('the reports page (item 6)', () => {
  it("the pickers' counts are those of the chosen range, clients as well as engineers", async () => {
    const january = await page('from=2026-01-01&to=2026-01-14');
    expect(countOf(january, 'client', 'Acme')).toBe(1);
    expect(countOf(january, 'client', 'Globex')).toBe(1);
    expect(countOf(january, 'client', '(no client)')).toBe(2);
    const december = await page('from=2025-12-01&to=2025-12-31');
    expect(countOf(december, 'client', 'Acme')).toBe(17);
    expect(countOf(december, 'client', 'Globex')).toBe(17);
    expect(countOf(december, 'client', '(no client)')).toBeUndefined();
    expect(december).not.toContain('value="(no client)"');
  });

  it('"(no client)" is a choice like any client: only it, or all but it, in figures, list and CSV', async () => {
    const only = await page(`from=2026-01-01&to=2026-01-14&client=${encodeURIComponent('(no client)')}`);
    expect(figures(only)).toBe(2);
    expect(only).toContain('name="client" value="(no client)" checked');
    expect(only).toContain('clients: only (no client).');
    const csv = /href="(\/api\/v1\/accounts\/[^"]+ratings\.csv[^"]*)"/.exec(only)![1]!.replace(/&amp;/g, '&');
    const rows = (await get(csv)).body.trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    const except = await page(`from=2026-01-01&to=2026-01-14&client=${encodeURIComponent('(no client)')}&clientMode=except`);
    expect(figures(except)).toBe(2);
    expect(except).toContain('clients: all clients except (no client).');
    // The API reads the same name.
    const api = await get(`/api/v1/accounts/${accountId}/ratings/summary?from=2026-01-01&to=2026-01-14&clients=${encodeURIComponent('(no client)')}`);
    expect(api.json().overall.count).toBe(2);
  });

  it('a client typed in another case ticks the rated one, as the API filters it, and is not listed twice', async () => {
    const body = await page('from=2026-01-01&to=2026-01-14&client=ACME');
    expect(body).toMatch(/name="client" value="Acme" checked>/);
    expect(body).not.toContain('value="ACME"');
    expect(figures(body)).toBe(1);
  });

  it('the per-engineer chart says, visibly, when it draws only the 30 with the most ratings', async () => {
    const all = await page('from=2025-12-01&to=2026-01-14');
    expect(all).toContain('<figcaption class="chart-note">The chart shows the 30 engineers with the most ratings; the table beside it lists all 34.</figcaption>');
    const few = await page('from=2026-01-01&to=2026-01-14');
    expect(few).not.toContain('class="chart-note"');
  });

  it("the colours' legend is the page's list, beside each chart drawn for a wide screen and for a phone; the charts hold no legend text of their own", async () => {
    const body = await page('from=2025-12-01&to=2026-01-14');
    expect(body).toContain('<li><span class="swatch bar-neutral"></span>neutral: 4 to under 7</li>');
    expect(body).not.toContain('neutral (4–7)');
    expect(body).not.toMatch(/<svg[^]*?<g class="legend">/);
    for (const id of ['engineer-chart', 'engineer-chart-narrow', 'trend-chart', 'trend-chart-narrow']) expect(body).toContain(`<svg class="chart" id="${id}" role="img"`);
    expect(body).toContain('<div class="chart-wide"><svg class="chart" id="engineer-chart"');
    expect(body).toContain('<div class="chart-narrow"><svg class="chart" id="engineer-chart-narrow"');
  });
});
