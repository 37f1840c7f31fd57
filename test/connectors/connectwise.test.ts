import { setupServer } from 'msw/node';
import { http, HttpResponse } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectWiseReader } from '../../connectors/connectwise/client.js';
import { connectWiseConnector } from '../../connectors/connectwise/index.js';
import { createLogger } from '../../src/core/logger.js';
import { ConnectWiseFake, cwMember, cwMembers, FAKE_CREDENTIALS } from '../fakes/connectwise-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { FAST_POLICY } from '../helpers/app.js';
import { failure, readAll as readRoster } from '../helpers/roster.js';

const SITE = 'https://api-na.myconnectwise.test';
let fake = new ConnectWiseFake();
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function use(f: ConnectWiseFake) {
  fake = f;
  server.use(...fakeHandlers(SITE, f));
}

function reader(overrides: Record<string, unknown> = {}, policy = FAST_POLICY) {
  const settings = connectWiseConnector.parseSettings({ site: SITE, ...FAKE_CREDENTIALS, codebase: 'v2025_1/', ...overrides });
  return connectWiseConnector.createReader(settings, { logger: createLogger('silent'), policy });
}

const readAll = (r = reader()) => readRoster(r);


const memberCalls = () => fake.requests.filter((r) => r.path.endsWith('/system/members'));

