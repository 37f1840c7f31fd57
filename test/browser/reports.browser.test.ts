import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';
import { ROOT } from '../helpers/cli.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * The ratings pages in a real browser (issue 18): the reports page, an employee's /me and the
 * People page's scope editor pass axe, work with JavaScript switched off (filters change the
 * figures through the plain form), and are saved as screenshots (artifacts/screenshots/).
 * The clock is pinned to 14 January 2026 (New York), so the last 90 days are the same every run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');
const TODAY = '2026-01-14';

const ENGINEERS: [string, number][] = [
  ['Ann Archer', 9.1],
  ['Bob Baker', 6.1],
  ['Cy Cole', 8.0],
  ['Dee Dunn', 4.4],
  ['Eve Elm', 7.5],
  ['Fay Fox', 8.6],
  ['Gus Gray', 5.5],
  ['Hal Hill', 7.8],
];
const CLIENTS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries'];
const COMMENTS = ['Quick and friendly', 'Fixed it first time', 'Took two days', 'Great, thanks!', '<script>alert("x")</script> still broken'];

/** A small deterministic generator, so the data (and the screenshots) are the same every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
}

let t: TestApp;
let server: FastifyInstance;
let base: string;
let browser: Browser;
let accountId: string;
const m: Record<string, string> = {};
const s: Record<'admin' | 'manager' | 'employee', TestSession> = {} as never;
/** The generated ratings, to work out what a filter should show. */
const rows: { who: string; client: string; rating: number; at: string }[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const clock = new OffsetClock();
  clock.at(`${TODAY}T17:00:00Z`);
  t = await createTestApp({ clock });
  server = await buildServer(t.app);
  base = await server.listen({ port: 0, host: '127.0.0.1' });
  const account = await t.app.accounts.add({ name: 'Northwind IT', integration: 'snippet', settings: {}, timezone: 'America/New_York' });
  accountId = account.id;
  await t.app.imports.import(accountId, JSON.stringify(ENGINEERS.map(([name]) => ({ name, email: `${name.split(' ')[0]!.toLowerCase()}@northwind.test` }))), 'json', 'test');
  for (const x of await t.app.members.list(accountId, 'all')) m[x.name] = x.id;
  const next = random(18);
  for (let i = 0; i < 420; i++) {
    const [who, mean] = ENGINEERS[Math.floor(next() * ENGINEERS.length)]!;
    const rating = Math.max(0, Math.min(10, Math.round(mean + (next() + next() + next() - 1.5) * 3)));
    const at = new Date(Date.parse(`${TODAY}T16:00:00Z`) - Math.floor(next() * 120 * 24) * 3_600_000).toISOString();
    rows.push({ who, client: CLIENTS[Math.floor(next() * CLIENTS.length)]!, rating, at });
  }
  const body = rows.map((r, i) => ({ at: r.at, rating: r.rating, ticket: `T${1000 + i}`, respondent: 'pat@customer.test', client: r.client, comment: i % 7 === 0 ? COMMENTS[i % COMMENTS.length]! : null, agentName: r.who }));
  expect((await t.app.ratings.import(accountId, { format: 'json', rows: body }, 'test')).matched).toBe(rows.length);
  s.admin = await signIn(t.app, server, { accountId, memberId: m['Gus Gray']!, role: 'admin' });
  s.manager = await signIn(t.app, server, { accountId, memberId: m['Hal Hill']!, role: 'account_manager' });
  s.employee = await signIn(t.app, server, { accountId, memberId: m['Eve Elm']!, role: 'employee' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.close();
});

/** A browser context signed in as `who` (the session cookie the API handed out), with or without JavaScript. */
async function contextFor(who: keyof typeof s, javaScriptEnabled = true): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled });
  const cookie = s[who].cookie;
  await context.addCookies([{ name: cookie.slice(0, cookie.indexOf('=')), value: cookie.slice(cookie.indexOf('=') + 1), url: base }]);
  context.setDefaultTimeout(10_000);
  return { context, page: await context.newPage() };
}

/** A full-page screenshot for readers. */
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** No serious or critical axe violation, and a screenshot. (Axe runs in the page, so only where JavaScript is on.) */
async function check(page: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), `axe on ${name}`).toEqual([]);
  await shot(page, name);
}

