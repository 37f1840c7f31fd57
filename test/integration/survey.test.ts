import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { FAKE_CREDENTIALS } from '../fakes/connectwise-fake.js';
import { AT_CREDENTIALS } from '../fakes/autotask-fake.js';
import { HALO_CREDENTIALS } from '../fakes/halo-fake.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

let t: TestApp;
let server: FastifyInstance;
let n = 0;

beforeAll(async () => {
  t = await createTestApp();
  server = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 10_000, perAccountPerMinute: 10_000 } });
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const halo = () => t.app.accounts.add({ name: `Halo survey ${++n}`, integration: 'halopsa', settings: { baseUrl: 'https://acme.halopsa.test', ...HALO_CREDENTIALS } });
const cw = () => t.app.accounts.add({ name: `CW survey ${++n}`, integration: 'connectwise', settings: { site: 'https://cw.test', ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } });
const autotask = () => t.app.accounts.add({ name: `Autotask survey ${++n}`, integration: 'autotask', settings: { ...AT_CREDENTIALS, zoneUrl: 'https://webservices5.autotask.test/atservicesrest/' } });
const snippet = (settings: Record<string, unknown> = {}) => t.app.accounts.add({ name: `Snippet ${++n}`, integration: 'snippet', settings });
/** A person's click: the link's page, then the confirmation its script (or button) posts. */
async function follow(url: string, ip = '10.0.0.1', via = server) {
  const page = await via.inject({ method: 'GET', url, remoteAddress: ip });
  if (page.statusCode !== 200) return page;
  const action = /<form id="rating-form" method="post" action="([^"]+)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
  return via.inject({ method: 'POST', url: action, remoteAddress: ip, headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' } });
}
const click = (key: string, params: Record<string, string>, ip = '10.0.0.1') => follow(`/s/${key}?${new URLSearchParams(params).toString()}`, ip);
const stored = async () => ({
  events: (await query(t.url, 'select count(*)::int as n from survey_event'))[0]!.n,
  members: (await query(t.url, 'select count(*)::int as n from member'))[0]!.n,
});
const members = (accountId: string) => t.app.members.list(accountId, 'all');

describe('survey links (product.md §3)', () => {
  it('fifty concurrent identical clicks from an unknown agent on a Halo account add exactly one member', async () => {
    const account = await halo();
    const params = { rating: '9', ticket: 'T-100', respondent: 'pat@customer.test', agent_id: '77', agent_email: 'New.Agent@acme.test', agent_name: 'New Agent' };
    const responses = await Promise.all(Array.from({ length: 50 }, () => click(account.publicKey, params)));
    for (const r of responses) expect(r.statusCode).toBe(200);
    expect(responses[0]!.headers['content-type']).toContain('text/html');
    expect(responses[0]!.body).toContain('Thank you');
    const list = await members(account.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ externalId: '77', email: 'New.Agent@acme.test', name: 'New Agent', source: 'survey', active: true, list: 'staff' });
    const events = await t.app.survey.list(account.id, false);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ memberId: list[0]!.id, matchedBy: 'added', clicks: 50, rating: 9 });
    const { history } = await t.app.members.explain(account.id, list[0]!.id);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'added', reason: 'seen_in_survey', surveyEventId: events[0]!.id, runId: null });
  });

  it('the same click on a ConnectWise account adds nobody and is recorded as unmatched', async () => {
    const account = await cw();
    const responses = await Promise.all(Array.from({ length: 5 }, () => click(account.publicKey, { rating: '8', ticket: '5001', agent_identifier: 'jdoe' })));
    for (const r of responses) expect(r.statusCode).toBe(200);
    expect(await members(account.id)).toHaveLength(0);
    const unmatched = await t.app.survey.list(account.id, true);
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]).toMatchObject({ memberId: null, matchedBy: null, unmatchedReason: 'connectwise_is_source_of_truth', agent: { identifier: 'jdoe' } });
  });

  it('on an Autotask account, the PSA is the source of truth too: an unknown agent is not added', async () => {
    const account = await autotask();
    const r = await click(account.publicKey, { rating: '7', ticket: 'T20261201.0001', agent_email: 'someone@acme.test', agent_name: 'Some One' });
    expect(r.statusCode).toBe(200);
    expect(await members(account.id)).toHaveLength(0);
    const unmatched = await t.app.survey.list(account.id, true);
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]).toMatchObject({ memberId: null, unmatchedReason: 'autotask_is_source_of_truth' });
  });

  it('matches by PSA id, then email, then normalised name', async () => {
    const account = await snippet();
    await t.app.imports.import(
      account.id,
      'name,email,agent_id\nJosé Díaz,jose@acme.test,11\nAnn Lee,ann@acme.test,12\nBo Chan,bo@acme.test,\n',
      'csv',
      'test',
    );
    const byName = Object.fromEntries((await members(account.id)).map((m) => [m.name, m.id]));
    const credit = async (ticket: string, agent: Record<string, string>) => {
      expect((await click(account.publicKey, { rating: '7', ticket, ...agent })).statusCode).toBe(200);
      return (await t.app.survey.list(account.id, false)).find((e) => e.ticket === ticket)!;
    };
    expect(await credit('1', { agent_id: '11', agent_email: 'ann@acme.test', agent_name: 'Bo Chan' })).toMatchObject({ memberId: byName['José Díaz'], matchedBy: 'id' });
    expect(await credit('2', { agent_id: '999', agent_email: 'ANN@acme.test', agent_name: 'Bo Chan' })).toMatchObject({ memberId: byName['Ann Lee'], matchedBy: 'email' });
    expect(await credit('3', { agent_email: 'nobody@acme.test', agent_name: '  bo   CHAN ' })).toMatchObject({ memberId: byName['Bo Chan'], matchedBy: 'name' });
    expect(await credit('4', { agent_name: 'jose diaz' })).toMatchObject({ memberId: byName['José Díaz'], matchedBy: 'name' });
    expect(await members(account.id)).toHaveLength(3);
  });

  it('a second click for the same ticket and respondent updates the rating instead of adding an event', async () => {
    const account = await snippet();
    const params = { ticket: 'T-9', respondent: 'sam@customer.test', agent_email: 'kim@acme.test' };
    await click(account.publicKey, { ...params, rating: '2' });
    await click(account.publicKey, { ...params, rating: '10' });
    await click(account.publicKey, { ...params, respondent: 'other@customer.test', rating: '6' });
    const events = await t.app.survey.list(account.id, false);
    expect(events.map((e) => [e.respondent, e.rating, e.clicks]).sort()).toEqual([
      ['other@customer.test', 6, 1],
      ['sam@customer.test', 10, 2],
    ]);
    expect(await members(account.id)).toHaveLength(1);
  });

  it('an account that requires signed links rejects unsigned and tampered ones, storing nothing, and accepts signed ones', async () => {
    const account = await snippet({ requireSignedLinks: true });
    expect(account.requireSignedLinks).toBe(true);
    const before = await stored();
    const unsigned = await click(account.publicKey, { rating: '5', agent_email: 'lee@acme.test' });
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.body).toContain('signed survey links only');
    const { html, signed } = await t.app.survey.snippet(account.id, 'http://reviews.test', { email: 'lee@acme.test', name: 'Lee' });
    expect(signed).toBe(true);
    const href = /href="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
    const url = new URL(href);
    const tampered = new URL(href);
    tampered.searchParams.set('agent_email', 'mallory@evil.test');
    expect((await server.inject({ method: 'GET', url: `${tampered.pathname}${tampered.search}` })).statusCode).toBe(403);
    expect(await stored()).toEqual(before);
    const ok = await follow(`${url.pathname}${url.search}`);
    expect(ok.statusCode).toBe(200);
    expect((await t.app.survey.list(account.id, false))[0]).toMatchObject({ signed: true, agent: { email: 'lee@acme.test' } });
  });

  it('stores names with HTML as text and never renders them unescaped', async () => {
    const account = await snippet();
    const evil = '<script>alert("x")</script><b>Eve</b>';
    const res = await click(account.publicKey, { rating: '5', ticket: 'X1', agent_name: evil });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).toContain('&lt;script&gt;');
    expect((await members(account.id))[0]!.name).toBe(evil);
  });
});

