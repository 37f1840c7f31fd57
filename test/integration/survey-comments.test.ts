import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/core/secret-box.js';
import { getAccount } from '../../src/db/account-repository.js';
import { buildServer } from '../../src/web/server.js';
import { signLink } from '../../src/services/survey-input.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { signIn } from '../helpers/people.js';

/**
 * A survey event's client and comment (product.md §3, issue 18): from the link (`client=`), the
 * API (`client`, `comment`) and the thank-you page's comment form, which works without scripts and
 * attaches the comment to the event the click recorded. Bounded (client 200, comment 2,000
 * characters: larger is refused naming the field, nothing stored) and escaped wherever shown.
 */
let t: TestApp;
let server: FastifyInstance;
let n = 0;
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };

beforeAll(async () => {
  t = await createTestApp();
  server = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 10_000, perAccountPerMinute: 10_000 } });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

async function snippetAccount() {
  const account = await t.app.accounts.add({ name: `Comments ${++n}`, integration: 'snippet', settings: {} });
  await t.app.imports.import(account.id, 'name,email\nKim Park,kim@msp.test\n', 'csv', 'test');
  return account;
}
const events = (accountId: string) => query(t.url, 'select ticket, respondent, rating, clicks, client, comment from survey_event where account_id = $1 order by created_at', [accountId]);
const count = async () => (await query(t.url, 'select count(*)::int as n from survey_event'))[0]!.n as number;

/** The no-script path: the link's page, its button, and the thank-you page's comment form posted as a plain form. */
async function clickThenComment(url: string, comment: string) {
  const page = await server.inject({ method: 'GET', url });
  expect(page.statusCode, page.body).toBe(200);
  const action = /<form id="rating-form" method="post" action="([^"]+)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
  const thanks = await server.inject({ method: 'POST', url: action, headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
  expect(thanks.statusCode, thanks.body).toBe(200);
  const form = /<form id="comment-form" method="post" action="([^"]+)">/.exec(thanks.body);
  expect(form, 'the thank-you page offers a comment form').not.toBeNull();
  const event = /<input type="hidden" name="event" value="([^"]*)">/.exec(thanks.body)![1]!;
  const posted = await server.inject({
    method: 'POST',
    url: form![1]!.replaceAll('&amp;', '&'),
    headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ comment, event }).toString(),
  });
  return { page, thanks, posted };
}