const figures = async (page: Page) => page.locator('.figure dd').allInnerTexts();
/** Count, average and positive share of the generated ratings that pass `keep`, in the last 90 days (New York days), as the page prints them. */
function expected(keep: (r: (typeof rows)[number]) => boolean): string[] {
  const first = Date.parse('2025-10-17T04:00:00Z'); // midnight in New York (summer time still), 89 days before today
  const chosen = rows.filter((r) => Date.parse(r.at) >= first && keep(r));
  const sum = chosen.reduce((n, r) => n + r.rating, 0);
  const positive = chosen.filter((r) => r.rating >= 7).length;
  return [String(chosen.length), (Math.round((sum / chosen.length) * 100) / 100).toFixed(2), `${Math.round((positive / chosen.length) * 100)}%`];
}

describe('the ratings pages in a browser', () => {
  it('the reports page: figures, a trend and a bar per engineer, each chart named and described; axe clean', async () => {
    const { context, page } = await contextFor('admin');
    await page.goto(`${base}/accounts/${accountId}/reports`);
    expect(await page.locator('h1').innerText()).toBe('Ratings report');
    const [count, average, share] = await figures(page);
    expect([count, average!.split(' ')[0], share!.split(' ')[0]]).toEqual(expected(() => true));
    expect(await page.locator('svg[role="img"]:visible').count()).toBe(2);
    expect(await page.locator('#engineer-chart .bar').count()).toBe(ENGINEERS.length);
    expect(await page.locator('#trend-chart-desc').textContent()).toContain('Average rating (0 to 10) and number of ratings per week');
    // The comment with markup is text on the page, never a script.
    expect(await page.locator('td.comment', { hasText: '<script>' }).count()).toBeGreaterThan(0);
    await check(page, 'reports');
    await page.goto(`${base}/accounts/${accountId}/reports?from=2026-01-01&to=${TODAY}&groupBy=client`);
    expect(await page.locator('svg[role="img"]:visible').count()).toBe(3);
    await check(page, 'reports-by-client');
    await context.close();
  }, 90_000);

  it("the charts' legends never overlap, at 1280 and 390 pixels; on a phone the charts drawn for it show, their words readable (UX review, items 6 and 7)", async () => {
    for (const width of [1280, 390]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const cookie = s.admin.cookie;
      await context.addCookies([{ name: cookie.slice(0, cookie.indexOf('=')), value: cookie.slice(cookie.indexOf('=') + 1), url: base }]);
      const page = await context.newPage();
      await page.goto(`${base}/accounts/${accountId}/reports?groupBy=client`);
      const boxes = await page.locator('.chart-legend li:visible').evaluateAll((items) => items.map((li) => [...li.childNodes].map((n) => {
        const range = document.createRange();
        range.selectNodeContents(n);
        const r = range.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      })).flat());
      expect(boxes.length, `${width}`).toBeGreaterThanOrEqual(8);
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i]!, boxes[j]!];
          const overlap = a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
          expect(overlap, `${width}: legend parts ${i} and ${j} overlap`).toBe(false);
        }
      const drawn = await page.locator('svg[role="img"]:visible').evaluateAll((svgs) => svgs.map((svg) => svg.id));
      expect(drawn, `${width}`).toEqual(width === 390 ? ['trend-chart-narrow', 'engineer-chart-narrow', 'client-chart-narrow'] : ['trend-chart', 'engineer-chart', 'client-chart']);
      // The smallest word drawn on a chart, in CSS pixels as the screen shows it.
      const smallest = await page.locator('svg[role="img"]:visible text').evaluateAll((texts) => Math.min(...texts.map((t) => (t as SVGTextElement).getBoundingClientRect().height)));
      expect(smallest, `${width}`).toBeGreaterThanOrEqual(11);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${width}`).toBeLessThanOrEqual(width);
      await shot(page, `reports-charts-${width}`);
      await context.close();
    }
  }, 90_000);

  it('without JavaScript, the filter form changes the view: an engineer left out, a client chosen, another range', async () => {
    const { context, page } = await contextFor('admin', false);
    await page.goto(`${base}/accounts/${accountId}/reports`);
    expect(await page.locator('html.js').count()).toBe(0); // console.js never ran
    await page.locator('fieldset.picker', { hasText: 'Engineers' }).getByLabel('Ann Archer').check();
    await page.locator('fieldset.picker', { hasText: 'Engineers' }).getByLabel('All except the checked').check();
    await page.click('button:has-text("Show report")');
    await page.waitForURL(/memberMode=except/);
    let [count, average, share] = await figures(page);
    expect([count, average!.split(' ')[0], share!.split(' ')[0]]).toEqual(expected((r) => r.who !== 'Ann Archer'));
    expect(await page.locator('#engineer-chart .bar').count()).toBe(ENGINEERS.length - 1);
    expect(await page.locator('.view-words').innerText()).toContain('all engineers except Ann Archer');
    await page.locator('fieldset.picker', { hasText: 'Clients' }).getByLabel('Globex').check();
    await page.click('button:has-text("Show report")');
    await page.waitForURL(/client=Globex/);
    [count, average, share] = await figures(page);
    expect([count, average!.split(' ')[0], share!.split(' ')[0]]).toEqual(expected((r) => r.who !== 'Ann Archer' && r.client === 'Globex'));
    await shot(page, 'reports-filtered-without-js');
    await page.fill('#from', '2026-01-01');
    await page.selectOption('#groupBy', 'day');
    await page.click('button:has-text("Show report")');
    await page.waitForURL(/groupBy=day/);
    expect(await page.locator('h2#trend').innerText()).toBe('Trend per day');
    expect(new URL(page.url()).searchParams.get('from')).toBe('2026-01-01');
    const csv = await page.locator('a', { hasText: 'Download these ratings as CSV' }).getAttribute('href');
    expect(csv).toContain('excludeMembers=');
    expect(csv).toContain('clients=Globex');
    await context.close();
  }, 90_000);

  it("an employee's /me: their figures, 90-day trend and ratings; paging works without JavaScript; axe clean", async () => {
    const { context, page } = await contextFor('employee');
    await page.goto(`${base}/me`);
    expect(await page.locator('nav[aria-label="Main"] a').allTextContents()).toEqual(['My record']);
    const mine = rows.filter((r) => r.who === 'Eve Elm' && Date.parse(r.at) >= Date.parse('2025-10-17T04:00:00Z'));
    expect((await figures(page))[0]).toBe(String(mine.length));
    expect(await page.locator('#my-trend').getAttribute('role')).toBe('img');
    await check(page, 'me-dashboard');
    await context.close();
    const noJs = await contextFor('employee', false);
    await noJs.page.goto(`${base}/me`);
    expect(await noJs.page.locator('tbody tr').count()).toBeGreaterThan(0);
    if (rows.filter((r) => r.who === 'Eve Elm').length > 25) {
      await noJs.page.click('a:has-text("Older")');
      await noJs.page.waitForURL(/cursor=/);
      expect(await noJs.page.locator('a', { hasText: 'Newest' }).count()).toBe(1);
    }
    await noJs.context.close();
  }, 90_000);

  it("the People page's scope editor (without JavaScript): an admin hides a client from a manager, whose report loses it", async () => {
    const withJs = await contextFor('admin');
    await withJs.page.goto(`${base}/accounts/${accountId}/people`);
    await check(withJs.page, 'people-managers');
    await withJs.page.click('a:has-text("What they see")');
    await withJs.page.waitForURL(/\/scope$/);
    await check(withJs.page, 'people-scope');
    const { context, page } = await contextFor('admin', false);
    await page.goto(withJs.page.url());
    await withJs.context.close();
    const clients = page.locator('fieldset.picker', { hasText: 'Clients' });
    await clients.getByLabel('All except the checked').check();
    await clients.getByLabel('Globex').check();
    await page.locator('fieldset.picker', { hasText: 'Engineers' }).getByLabel('Only the checked').check();
    for (const name of ['Ann Archer', 'Bob Baker', 'Cy Cole', 'Dee Dunn']) await page.locator('fieldset.picker', { hasText: 'Engineers' }).getByLabel(name).check();
    await page.click('button:has-text("Save what")');
    await page.waitForURL(/saved=1/);
    expect(await page.locator('.scope-words').innerText()).toContain('only these engineers: Ann Archer, Bob Baker, Cy Cole and Dee Dunn, and every client except Globex');
    await shot(page, 'people-scope-saved');
    await context.close();
    const manager = await contextFor('manager');
    await manager.page.goto(`${base}/accounts/${accountId}/reports?groupBy=client`);
    const text = await manager.page.locator('main').innerText();
    expect(text).not.toContain('Globex');
    expect(text).not.toContain('Eve Elm');
    const keep = (r: (typeof rows)[number]) => r.client !== 'Globex' && ['Ann Archer', 'Bob Baker', 'Cy Cole', 'Dee Dunn'].includes(r.who);
    const [count, average, share] = await figures(manager.page);
    expect([count, average!.split(' ')[0], share!.split(' ')[0]]).toEqual(expected(keep));
    await check(manager.page, 'reports-narrowed-manager');
    await manager.context.close();
  }, 90_000);
});
