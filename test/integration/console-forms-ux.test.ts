import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Settings and People forms as a second reviewer filled them in (UX review, items 3, 4 and 8): the
 * seat limit lowered below the Active count, refusals shown on the same page with what was typed,
 * times in the account's zone, and wording.
 */
const ZONE = 'Pacific/Auckland';
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let fake: ConnectWiseFake;
let accountId: string;
const m: Record<string, string> = {};
let admin: TestSession;

beforeAll(async () => {
  t = await createTestApp();
  fake = new ConnectWiseFake(cwMembers(6));
  cw = await serveFake(fake);
  accountId = (await addCwAccount(t.app, cw.url, { seatLimit: 10 })).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  server = await buildServer(t.app);
  admin = await signIn(t.app, server, { accountId, memberId: m.user1!, role: 'admin' });
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const get = (url: string, who: TestSession = admin) => server.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const form = (url: string, fields: Record<string, string>, who: TestSession = admin) =>
  server.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: who.cookie }, payload: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString() });
const text = (body: string) => body.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
/** The Settings form's fields as the page shows them, changed by `change`. */
async function settingsForm(change: Record<string, string>): Promise<Record<string, string>> {
  const a = await t.app.accounts.get(accountId);
  return { seatLimit: String(a.seatLimit ?? ''), syncAt: a.syncAt ?? '', timezone: a.timezone, breakerPercent: String(a.breaker.percent), breakerMinMembers: String(a.breaker.minMembers), ...change };
}

describe('a seat limit lowered below the Active count (item 3)', () => {
  it('says what happens: nobody is unchecked, new members come in unchecked', async () => {
    const page = text((await get(`/accounts/${accountId}/settings`)).body);
    expect(page).toContain('6 members are Active now; a lower limit unchecks nobody.');
    expect(page).not.toContain('is below the');
    const saved = await form(`/accounts/${accountId}/settings`, await settingsForm({ seatLimit: '4' }));
    expect(saved.statusCode).toBe(303);
    const after = text((await get(saved.headers.location as string)).body);
    expect(after).toContain('Settings saved.');
    expect(after).toContain('The seat limit (4) is below the 6 members Active now. Nobody is unchecked: all 6 stay Active. New members are added unchecked');
    expect(after).toContain('nobody can be made Active until fewer than 4 are.');
    expect((await t.app.members.page(accountId, { list: 'staff' })).activeCount).toBe(6);
    // A new member in the PSA comes in unchecked, as the page said.
    fake.setMembers(cwMembers(7));
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    expect((await t.app.members.list(accountId, 'all')).find((x) => x.identifier === 'user7')?.active).toBe(false);
    await t.app.accounts.update(accountId, { seatLimit: 10 }, 'test');
    expect(text((await get(`/accounts/${accountId}/settings`)).body)).not.toContain('is below the');
  });
});
