import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSyncAt } from '../../src/schedule/daily.js';
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

describe('a refused change is shown on the same page, with what was typed (item 4)', () => {
  it('Settings: the page again (not a bare error page), the field marked with why, every typed value kept, nothing saved', async () => {
    const before = await t.app.accounts.get(accountId);
    for (const [change, field, words] of [
      [{ syncAt: '25:00' }, 'syncAt', 'sync time must be HH:MM on a 24-hour clock (got "25:00")'],
      [{ seatLimit: '-3' }, 'seatLimit', 'the seat limit must be a whole number (got "-3")'],
      [{ timezone: 'Mars/Olympus' }, 'timezone', 'unknown IANA time zone "Mars/Olympus"'],
    ] as const) {
      const typed = await settingsForm({ seatLimit: '7', breakerPercent: '35', reason: 'new plan', ...change });
      const res = await form(`/accounts/${accountId}/settings`, typed);
      expect(res.statusCode, field).toBe(400);
      expect(res.body, field).toContain('<h1>Settings</h1>');
      expect(res.body, field).toContain('<nav aria-label="Main">');
      expect(res.body, field).toContain(`aria-invalid="true" aria-describedby="${field}-hint ${field}-error"`);
      expect(res.body, field).toContain(`<div class="field-error" id="${field}-error">${words.replace(/"/g, '&quot;')}</div>`);
      for (const name of ['seatLimit', 'syncAt', 'timezone', 'breakerPercent'] as const) expect(res.body, `${field}: ${name}`).toMatch(new RegExp(`id="${name}" name="${name}"[^>]* value="${typed[name]}"`));
      expect(res.body, field).toContain('name="reason" maxlength="500" value="new plan"');
    }
    const after = await t.app.accounts.get(accountId);
    expect([after.seatLimit, after.breaker.percent, after.timezone]).toEqual([before.seatLimit, before.breaker.percent, before.timezone]);
  });

  it('Settings: refused credentials keep what was typed, and the recipients and webhook forms keep theirs', async () => {
    const typed = await settingsForm({ cw_site: cw.url, cw_companyId: 'acme', cw_publicKey: 'pub', cw_privateKey: 'wrong-private', cw_clientId: 'client' });
    const res = await form(`/accounts/${accountId}/settings`, typed);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<div class="field-error" id="credentials-error">the connection test failed');
    expect(res.body).toContain(`id="cw_site" name="cw_site" autocomplete="off" value="${cw.url}" aria-invalid="true"`);
    expect(res.body).toContain('id="cw_companyId" name="cw_companyId" autocomplete="off" value="acme"');
    expect(res.body).not.toContain('wrong-private'); // a secret is never sent back
    expect(res.body).toContain('The secret fields are empty again');
    const recipients = await form(`/accounts/${accountId}/settings/notifications`, { emails: 'boss@acme.test, not-an-email' });
    expect(recipients.statusCode).toBe(400);
    expect(recipients.body).toContain('<input type="text" id="notify" name="emails" value="boss@acme.test, not-an-email" aria-invalid="true" aria-describedby="notify-hint notify-error">');
    expect(recipients.body).toContain('<div class="field-error" id="notify-error">&quot;not-an-email&quot; is not an email address</div>');
    const hook = await form(`/accounts/${accountId}/settings/webhooks`, { url: 'ftp://hooks.example.com/x' });
    expect(hook.statusCode).toBe(400);
    expect(hook.body).toContain('value="ftp://hooks.example.com/x" aria-invalid="true" aria-describedby="hook-hint hook-error"');
    // The other forms of the page show what is saved, not the refused values.
    expect(hook.body).toContain('id="notify" name="emails" value=""');
  });

  it('People: a refused invitation keeps the email and role typed, the email marked with why', async () => {
    const res = await form(`/accounts/${accountId}/people`, { email: 'nobody-here@acme.test', role: 'account_manager' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.body).toContain('<h1>People</h1>');
    expect(res.body).toContain('<input type="email" id="invite-email" name="email" value="nobody-here@acme.test" required aria-invalid="true" aria-describedby="invite-error">');
    expect(res.body).toContain('<option value="account_manager" selected>');
    expect(res.body).toMatch(/<div class="field-error" id="invite-error">[^<]+<\/div>/);
  });

  it('People: demoting or removing the last admin is refused on the page it was asked from', async () => {
    const me = (await t.app.people.list(accountId)).find((p) => p.email === admin.email)!;
    const demote = await form(`/accounts/${accountId}/people/${me.id}/role`, { role: 'employee' });
    expect(demote.statusCode).toBe(409);
    expect(demote.body).toContain('<h1>People</h1>');
    expect(demote.body).toMatch(/<div class="alert error" role="alert">[^<]*last admin/);
    const remove = await form(`/accounts/${accountId}/people/${me.id}/remove`, { confirm: 'yes', reason: 'testing' });
    expect(remove.statusCode).toBe(409);
    expect(remove.body).toContain(`<h1>Remove the sign-in of ${me.name}?</h1>`);
    expect(remove.body).toMatch(/<div class="alert error" role="alert">[^<]*last admin/);
    expect(remove.body).toContain('name="reason" maxlength="500" value="testing"');
    expect((await t.app.people.list(accountId)).find((p) => p.id === me.id)?.role).toBe('admin');
  });
});

describe("times on People and Settings in the account's time zone (item 4)", () => {
  it('an invitation link’s expiry and the account’s creation, never in UTC', async () => {
    await t.app.accounts.update(accountId, { timezone: ZONE }, 'test');
    const { person } = await t.app.people.invite(accountId, { memberId: m.user3!, role: 'employee' }, 'cli');
    const a = await t.app.accounts.get(accountId);
    const local = (iso: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: ZONE }).slice(0, 16);
    const people = (await get(`/accounts/${accountId}/people`)).body;
    expect(people).toContain(`link valid until ${local(person.invitationExpiresAt!)}`);
    const settings = (await get(`/accounts/${accountId}/settings`)).body;
    expect(settings).toContain(`Created ${local(a.createdAt)}.`);
    for (const [name, body] of [['people', people], ['settings', settings]]) {
      expect(body, name).toContain(`Times are in ${ZONE}`);
      expect(body, name).not.toMatch(/\d{2}:\d{2} UTC/);
    }
    await t.app.accounts.update(accountId, { timezone: 'UTC' }, 'test');
  });
});