describe('client and comment on survey events', () => {
  it('the link names the client; the thank-you form attaches a comment to the same event, without counting a click', async () => {
    const account = await snippetAccount();
    const url = `/s/${account.publicKey}?rating=9&ticket=T-1&respondent=pat%40customer.test&agent_email=kim%40msp.test&client=${encodeURIComponent('Acme  Corp')}`;
    const { page, posted } = await clickThenComment(url, '  Quick and kind.\r\nThanks!  ');
    // The link's page carries the comment form hidden: its script shows it once the rating is recorded.
    expect(page.body).toMatch(/<form id="comment-form" method="post" action="[^"]+" hidden>/);
    expect(posted.statusCode, posted.body).toBe(200);
    expect(posted.body).toContain('your comment was added');
    expect(await events(account.id)).toEqual([{ ticket: 'T-1', respondent: 'pat@customer.test', rating: 9, clicks: 1, client: 'Acme Corp', comment: 'Quick and kind.\nThanks!' }]);
    // The event JSON carries both.
    const token = (await t.app.tokens.create({ role: 'admin', accountId: account.id })).token;
    const listed = (await server.inject({ method: 'GET', url: `/api/v1/accounts/${account.id}/survey-events`, headers: { authorization: `Bearer ${token}` } })).json();
    expect(listed.events[0]).toMatchObject({ client: 'Acme Corp', comment: 'Quick and kind.\nThanks!' });
    // Sending the form empty later leaves the comment as it is.
    const empty = await server.inject({ method: 'POST', url, headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'comment=&event=' });
    expect(empty.statusCode).toBe(200);
    expect(await events(account.id)).toMatchObject([{ clicks: 1, comment: 'Quick and kind.\nThanks!' }]);
  });

  it('a link without a ticket: the form names the event the click recorded, so no second rating is made', async () => {
    const account = await snippetAccount();
    const { posted } = await clickThenComment(`/s/${account.publicKey}?rating=4&agent_email=kim%40msp.test`, 'Slow reply');
    expect(posted.statusCode, posted.body).toBe(200);
    const rows = await events(account.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rating: 4, clicks: 1, comment: 'Slow reply' });
  });

  it('with scripts: the recording answers the event id the comment form then names', async () => {
    const account = await snippetAccount();
    const url = `/s/${account.publicKey}?rating=10&agent_email=kim%40msp.test`;
    const recorded = await server.inject({ method: 'POST', url, headers: { ...BROWSER, accept: 'application/json' } });
    expect(recorded.statusCode).toBe(200);
    const { eventId } = recorded.json();
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    const posted = await server.inject({ method: 'POST', url, headers: { ...BROWSER, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, payload: `comment=Great&event=${eventId}` });
    expect(posted.json()).toMatchObject({ recorded: true, eventId });
    expect(await events(account.id)).toMatchObject([{ rating: 10, comment: 'Great' }]);
  });

  it('the API takes client and comment, up to their limits (counted in characters)', async () => {
    const account = await snippetAccount();
    const comment = '😀'.repeat(2000);
    const res = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: { accountKey: account.publicKey, rating: 8, ticket: 'A-1', agentEmail: 'kim@msp.test', client: 'C'.repeat(200), comment } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().events[0]).toMatchObject({ client: 'C'.repeat(200), comment });
  });

  it('an oversized client or comment is refused naming the field, and nothing is stored', async () => {
    const account = await snippetAccount();
    const before = await count();
    const link = await server.inject({ method: 'GET', url: `/s/${account.publicKey}?rating=5&agent_email=kim%40msp.test&client=${'x'.repeat(201)}` });
    expect(link.statusCode).toBe(400);
    expect(link.body).toContain('client is longer than 200 characters');
    const linkPost = await server.inject({ method: 'POST', url: `/s/${account.publicKey}?rating=5&agent_email=kim%40msp.test&client=${'x'.repeat(201)}`, headers: { ...BROWSER, accept: 'application/json' } });
    expect(linkPost.statusCode).toBe(400);
    const api = await server.inject({
      method: 'POST',
      url: '/api/v1/survey-events',
      payload: [
        { accountKey: account.publicKey, rating: 8, ticket: 'B-1', agentEmail: 'kim@msp.test' },
        { accountKey: account.publicKey, rating: 8, ticket: 'B-2', agentEmail: 'kim@msp.test', comment: 'y'.repeat(2001) },
      ],
    });
    expect(api.statusCode).toBe(400);
    expect(api.json().error.message).toBe('event 1: survey event rejected: comment is longer than 2000 characters');
    const apiClient = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: { accountKey: account.publicKey, rating: 8, agentEmail: 'kim@msp.test', client: 'z'.repeat(201) } });
    expect(apiClient.json().error.message).toContain('client is longer than 200 characters');
    expect(await count()).toBe(before);
    // The comment form: refused before anything is stored, even the rating.
    const form = await server.inject({ method: 'POST', url: `/s/${account.publicKey}?rating=5&ticket=F-1&agent_email=kim%40msp.test`, headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' }, payload: `comment=${'w'.repeat(2001)}` });
    expect(form.statusCode).toBe(400);
    expect(form.body).toContain('comment is longer than 2000 characters');
    expect(await count()).toBe(before);
  });

  it('a comment is escaped wherever it is shown: the thank-you page, the console survey page and the member page', async () => {
    const account = await snippetAccount();
    const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    const { posted } = await clickThenComment(`/s/${account.publicKey}?rating=2&ticket=E-1&agent_email=kim%40msp.test&client=${encodeURIComponent('<b>Evil Co</b>')}`, evil);
    expect(posted.statusCode).toBe(200);
    expect(posted.body).not.toContain('<script>alert');
    expect(posted.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    const [member] = await t.app.members.list(account.id);
    const admin = await signIn(t.app, server, { accountId: account.id, memberId: member!.id, role: 'admin' });
    for (const url of [`/accounts/${account.id}/survey`, `/accounts/${account.id}/members/${member!.id}`]) {
      const page = await server.inject({ method: 'GET', url, headers: { cookie: admin.cookie } });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).not.toContain('<script>alert');
      expect(page.body, url).not.toContain('<img src=x');
      expect(page.body, url).not.toContain('<b>Evil Co</b>');
      expect(page.body, url).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(page.body, url).toContain('&lt;b&gt;Evil Co&lt;/b&gt;');
    }
  });

  it('a signed link covers the client: changing it is refused; links without a client sign as before', async () => {
    const account = await snippetAccount();
    const record = await getAccount(t.app.orm.em.fork(), account.id);
    const secret = new SecretBox(TEST_SECRET_KEY).open(record!.surveySecretSealed!);
    const values = { accountKey: account.publicKey, rating: 9, ticket: 'S-1', respondent: '', agentId: null, agentIdentifier: null, agentEmail: 'kim@msp.test', agentName: null };
    const withClient = signLink(secret, { ...values, client: 'Acme' });
    const base = `/s/${account.publicKey}?rating=9&ticket=S-1&agent_email=kim%40msp.test`;
    expect((await server.inject({ method: 'GET', url: `${base}&client=Acme&sig=${withClient}` })).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url: `${base}&client=Globex&sig=${withClient}` })).statusCode).toBe(403);
    expect((await server.inject({ method: 'GET', url: `${base}&sig=${withClient}` })).statusCode).toBe(403);
    expect((await server.inject({ method: 'GET', url: `${base}&sig=${signLink(secret, values)}` })).statusCode).toBe(200);
  });
});