describe('ConnectWise connector', () => {
  it('pages forward-only with pageSize 1000 and pageId = last id, stopping on a short page', async () => {
    use(new ConnectWiseFake(cwMembers(2500)));
    const pages = await readAll();
    expect(pages.map((p) => p.members.length)).toEqual([1000, 1000, 500]);
    const calls = memberCalls();
    expect(calls.map((c) => c.query.pageId)).toEqual([undefined, '1000', '2000']);
    expect(calls.every((c) => c.query.pageSize === '1000' && c.headers['pagination-type'] === 'forward-only')).toBe(true);
    expect(calls.every((c) => c.query.page === undefined)).toBe(true);
  });

  it('stops on an empty page when the roster is an exact multiple of the page size', async () => {
    use(new ConnectWiseFake(cwMembers(2000)));
    const pages = await readAll();
    expect(pages.flatMap((p) => p.members)).toHaveLength(2000);
    expect(memberCalls()).toHaveLength(3);
  });

  it('sends Basic companyId+publicKey:privateKey, clientId and a versioned Accept header', async () => {
    use(new ConnectWiseFake(cwMembers(3)));
    const seen: Headers[] = [];
    server.events.on('request:start', ({ request }) => void seen.push(request.headers));
    await readAll();
    server.events.removeAllListeners();
    const h = seen.at(-1)!;
    expect(h.get('authorization')).toBe(`Basic ${Buffer.from('acme+pubKEY123:privSECRETkey987').toString('base64')}`);
    expect(h.get('clientid')).toBe(FAKE_CREDENTIALS.clientId);
    expect(h.get('accept')).toBe('application/vnd.connectwise.com+json; version=2025.16');
  });

  it('discovers the codebase via /login/companyinfo when none is configured', async () => {
    const f = new ConnectWiseFake(cwMembers(2));
    f.codebase = 'v2025_7/';
    use(f);
    const pages = await readAll(reader({ codebase: undefined }));
    expect(pages[0]!.members).toHaveLength(2);
    expect(f.requests[0]!.path).toBe('/login/companyinfo/acme');
    expect(f.requests[0]!.headers.clientid).toBeUndefined();
    expect(f.requests[1]!.path).toBe('/v2025_7/apis/3.0/system/members');
  });

  it('fails as config when companyinfo answers null for an unknown company', async () => {
    use(new ConnectWiseFake(cwMembers(2), { ...FAKE_CREDENTIALS, companyId: 'other' }));
    const err = await failure(readAll(reader({ codebase: undefined })));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('company id "acme"');
  });

  it('waits out a 429 with Retry-After, then succeeds', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    let limited = false;
    f.intercept((req) => {
      if (limited || !req.url.pathname.endsWith('/system/members')) return undefined;
      limited = true;
      return { status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: '{"error":"ConnectWiseAPI","message":"Too many requests. Please try again in 1 seconds."}' };
    });
    use(f);
    const started = Date.now();
    const pages = await readAll();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(pages[0]!.members).toHaveLength(5);
    expect(memberCalls()).toHaveLength(2);
  });

  it('fails as rate_limited when 429s outlast the wait budget', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    f.intercept(() => ({ status: 429, headers: { 'retry-after': '1' }, body: '{"error":"ConnectWiseAPI","message":"Too many requests."}' }));
    use(f);
    const err = await failure(readAll(reader({}, { ...FAST_POLICY, rateLimitBudgetMs: 1_500 })));
    expect(err.kind).toBe('rate_limited');
    expect(memberCalls()).toHaveLength(2);
  });

  it.each([
    ['Retry-After: 0', { 'retry-after': '0' }],
    ['Retry-After: a date in the past', { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }],
    ['no Retry-After at all', {}],
  ] as [string, Record<string, string>][])('backs off exponentially on 429s with %s, and fails as rate_limited within the budget', async (_label, headers) => {
    const f = new ConnectWiseFake(cwMembers(5));
    f.intercept(() => ({ status: 429, headers, body: '{"error":"ConnectWiseAPI","message":"Too many requests."}' }));
    use(f);
    const policy = { ...FAST_POLICY, rateLimitBackoffMs: 40, rateLimitBackoffMaxMs: 320, rateLimitBudgetMs: 1_500 };
    const started = Date.now();
    const err = await failure(readAll(reader({}, policy)));
    const elapsed = Date.now() - started;
    expect(err.kind).toBe('rate_limited');
    // Waits of 20–40, 40–80, 80–160, 160–320, then 160–320 each until 1.5 s are used: a handful of requests, never a flood.
    expect(memberCalls().length).toBeGreaterThanOrEqual(5);
    expect(memberCalls().length).toBeLessThanOrEqual(16);
    expect(elapsed).toBeLessThan(1_500 + 1_000);
  });

  it('fails at once when a Retry-After alone exceeds the throttle budget', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    f.intercept(() => ({ status: 429, headers: { 'retry-after': '3600' }, body: '{"message":"Too many requests."}' }));
    use(f);
    const started = Date.now();
    const err = await failure(readAll(reader({}, { ...FAST_POLICY, rateLimitBudgetMs: 180_000 })));
    expect(err.kind).toBe('rate_limited');
    expect(err.message).toContain('asked for 3600 s');
    expect(memberCalls()).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops a read that never ends (full pages forever) as bad_response', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    let next = 1;
    f.intercept((req) => {
      if (!req.url.pathname.endsWith('/system/members')) return undefined;
      const page = Array.from({ length: 1000 }, () => ({ id: next++, identifier: `u${next}`, firstName: 'A', lastName: 'B', officeEmail: null, inactiveFlag: false, licenseClass: 'F' }));
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(page) };
    });
    use(f);
    const settings = connectWiseConnector.parseSettings({ site: SITE, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' });
    const err = await failure(readAll(new ConnectWiseReader(settings, { logger: createLogger('silent'), policy: FAST_POLICY }, 3)));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toContain('past page 3');
    expect(memberCalls()).toHaveLength(3);
  });

  it('retries a 500 with backoff, then fails as remote_error when it persists', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    f.intercept(() => ({ status: 500, body: '{"code":"ConnectWiseApi","message":"A timeout has occured. Please try again."}' }));
    use(f);
    const err = await failure(readAll());
    expect(err.kind).toBe('remote_error');
    expect(err.message).toContain('500');
    expect(memberCalls()).toHaveLength(FAST_POLICY.retries + 1);
  });

  it('recovers from a transient 502 and a network fault', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    let n = 0;
    f.intercept(() => (n++ === 0 ? { status: 502, body: 'Bad Gateway' } : undefined));
    use(f);
    let dropped = false;
    server.use(
      http.get(`${SITE}/v2025_1/apis/3.0/system/members`, () => {
        if (dropped) return undefined;
        dropped = true;
        return HttpResponse.error();
      }),
    );
    const pages = await readAll();
    expect(pages[0]!.members).toHaveLength(5);
  });

  it('fails as network after retries when the PSA cannot be reached', async () => {
    use(new ConnectWiseFake());
    server.use(http.all(`${SITE}/*`, () => HttpResponse.error()));
    const err = await failure(readAll());
    expect(err.kind).toBe('network');
  });

  it('classifies 401 as auth without retrying', async () => {
    use(new ConnectWiseFake(cwMembers(5), { ...FAKE_CREDENTIALS, privateKey: 'another' }));
    const err = await failure(readAll());
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('401');
    expect(memberCalls()).toHaveLength(1);
  });

  it('classifies a cloud-style 404 for bad keys as auth', async () => {
    const f = new ConnectWiseFake(cwMembers(5), { ...FAKE_CREDENTIALS, publicKey: 'another' });
    f.cloudStyleAuthErrors = true;
    use(f);
    const err = await failure(readAll());
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('404');
  });

  it('does not retry other 4xx', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    f.intercept(() => ({ status: 400, body: '{"code":"InvalidObject","message":"conditions are invalid"}' }));
    use(f);
    const err = await failure(readAll());
    expect(err.kind).toBe('remote_error');
    expect(err.message).toContain('conditions are invalid');
    expect(memberCalls()).toHaveLength(1);
  });

  it('classifies malformed JSON as bad_response', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    f.intercept(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '[{"id":1,"identifier":' }));
    use(f);
    const err = await failure(readAll());
    expect(err.kind).toBe('bad_response');
  });

  it('classifies a page of non-members as bad_response', async () => {
    const f = new ConnectWiseFake(cwMembers(5));
    f.intercept(() => ({ status: 200, body: '{"members":[]}' }));
    use(f);
    expect((await failure(readAll())).kind).toBe('bad_response');
  });

  it('refuses a page that does not advance past pageId', async () => {
    const f = new ConnectWiseFake(cwMembers(1500));
    f.intercept((req) => (req.url.searchParams.get('pageId') ? { status: 200, body: JSON.stringify(cwMembers(1000)) } : undefined));
    use(f);
    const err = await failure(readAll());
    expect(err.kind).toBe('bad_response');
    expect(err.message).toContain('repeated');
  });

  it('skips API members, maps names and keeps a null email null', async () => {
    use(
      new ConnectWiseFake([
        cwMember(1, { identifier: 'jdoe', firstName: 'Jane', lastName: 'Doe', officeEmail: 'jane@acme.test' }),
        cwMember(2, { identifier: 'apiuser', licenseClass: 'A' }),
        cwMember(3, { identifier: 'nomail', firstName: 'No', lastName: null, officeEmail: null }),
        cwMember(4, { identifier: 'gone', inactiveFlag: true }),
      ]),
    );
    const [page] = await readAll();
    expect(page!.members.map(({ profile: _p, scopeKeys: _s, ...base }) => base)).toEqual([
      { externalId: '1', identifier: 'jdoe', name: 'Jane Doe', email: 'jane@acme.test', active: true },
      { externalId: '3', identifier: 'nomail', name: 'No', email: null, active: true },
      { externalId: '4', identifier: 'gone', name: 'First4 Last4', email: 'user4@acme.test', active: false },
    ]);
    expect(page!.skipped).toEqual([{ externalId: '2', identifier: 'apiuser', name: 'First2 Last2', reason: 'api_member' }]);
  });

  it('reads the expected count from /system/members/count', async () => {
    const f = new ConnectWiseFake(cwMembers(7));
    f.countOverride = 9;
    use(f);
    expect(await reader().expectedCount()).toBe(9);
  });

  it('never puts keys in errors, messages or their causes', async () => {
    use(new ConnectWiseFake(cwMembers(5), { ...FAKE_CREDENTIALS, privateKey: 'another' }));
    const err = await failure(readAll());
    const dump = JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err.stack) + JSON.stringify(err.cause, Object.getOwnPropertyNames(err.cause ?? {}));
    const basic = Buffer.from('acme+pubKEY123:privSECRETkey987').toString('base64');
    for (const secret of ['privSECRETkey987', 'pubKEY123', basic]) expect(dump).not.toContain(secret);
  });

  it('rejects settings that are incomplete, naming fields but not secret values', () => {
    let message = '';
    try {
      connectWiseConnector.parseSettings({ site: 'not a url', companyId: 'acme', publicKey: 'pk', privateKey: '', clientId: 'c', extra: 'x' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('site');
    expect(message).toContain('privateKey is required');
    expect(message).toContain('extra');
    expect(message).not.toContain('pk');
  });
});