describe('wording (item 8)', () => {
  it("naming a first admin: the confirmation names the person (their member's name and email), or says their member is to come", async () => {
    const support = await signIn(t.app, server, { support: true });
    const fresh = await addCwAccount(t.app, cw.url);
    await t.app.engine.sync(fresh.id, { trigger: 'manual', requestedBy: 'test' });
    const named = await form(`/accounts/${fresh.id}/people`, { role: 'admin', email: 'user4@acme.test' }, support);
    expect(named.statusCode).toBe(303);
    const words = text((await get(named.headers.location as string, support)).body);
    expect(words).toMatch(/First4 Last4 \(user4@acme\.test\) is invited as the first admin\.|Invitation sent to First4 Last4 \(user4@acme\.test\), the first admin\./);
    expect(words).not.toContain('No member has this email yet');
    const empty = await addCwAccount(t.app, cw.url);
    const early = await form(`/accounts/${empty.id}/people`, { role: 'admin', email: 'boss@acme.test' }, support);
    const earlyWords = text((await get(early.headers.location as string, support)).body);
    expect(earlyWords).toContain('boss@acme.test is invited as the first admin.');
    expect(earlyWords).toContain('No member has this email yet: they are linked to theirs when a sync brings it.');
  });

  it('an empty sync time says the time it stands for', async () => {
    const zoneless = await get(`/accounts/${accountId}/settings`);
    expect(text(zoneless.body)).toContain(`Empty, so it syncs daily at the default for this account, ${defaultSyncAt(accountId)} (psa-sync spreads accounts between 01:00 and 05:00 so they do not all sync at once).`);
    await t.app.accounts.update(accountId, { syncAt: '06:30' }, 'test');
    const set = text((await get(`/accounts/${accountId}/settings`)).body);
    expect(set).toContain(`Empty: the default for this account, ${defaultSyncAt(accountId)}`);
    await t.app.accounts.update(accountId, { syncAt: null }, 'test');
  });

  it('"My record" is one heading, of /me; the member page it links to has its own', async () => {
    const employee = await signIn(t.app, server, { accountId, memberId: m.user5!, role: 'employee' });
    const me = (await get('/me', employee)).body;
    expect(me.match(/<h[1-6][^>]*>My record<\/h[1-6]>/g)).toHaveLength(1);
    const own = (await get(`/accounts/${accountId}/members/${m.user5}`, employee)).body;
    expect(own).toContain('<h1>My member record</h1>');
    expect(own).not.toMatch(/<h[1-6][^>]*>My record<\/h[1-6]>/);
  });
});