describe('bad input and abuse: a clear 4xx and nothing stored', () => {
  it.each([
    ['an unknown account key', (key: string) => `/s/${'f'.repeat(32)}?rating=5&agent_id=1`, 404, 'no account has this key'],
    ['a missing agent', (key: string) => `/s/${key}?rating=5&ticket=1`, 400, 'agent is missing'],
    ['a rating out of range', (key: string) => `/s/${key}?rating=11&agent_id=5`, 400, 'rating must be a whole number from 0 to 10'],
    ['a rating that is not a number', (key: string) => `/s/${key}?rating=great&agent_id=5`, 400, 'rating'],
    ['a bad signature', (key: string) => `/s/${key}?rating=5&agent_id=5&sig=${'0'.repeat(64)}`, 403, 'signature does not match'],
    ['an oversized link', (key: string) => `/s/${key}?rating=5&agent_id=5&pad=${'x'.repeat(3000)}`, 413, 'longer than'],
  ])('rejects %s', async (_label, url, status, message) => {
    const account = await snippet();
    const before = await stored();
    const res = await server.inject({ method: 'GET', url: url(account.publicKey) });
    expect(res.statusCode).toBe(status);
    expect(res.body).toContain(message);
    expect(await stored()).toEqual(before);
  });

  it('POST /api/v1/survey-events takes a batch, and rejects the whole batch for one bad event', async () => {
    const account = await snippet();
    const before = await stored();
    const bad = await server.inject({
      method: 'POST',
      url: '/api/v1/survey-events',
      payload: { events: [{ accountKey: account.publicKey, rating: 5, agentEmail: 'a@acme.test', ticket: '1' }, { accountKey: account.publicKey, rating: 50, agentEmail: 'b@acme.test' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('event 1');
    const unknown = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: [{ accountKey: account.publicKey, rating: 5, agentEmail: 'a@acme.test' }, { accountKey: 'nope', rating: 5, agentEmail: 'b@acme.test' }] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain('event 1');
    const malformed = await server.inject({ method: 'POST', url: '/api/v1/survey-events', headers: { 'content-type': 'application/json' }, payload: '{"accountKey": ' });
    expect(malformed.statusCode).toBe(400);
    const huge = await server.inject({ method: 'POST', url: '/api/v1/survey-events', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(70_000) }) });
    expect(huge.statusCode).toBe(413);
    expect(await stored()).toEqual(before);

    const good = await server.inject({
      method: 'POST',
      url: '/api/v1/survey-events',
      payload: { events: [{ accountKey: account.publicKey, rating: 5, agentEmail: 'a@acme.test', ticket: '1' }, { accountKey: account.publicKey, rating: 3, agentName: 'Bee', ticket: '2' }] },
    });
    expect(good.statusCode).toBe(201);
    expect(good.json().events.map((e: { addedMember: boolean }) => e.addedMember)).toEqual([true, true]);
  });

  it('rate-limits the public routes per IP and per account with 429 and Retry-After', async () => {
    const limited = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 3, perAccountPerMinute: 5 } });
    try {
      const account = await snippet();
      const get = (ip: string, ticket: string) => limited.inject({ method: 'POST', url: `/s/${account.publicKey}?rating=5&agent_email=r@acme.test&ticket=${ticket}`, remoteAddress: ip });
      for (const i of [1, 2, 3]) expect((await get('10.1.1.1', `a${i}`)).statusCode).toBe(200);
      const overIp = await get('10.1.1.1', 'a4');
      expect(overIp.statusCode).toBe(429);
      expect(Number(overIp.headers['retry-after'])).toBeGreaterThan(0);
      for (const i of [1, 2]) expect((await get('10.2.2.2', `b${i}`)).statusCode).toBe(200);
      expect((await get('10.3.3.3', 'c1')).statusCode).toBe(429); // the account's 5 per minute are used up
      expect((await t.app.survey.list(account.id, false)).length).toBe(5);
    } finally {
      await limited.close();
    }
  });

  it('page views and recordings have budgets of their own: a burst of views never refuses a rating (issue 16, item 7)', async () => {
    const limited = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 2, viewsPerIpPerMinute: 3, perAccountPerMinute: 100 } });
    try {
      const account = await snippet();
      const link = (ticket: string) => `/s/${account.publicKey}?rating=9&agent_email=v@acme.test&ticket=${ticket}`;
      const office = '10.9.9.9';
      // A scanner (or a busy office) opens links from one address until views are refused…
      for (const i of [1, 2, 3]) expect((await limited.inject({ method: 'GET', url: link(`v${i}`), remoteAddress: office })).statusCode).toBe(200);
      expect((await limited.inject({ method: 'GET', url: link('v4'), remoteAddress: office })).statusCode).toBe(429);
      const scanner = await limited.inject({ method: 'POST', url: link('v5'), remoteAddress: office, headers: { 'user-agent': 'Mimecast URL scanner' } });
      expect(scanner.statusCode).toBe(429); // an automated POST records nothing: it spends views
      // …and a person at that address still records ratings for new tickets, up to the recordings' own limit.
      const person = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };
      for (const ticket of ['r1', 'r2']) expect((await limited.inject({ method: 'POST', url: link(ticket), remoteAddress: office, headers: person })).statusCode).toBe(200);
      expect((await limited.inject({ method: 'POST', url: link('r3'), remoteAddress: office, headers: person })).statusCode).toBe(429);
      expect((await t.app.survey.list(account.id, false)).map((e) => e.ticket).sort()).toEqual(['r1', 'r2']);
    } finally {
      await limited.close();
    }
  });

  it('caps members added from survey activity per account per day; the rest are unmatched and visible', async () => {
    const account = await snippet();
    await t.app.accounts.update(account.id, { surveyAutoAddCap: 2 });
    for (const who of ['a', 'b', 'c']) expect((await click(account.publicKey, { rating: '5', ticket: who, agent_email: `${who}@acme.test` })).statusCode).toBe(200);
    expect(await members(account.id)).toHaveLength(2);
    const unmatched = await t.app.survey.list(account.id, true);
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]).toMatchObject({ unmatchedReason: 'auto_add_cap_reached', agent: { email: 'c@acme.test' } });
  });
});

