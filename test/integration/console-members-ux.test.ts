import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * The Members page as a second reviewer clicked through it (UX review, items 1 and 2): one Active
 * box swaps only its own cell and the badges follow out of band; without scripts a box returns to
 * the same list; bulk "all matching → Uncheck" and People "Remove" ask first.
 */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
const m: Record<string, string> = {};
let admin: TestSession;

beforeAll(async () => {
  t = await createTestApp();
  // Seven members, one inactive in ConnectWise; a seat limit of 6.
  cw = await serveFake(new ConnectWiseFake([...cwMembers(6), cwMember(7, { inactiveFlag: true })]));
  accountId = (await addCwAccount(t.app, cw.url, { seatLimit: 6 })).id;
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
const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}, who: TestSession = admin) =>
  server.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: who.cookie, ...headers }, payload: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString() });
const htmx = { 'hx-request': 'true' };
const text = (body: string) => body.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
const decode = (s: string) => s.replace(/&amp;/g, '&');

describe('one Active box (item 1)', () => {
  it("the box's form names its list (filters, sort, page) and targets its own cell; the box has an id to keep the focus", async () => {
    const body = (await get(`/accounts/${accountId}/members?q=user&sort=email&order=desc`)).body;
    const action = `/accounts/${accountId}/members/${m.user3}/active?list=staff&amp;q=user&amp;sort=email&amp;order=desc`;
    expect(body).toContain(`<form method="post" action="${action}" hx-post="${action}" hx-trigger="change" hx-target="closest td" hx-swap="innerHTML">`);
    expect(body).toContain(`<input type="checkbox" id="active-${m.user3}" name="active" value="true" checked`);
    expect(body).toContain('<div class="row" id="member-counts" ><span class="badge">6 Active / 6 Total</span>');
  });

  it('under htmx, answers only the cell (never the row) and the badges out of band, counted for the same view', async () => {
    const res = await form(`/accounts/${accountId}/members/${m.user3}/active?list=staff&q=user`, {}, htmx);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain('<tr');
    expect(res.body).not.toContain('name="memberIds"');
    expect(res.body).toMatch(/^<form method="post"/);
    expect(res.body).toContain(`id="active-${m.user3}"`);
    expect(res.body).toContain('unchecked by an admin');
    expect(res.body).toContain('<div class="row" id="member-counts" hx-swap-oob="true"><span class="badge">5 Active / 6 Total</span>');
    expect(res.body).toContain('5 of 6 seats');
    // The view's counts: only the members the filter matches.
    const one = await form(`/accounts/${accountId}/members/${m.user3}/active?list=staff&q=user3%40`, { active: 'true' }, htmx);
    expect(one.body).toContain('<span class="badge">1 Active / 1 Total</span>');
    expect(one.body).toContain('6 of 6 seats');
  });

  it('a refusal under htmx is said in the cell, and the badges still come', async () => {
    const res = await form(`/accounts/${accountId}/members/${m.user7}/active?list=all`, { active: 'true' }, htmx);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('<span class="refusal" role="alert">member First7 Last7 is inactive in ConnectWise');
    expect(res.body).toContain('hx-swap-oob="true"');
  });

  it('without scripts, Save returns to the same list (filters, sort, page) and says what was saved', async () => {
    const res = await form(`/accounts/${accountId}/members/${m.user4}/active?list=staff&q=user&sort=email&order=desc`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/accounts/${accountId}/members?list=staff&q=user&sort=email&order=desc&saved=${m.user4}#member-${m.user4}`);
    const back = await get(res.headers.location as string);
    expect(back.statusCode).toBe(200);
    expect(text(back.body)).toContain('Saved: First4 Last4 is not Active.');
    expect(back.body).toContain('<input type="search" id="f-q" name="q" value="user">');
    expect(decode(back.body)).not.toContain('saved='); // links of the page never carry the notice on
    await form(`/accounts/${accountId}/members/${m.user4}/active?list=staff`, { active: 'true' });
  });

  it('without scripts, a refusal shows the same list with why, at the top and in the row, not a bare page', async () => {
    const res = await form(`/accounts/${accountId}/members/${m.user7}/active?list=all&q=First7`, { active: 'true' });
    expect(res.statusCode).toBe(409);
    const words = text(res.body);
    expect(words).toContain('First7 Last7 was not made Active: member First7 Last7 is inactive in ConnectWise');
    expect(res.body).toContain('<nav aria-label="Main">');
    expect(res.body).toContain('<input type="search" id="f-q" name="q" value="First7">');
    expect(res.body).toMatch(new RegExp(`<tr id="member-${m.user7}">[\\s\\S]*?<span class="refusal" role="alert">`));
  });

  it('the saved notice names a member only for an admin: a narrowed manager learns no name from the URL', async () => {
    const manager = await signIn(t.app, server, { accountId, memberId: m.user6!, role: 'account_manager', memberScope: [m.user2!] });
    const res = await get(`/accounts/${accountId}/members?saved=${m.user3}`, manager);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('First3 Last3');
    expect(res.body).not.toContain('Saved:');
  });

  it('a bulk Uncheck with no row ticked shows the same list with why, not a bare error page, and changes nothing', async () => {
    const res = await form(`/accounts/${accountId}/members/bulk`, { scope: 'selected', active: 'false', view_list: 'staff', view_q: 'user' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<nav class="tabs"');
    expect(text(res.body)).toContain('Nothing was changed: tick some rows first, or choose "all members matching this view".');
    expect(res.body).toMatch(/name="q"[^>]*value="user"/);
  });

  it("on a member's own page, the box returns to that page", async () => {
    const page = (await get(`/accounts/${accountId}/members/${m.user5}`)).body;
    expect(page).toContain(`action="/accounts/${accountId}/members/${m.user5}/active?back=member"`);
    const res = await form(`/accounts/${accountId}/members/${m.user5}/active?back=member`, { active: 'true' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/accounts/${accountId}/members/${m.user5}?saved=1`);
    const cell = await form(`/accounts/${accountId}/members/${m.user5}/active?back=member`, { active: 'true' }, htmx);
    expect(cell.body).not.toContain('member-counts');
  });
});

describe('a confirmation step before a broad or final change (item 2)', () => {
  it('bulk "all matching → Uncheck" first says how many and who, changes nothing, then the confirmed form does it', async () => {
    const fields = { scope: 'matching', active: 'false', view_list: 'staff', view_q: 'user', view_source: 'psa', reason: 'end of contract' };
    const asked = await form(`/accounts/${accountId}/members/bulk`, fields);
    expect(asked.statusCode).toBe(200);
    const words = text(asked.body);
    expect(asked.body).toContain('<h1>Uncheck 6 members?</h1>');
    expect(words).toContain('every member matching All Staff · name or email contains “user” · source psa : 6 members now, 6 of them Active.');
    for (const n of [1, 2, 3, 4, 5, 6]) expect(asked.body).toContain(`<li>First${n} Last${n}</li>`);
    expect(asked.body).toContain('<input type="hidden" name="confirm" value="yes">');
    expect(asked.body).toContain('<input type="hidden" name="view_q" value="user">');
    expect(asked.body).toContain('value="end of contract"');
    expect(decode(asked.body)).toContain(`<a href="/accounts/${accountId}/members?list=staff&q=user&source=psa">Cancel, back to the members</a>`);
    expect((await t.app.members.page(accountId, { list: 'staff' })).activeCount).toBe(6);
    // Confirmed: the real action.
    const done = await form(`/accounts/${accountId}/members/bulk`, { ...fields, view_q: 'user5', confirm: 'yes' });
    expect(done.statusCode).toBe(200);
    expect(text(done.body)).toContain('1 member unchecked; 0 refused.');
    expect((await t.app.members.explain(accountId, m.user5!)).member.active).toBe(false);
    const audit = (await t.app.members.audit(accountId, {})).entries.find((e) => e.action === 'members.bulk_active');
    expect(audit?.reason).toBe('end of contract');
    await t.app.members.setActive(accountId, m.user5!, true, 'test');
  });

  it('checking all matching, or unchecking ticked rows, needs no extra step', async () => {
    const on = await form(`/accounts/${accountId}/members/bulk`, { scope: 'matching', active: 'true', view_list: 'staff', view_q: 'user6@' });
    expect(text(on.body)).toContain('made Active');
    const rows = await form(`/accounts/${accountId}/members/bulk`, { scope: 'selected', active: 'false', memberIds: m.user6!, view_list: 'staff' });
    expect(text(rows.body)).toContain('1 member unchecked');
    await t.app.members.setActive(accountId, m.user6!, true, 'test');
  });

  it('People "Remove" opens a page naming the person; only its confirmed form removes, with the reason in the audit trail', async () => {
    const { person } = await t.app.people.invite(accountId, { memberId: m.user2!, role: 'employee' }, 'cli');
    const people = (await get(`/accounts/${accountId}/people`)).body;
    expect(people).toContain(`<a class="button danger small" href="/accounts/${accountId}/people/${person.id}/remove">Remove…</a>`);
    expect(people).not.toContain(`action="/accounts/${accountId}/people/${person.id}/remove"`);
    const asked = await get(`/accounts/${accountId}/people/${person.id}/remove`);
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('<h1>Remove the sign-in of First2 Last2?</h1>');
    expect(text(asked.body)).toContain('user2@acme.test');
    expect(text(asked.body)).toContain('Their activation link stops working.');
    expect(asked.body).toContain('<label for="remove-reason">Reason (optional, kept in the audit trail)</label>');
    // A post without the confirmation (an old form, a script) is asked too, and removes nothing.
    const unconfirmed = await form(`/accounts/${accountId}/people/${person.id}/remove`, {});
    expect(unconfirmed.statusCode).toBe(200);
    expect(unconfirmed.body).toContain('Remove the sign-in of First2 Last2?');
    expect((await t.app.people.list(accountId)).some((p) => p.id === person.id)).toBe(true);
    const done = await form(`/accounts/${accountId}/people/${person.id}/remove`, { confirm: 'yes', reason: 'left the team' });
    expect(done.statusCode).toBe(303);
    expect((await t.app.people.list(accountId)).some((p) => p.id === person.id)).toBe(false);
    const audit = (await t.app.members.audit(accountId, {})).entries.find((e) => e.action === 'person.removed');
    expect(audit?.reason).toBe('left the team');
  });
});
