import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { atResources, AutotaskFake } from '../fakes/autotask-fake.js';
import { serveFake } from '../fakes/connectwise-fake.js';
import { addAtAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { ROOT } from '../helpers/cli.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Settings → Sync scope in a real browser (issue 17): axe clean, and with JavaScript off an admin
 * previews and saves a scope through the plain form. Screenshots go to artifacts/screenshots/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');

let t: TestApp;
let server: FastifyInstance;
let at: Awaited<ReturnType<typeof serveFake>>;
let base: string;
let browser: Browser;
let accountId: string;
let admin: TestSession;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  t = await createTestApp();
  at = await serveFake(new AutotaskFake(atResources(8)));
  accountId = (await addAtAccount(t.app, at.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  const member = (await t.app.members.list(accountId, 'all')).find((m) => m.externalId === '2')!;
  server = await buildServer(t.app);
  base = await server.listen({ port: 0, host: '127.0.0.1' });
  admin = await signIn(t.app, server, { accountId, memberId: member.id, role: 'admin' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await at?.close();
  await t?.close();
});

async function pageFor(javaScriptEnabled: boolean) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled });
  const cookie = admin.cookie;
  await context.addCookies([{ name: cookie.slice(0, cookie.indexOf('=')), value: cookie.slice(cookie.indexOf('=') + 1), url: base }]);
  context.setDefaultTimeout(10_000);
  return { context, page: await context.newPage() };
}

describe('Settings → Sync scope in a browser', () => {
  it('passes axe; without JavaScript an admin previews, then saves, ticking names', async () => {
    const withJs = await pageFor(true);
    await withJs.page.goto(`${base}/accounts/${accountId}/settings`);
    await withJs.page.click('a:has-text("Choose the sync scope")');
    await withJs.page.waitForURL(/\/settings\/scope$/);
    const result = await new AxeBuilder({ page: withJs.page }).analyze();
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await withJs.page.screenshot({ path: path.join(SHOTS, 'sync-scope.png'), fullPage: true });
    await withJs.context.close();

    const { context, page } = await pageFor(false);
    await page.goto(`${base}/accounts/${accountId}/settings/scope`);
    await page.locator('fieldset.picker', { hasText: 'Departments' }).getByLabel('Service Desk').check();
    await page.click('button:has-text("Preview what it does")');
    await page.locator('#scope-preview').waitFor();
    expect(await page.locator('#scope-preview').innerText()).toContain('a sync now would move 4 members to Inactive Synced Members');
    // The ticks survive the preview; saving stores them.
    expect(await page.locator('fieldset.picker', { hasText: 'Departments' }).getByLabel('Service Desk').isChecked()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'sync-scope-preview-without-js.png'), fullPage: true });
    await page.click('button:has-text("Save the sync scope")');
    await page.locator('.alert', { hasText: 'Saved: department Service Desk' }).waitFor();
    expect((await t.app.syncScope.get(accountId)).scope.departments).toEqual(['1']);
    await context.close();
  }, 90_000);
});
