import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, memoryLogger, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/** Issue 9, items 8 and 11: scanners record nothing; batches, limits, proxies and logs. */
let t: TestApp;
let server: FastifyInstance;
let n = 0;
const PERSON = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36';
const SCANNER = 'Mozilla/5.0 (compatible; Mimecast URL Protect)';

beforeAll(async () => {
  t = await createTestApp();
  server = await buildServer(t.app); // the default limits
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const snippetAccount = () => t.app.accounts.add({ name: `Intake ${++n}`, integration: 'snippet', settings: {} });
const events = async (accountId: string) => query(t.url, 'select ticket, rating, clicks from survey_event where account_id = $1 order by ticket', [accountId]);
const faces = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => new URL(m[1]!.replaceAll('&amp;', '&')));

describe('mail scanners record nothing (item 11)', () => {
  it('a scanner fetching every face of a snippet records nothing; the face a person then clicks is recorded once', async () => {
    const account = await snippetAccount();
    const { html } = await t.app.survey.snippet(account.id, 'http://reviews.test');
    const links = faces(html).map((u) => {
      const filled = `${u.pathname}${u.search}`.replace('{{ticket_number}}', '4711').replace('{{agent_id}}', 'G7').replace('{{agent_email}}', 'grace%40acme.test').replace('{{agent_name}}', 'Grace');
      return filled;
    });
    expect(links).toHaveLength(3);

    // What Safe Links, Mimecast and the like do: fetch every link, with GET and HEAD, some following forms.
    for (const url of links) {
      expect((await server.inject({ method: 'GET', url, headers: { 'user-agent': SCANNER } })).statusCode).toBe(200);
      expect((await server.inject({ method: 'HEAD', url, headers: { 'user-agent': SCANNER } })).statusCode).toBe(200);
      expect((await server.inject({ method: 'GET', url, headers: { 'user-agent': PERSON, 'sec-purpose': 'prefetch' } })).statusCode).toBe(200);
      const posted = await server.inject({ method: 'POST', url, headers: { 'user-agent': SCANNER, accept: 'application/json' } });
      expect(posted.statusCode).toBe(202);
      expect(posted.json()).toMatchObject({ recorded: false });
    }
    expect(await events(account.id)).toEqual([]);
    expect(await t.app.members.list(account.id, 'all')).toEqual([]);

    // A person clicks "OK": the page loads, its script posts the confirmation.
    const ok = links.find((l) => l.includes('rating=5'))!;
    const page = await server.inject({ method: 'GET', url: ok, headers: { 'user-agent': PERSON } });
    expect(page.body).toContain('<script src="/s/assets/record.js" defer></script>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    // The script's POST goes to the page's own origin; without connect-src it would be blocked (default-src 'none').
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    const recorded = await server.inject({ method: 'POST', url: ok, headers: { 'user-agent': PERSON, accept: 'application/json' } });
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json()).toMatchObject({ recorded: true, message: expect.stringContaining('was recorded') });
    expect(await events(account.id)).toEqual([{ ticket: '4711', rating: 5, clicks: 1 }]);
  });

  it('the page works without scripts: its button posts the same confirmation as a form', async () => {
    const account = await snippetAccount();
    const url = `/s/${account.publicKey}?rating=10&ticket=88&agent_email=ann%40acme.test`;
    const page = await server.inject({ method: 'GET', url, headers: { 'user-agent': PERSON } });
    const action = /<form id="rating-form" method="post" action="([^"]+)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
    expect(page.body).toContain('<button type="submit">Record my rating</button>');
    const res = await server.inject({ method: 'POST', url: action, headers: { 'user-agent': PERSON, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('was recorded');
    expect(await events(account.id)).toEqual([{ ticket: '88', rating: 10, clicks: 1 }]);
  });

  it('serves the script and stylesheet the page loads from its own origin', async () => {
    const js = await server.inject({ method: 'GET', url: '/s/assets/record.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.body).toContain("method: 'POST'");
    expect((await server.inject({ method: 'GET', url: '/s/assets/survey.css' })).headers['content-type']).toContain('text/css');
  });
});

describe('survey intake (item 8)', () => {
  it('a signed link replayed with another rating or ticket is refused and stores nothing', async () => {
    const account = await t.app.accounts.add({ name: `Signed ${++n}`, integration: 'snippet', settings: { requireSignedLinks: true } });
    const { html } = await t.app.survey.snippet(account.id, 'http://reviews.test', { email: 'lee@acme.test', name: 'Lee' });
    const great = faces(html).find((u) => u.searchParams.get('rating') === '10')!;
    for (const [key, value] of [['rating', '0'], ['ticket', '99'], ['respondent', 'x@y.test']] as const) {
      const replay = new URL(great);
      replay.searchParams.set(key, value);
      const res = await server.inject({ method: 'POST', url: `${replay.pathname}${replay.search}`, headers: { 'user-agent': PERSON, accept: 'application/json' } });
      expect(res.statusCode, key).toBe(403);
    }
    expect(await events(account.id)).toEqual([]);
    const res = await server.inject({ method: 'POST', url: `${great.pathname}${great.search}`, headers: { 'user-agent': PERSON, accept: 'application/json' } });
    expect(res.statusCode).toBe(200);
  });

  it('a batch of 100 events from one address is accepted under the default limits', async () => {
    const account = await snippetAccount();
    const batch = Array.from({ length: 100 }, (_, i) => ({ accountKey: account.publicKey, rating: i % 11, ticket: `T${i}`, agentEmail: `agent${i % 3}@acme.test` }));
    const res = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: { events: batch }, remoteAddress: '10.9.9.9' });
    expect(res.statusCode, res.body).toBe(201);
    expect(await events(account.id)).toHaveLength(100);
  });

  it('stores a batch all or nothing: a failure on its third event leaves the first two unstored', async () => {
    const account = await snippetAccount();
    await query(t.url, `create function refuse_poison_ticket() returns trigger language plpgsql as $$ begin if new.ticket = 'poison' then raise exception 'refused'; end if; return new; end $$`);
    await query(t.url, 'create trigger refuse_poison_ticket before insert on survey_event for each row execute function refuse_poison_ticket()');
    try {
      const batch = ['one', 'two', 'poison'].map((ticket) => ({ accountKey: account.publicKey, rating: 7, ticket, agentEmail: 'ann@acme.test' }));
      const res = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: batch });
      expect(res.statusCode).toBe(500);
      expect(await events(account.id)).toEqual([]);
      expect(await t.app.members.list(account.id, 'all')).toEqual([]);
    } finally {
      await query(t.url, 'drop trigger refuse_poison_ticket on survey_event');
    }
  });

  it('behind a trusted proxy each client has its own rate-limit bucket; untrusted, X-Forwarded-For is ignored', async () => {
    const account = await snippetAccount();
    const post = (via: FastifyInstance, client: string, ticket: string) =>
      via.inject({ method: 'POST', url: `/s/${account.publicKey}?rating=5&ticket=${ticket}&agent_email=p%40acme.test`, remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': client, 'user-agent': PERSON, accept: 'application/json' } });
    const trusting = await buildServer({ ...t.app, env: { ...t.app.env, trustProxy: true } } as App, { surveyLimits: { perIpPerMinute: 1 } });
    const plain = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 1 } });
    try {
      expect((await post(trusting, '203.0.113.1', 'p1')).statusCode).toBe(200);
      expect((await post(trusting, '203.0.113.2', 'p2')).statusCode).toBe(200);
      expect((await post(trusting, '203.0.113.1', 'p3')).statusCode).toBe(429);
      expect((await post(plain, '203.0.113.3', 'p4')).statusCode).toBe(200);
      expect((await post(plain, '203.0.113.4', 'p5')).statusCode).toBe(429); // one bucket: the proxy's address
    } finally {
      await trusting.close();
      await plain.close();
    }
  });

  it('request logs never hold the emails of a survey link (or any query string)', async () => {
    const log = memoryLogger('info');
    const logged = await buildServer({ ...t.app, logger: log.logger } as App);
    try {
      const account = await snippetAccount();
      const url = `/s/${account.publicKey}?rating=9&ticket=5&respondent=customer%40client.test&agent_email=grace%40acme.test`;
      await logged.inject({ method: 'GET', url, headers: { 'user-agent': PERSON } });
      await logged.inject({ method: 'POST', url, headers: { 'user-agent': PERSON } });
      const lines = log.lines();
      expect(lines.filter((l) => l.msg === 'request').map((l) => [l.method, l.path, l.status])).toEqual([
        ['GET', `/s/${account.publicKey}`, 200],
        ['POST', `/s/${account.publicKey}`, 200],
      ]);
      const text = JSON.stringify(lines);
      expect(text).not.toContain('customer');
      expect(text).not.toContain('grace');
    } finally {
      await logged.close();
    }
  });
});
