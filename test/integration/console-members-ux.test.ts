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
