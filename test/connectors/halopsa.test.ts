import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHaloConnector } from '../../connectors/halopsa/index.js';
import { parseHaloDate } from '../../connectors/halopsa/mapper.js';
import { InputError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { HALO_CREDENTIALS, HaloFake, haloAgent, haloRoster } from '../fakes/halo-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { FAST_POLICY } from '../helpers/app.js';
import { failure, readAll as readRoster } from '../helpers/roster.js';

const server = setupServer();
const haloConnector = createHaloConnector();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

let siteNo = 0;
/** Each test gets its own Halo host, so cached tokens never cross tests. */
function use(fake: HaloFake): string {
  const site = `https://halo${++siteNo}.halopsa.test`;
  server.use(...fakeHandlers(site, fake));
  return site;
}

function reader(site: string, overrides: Record<string, unknown> = {}, policy = FAST_POLICY) {
  const settings = haloConnector.parseSettings({ baseUrl: site, ...HALO_CREDENTIALS, ...overrides });
  return haloConnector.createReader(settings, { logger: createLogger('silent'), policy });
}

const readAll = readRoster;


describe('HaloPSA connector', () => {
  it('fetches a client-credentials token (form body, scope=all) and sends it as a bearer token', async () => {
    const fake = new HaloFake(haloRoster(3));
    const site = use(fake);
    const pages = await readAll(reader(site));
    expect(fake.tokenRequests).toBe(1);
    const names = pages.flatMap((p) => p.members.map((m) => m.name));
    expect(names).toEqual(['Agent 2', 'Agent 3', 'Agent 4', 'Dora Disabled', 'Nell No-Email']);
    const dora = pages.flatMap((p) => p.members).find((m) => m.externalId === '900')!;
    expect(dora.active).toBe(false);
    expect(pages.flatMap((p) => p.members).find((m) => m.externalId === '902')!.email).toBeNull();
  });

  it('sends the tenant on the token request for Halo-hosted instances, to the auth URL when given', async () => {
    const fake = new HaloFake(haloRoster(1));
    fake.tenant = 'acme';
    const site = use(fake);
    expect((await readAll(reader(site, { tenant: 'acme', authUrl: `${site}/auth` }))).flatMap((p) => p.members)).toHaveLength(3);
    const wrong = new HaloFake(haloRoster(1));
    wrong.tenant = 'acme';
    const other = use(wrong);
    const err = await failure(readAll(reader(other, { tenant: 'globex' })));
    expect(err.kind).toBe('auth');
  });

  it('reuses a cached token until shortly before it expires, then fetches a new one', async () => {
    const fake = new HaloFake(haloRoster(2));
    fake.expiresIn = 2; // renewed halfway through such a short lifetime
    const site = use(fake);
    await readAll(reader(site));
    await readAll(reader(site));
    expect(fake.tokenRequests).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    await readAll(reader(site));
    expect(fake.tokenRequests).toBe(2);
  });

  it('refreshes the token once on a 401 and retries the call', async () => {
    const fake = new HaloFake(haloRoster(2));
    const site = use(fake);
    await readAll(reader(site));
    fake.revokeTokens();
    const pages = await readAll(reader(site));
    expect(pages.flatMap((p) => p.members)).toHaveLength(4);
    expect(fake.tokenRequests).toBe(2);
  });

  it('fails as auth, without the secret, when a fresh token is refused too', async () => {
    const fake = new HaloFake(haloRoster(2));
    const site = use(fake);
    fake.intercept((req) => (req.url.pathname === '/api/Agent' ? { status: 401, body: '' } : undefined));
    const err = await failure(readAll(reader(site)));
    expect(err.kind).toBe('auth');
    expect(fake.tokenRequests).toBe(2);
  });

  it('serialises concurrent token fetches into one request', async () => {
    const fake = new HaloFake(haloRoster(2));
    const site = use(fake);
    await Promise.all(Array.from({ length: 5 }, () => readAll(reader(site))));
    expect(fake.tokenRequests).toBe(1);
  });

  it('refused client credentials are an auth failure naming the OAuth error, never the secret', async () => {
    const fake = new HaloFake(haloRoster(2));
    const site = use(fake);
    const err = await failure(readAll(reader(site, { clientSecret: 'wrong-secret' })));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('invalid_client');
    expect(err.message).not.toContain('wrong-secret');
  });

  it('reads the bare-array shape, skipping Unassigned (id 1) and API agents', async () => {
    const fake = new HaloFake(haloRoster(3));
    fake.shape = 'array';
    const site = use(fake);
    const pages = await readAll(reader(site));
    expect(pages).toHaveLength(1);
    expect(pages[0]!.members.map((m) => m.externalId)).toEqual(['2', '3', '4', '900', '902']);
    expect(pages[0]!.skipped.map((s) => [s.externalId, s.reason])).toEqual([
      ['1', 'unassigned_agent'],
      ['901', 'api_member'],
    ]);
  });

  it('pages the {results} shape 100 at a time and stops when Halo repeats the last page', async () => {
    const fake = new HaloFake(Array.from({ length: 200 }, (_, i) => haloAgent(i + 2)));
    const site = use(fake);
    const r = reader(site);
    const pages = await readAll(r);
    expect(pages.map((p) => p.members.length)).toEqual([100, 100]);
    expect(new Set(pages.flatMap((p) => p.members.map((m) => m.externalId))).size).toBe(200);
    expect(fake.agentRequests).toBe(3); // page 3 was page 2 again
    expect(await r.expectedCount()).toBe(200);
  });

  it('stops on a short page', async () => {
    const fake = new HaloFake(Array.from({ length: 150 }, (_, i) => haloAgent(i + 2)));
    const site = use(fake);
    expect((await readAll(reader(site))).map((p) => p.members.length)).toEqual([100, 50]);
    expect(fake.agentRequests).toBe(2);
  });

  it('waits out a 429 with Retry-After, and a 429 without it, then succeeds', async () => {
    for (const headers of [{ 'retry-after': '1' }, {}] as Record<string, string>[]) {
      const fake = new HaloFake(haloRoster(2));
      const site = use(fake);
      let sent = false;
      fake.intercept((req) => {
        if (req.url.pathname !== '/api/Agent' || sent) return undefined;
        sent = true;
        return { status: 429, headers, body: 'Rate Limit Reached - 300 Requests per rolling 5 minute window' };
      });
      const started = Date.now();
      const pages = await readAll(reader(site, {}, { ...FAST_POLICY, rateLimitBackoffMs: 400, rateLimitBackoffMaxMs: 400 }));
      expect(pages.flatMap((p) => p.members)).toHaveLength(4);
      expect(Date.now() - started).toBeGreaterThanOrEqual(headers['retry-after'] ? 950 : 190);
    }
  });

  it.each([
    ['a bare JSON string', '"Agent list unavailable"', 'Agent list unavailable'],
    ['an OAuth-style error', '{"error":"server_error","error_description":"database offline"}', 'server_error: database offline'],
    ['a .NET exception', '{"ClassName":"System.Exception","Message":"Object reference not set"}', 'Object reference not set'],
    ['a one-key validation body', '{"[0].id":"must be a number"}', '[0].id: must be a number'],
  ])('maps %s error body into the run error', async (_label, body, expected) => {
    const fake = new HaloFake(haloRoster(1));
    const site = use(fake);
    fake.intercept((req) => (req.url.pathname === '/api/Agent' ? { status: 400, headers: { 'content-type': 'application/json' }, body } : undefined));
    const err = await failure(readAll(reader(site)));
    expect(err.kind).toBe('remote_error');
    expect(err.message).toContain(expected);
  });

  it('persistent 5xx fails as remote_error after retries; malformed JSON as bad_response', async () => {
    const fake = new HaloFake(haloRoster(1));
    const site = use(fake);
    fake.intercept((req) => (req.url.pathname === '/api/Agent' ? { status: 503, body: 'busy' } : undefined));
    expect((await failure(readAll(reader(site)))).kind).toBe('remote_error');
    const bad = new HaloFake(haloRoster(1));
    const site2 = use(bad);
    bad.intercept((req) => (req.url.pathname === '/api/Agent' ? { status: 200, headers: { 'content-type': 'application/json' }, body: '[{"id": 2,' } : undefined));
    expect((await failure(readAll(reader(site2)))).kind).toBe('bad_response');
  });

  it('reads naive Halo dates as UTC and 1900 dates as empty', () => {
    expect(parseHaloDate('2026-02-10T00:00:00')?.toISOString()).toBe('2026-02-10T00:00:00.000Z');
    expect(parseHaloDate('2026-02-10T08:30:00Z')?.toISOString()).toBe('2026-02-10T08:30:00.000Z');
    expect(parseHaloDate('1900-01-01T00:00:00')).toBeNull();
    expect(parseHaloDate(null)).toBeNull();
  });

  it('validates settings, naming fields and never echoing secrets', () => {
    expect(() => haloConnector.parseSettings({ baseUrl: 'not a url', clientId: 'x', clientSecret: 'SECRET-123' })).toThrow(InputError);
    try {
      haloConnector.parseSettings({ baseUrl: 'not a url', clientId: 'x', clientSecret: 'SECRET-123' });
    } catch (err) {
      expect((err as Error).message).toContain('baseUrl');
      expect((err as Error).message).not.toContain('SECRET-123');
    }
    expect(haloConnector.publicSettings(haloConnector.parseSettings({ baseUrl: 'https://a.halopsa.com/', ...HALO_CREDENTIALS }))).toEqual({ baseUrl: 'https://a.halopsa.com', clientId: HALO_CREDENTIALS.clientId });
  });
});