describe('members import (snippet setup)', () => {
  it('a file with one bad row imports nothing and names the row', async () => {
    const account = await snippet();
    await expect(t.app.imports.import(account.id, 'name,email\nAl,al@acme.test\nBea,bea-at-acme\n', 'csv', 'test')).rejects.toThrow(/row 3: email "bea-at-acme" is not an email address/);
    expect(await members(account.id)).toHaveLength(0);
  });

  it('imports all rows, then updates matching members on a second import; refused on PSA accounts', async () => {
    const account = await snippet();
    expect(await t.app.imports.import(account.id, JSON.stringify([{ name: 'Al', email: 'al@acme.test' }, { name: 'Bea', email: 'bea@acme.test', agentId: 'B1' }]), 'json', 'test')).toMatchObject({ added: 2, updated: 0 });
    expect(await t.app.imports.import(account.id, JSON.stringify([{ name: 'Al Smith', email: 'AL@acme.test' }, { name: 'Bea', email: 'bea@acme.test', agentId: 'B1' }]), 'json', 'test')).toMatchObject({ added: 0, updated: 1, unchanged: 1 });
    expect((await members(account.id)).map((m) => [m.name, m.source])).toEqual([
      ['Al Smith', 'import'],
      ['Bea', 'import'],
    ]);
    const halopsa = await halo();
    await expect(t.app.imports.import(halopsa.id, 'name,email\nAl,al@acme.test\n', 'csv', 'test')).rejects.toThrow(/not from a file/);
  });

  it('admins deactivate and reactivate snippet members by hand; syncs are refused', async () => {
    const account = await snippet();
    await t.app.imports.import(account.id, 'name,email\nAl,al@acme.test\n', 'csv', 'test');
    const [al] = await members(account.id);
    expect((await t.app.members.setActive(account.id, al!.id, false, 'admin')).active).toBe(false);
    expect((await t.app.members.setActive(account.id, al!.id, true, 'admin')).active).toBe(true);
    await expect(t.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'x' })).rejects.toThrow(/snippet account/);
    const listed = (await t.app.accounts.list()).find((a) => a.id === account.id)!;
    expect(listed.schedule).toMatchObject({ state: 'not_scheduled', nextAttemptAt: null });
  });
});
