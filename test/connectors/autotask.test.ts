import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAutotaskConnector, DEFAULT_DISCOVERY_URL } from '../../connectors/autotask/index.js';
import type { Connector, RosterPage } from '../../src/connector/contract.js';
import type { HttpPolicy } from '../../src/connector/http.js';
import { createLogger } from '../../src/core/logger.js';
import { AT_CREDENTIALS, atResource, atResources, atRoster, AutotaskFake, THREAD_THRESHOLD_MESSAGE } from '../fakes/autotask-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { FAST_POLICY, memoryLogger, recordWait } from '../helpers/app.js';
import { failure, readAll } from '../helpers/roster.js';
import type { AutotaskSettings } from '../../connectors/autotask/types.js';

const ORIGIN = 'https://webservices.autotask.test';
const DISCOVERY = `${ORIGIN}/atservicesrest/`;
const server = setupServer();
let fake: AutotaskFake;
let connector: Connector<AutotaskSettings>;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
beforeEach(() => {
  connector = createAutotaskConnector();
  use(new AutotaskFake(atRoster(5)));
});

function use(f: AutotaskFake) {
  fake = f;
  server.resetHandlers();
  server.use(...fakeHandlers(ORIGIN, f));
}

const settings = (overrides: Record<string, unknown> = {}) => connector.parseSettings({ ...AT_CREDENTIALS, discoveryUrl: DISCOVERY, ...overrides });
const reader = (overrides: Record<string, unknown> = {}, policy: HttpPolicy = FAST_POLICY, logger = createLogger('silent')) => connector.createReader(settings(overrides), { logger, policy });
const members = (pages: RosterPage[]) => pages.flatMap((p) => p.members);
const zoneLookups = () => fake.requests.filter((r) => r.path.endsWith('/zoneInformation'));
const resourceQueries = () => fake.calls('Resources/query');
/** A complete read, as the engine does it: every page, then the count. */
async function read(r = reader()) {
  const pages = await readAll(r);
  return { pages, count: await r.expectedCount() };
}

describe('Autotask connector: zone and auth', () => {
  it('discovers the zone once per account and sends the three auth headers on every call', async () => {
    await read();
    await read();
    expect(zoneLookups()).toHaveLength(1);
    expect(zoneLookups()[0]!.query).toEqual({ user: AT_CREDENTIALS.userName });
    const calls = fake.calls();
    expect(calls.length).toBeGreaterThan(4);
    for (const c of calls) {
      expect(c.path.startsWith('/atservicesrest/v1.0/')).toBe(true);
      expect(c.headers).toMatchObject({ apiintegrationcode: AT_CREDENTIALS.integrationCode, username: AT_CREDENTIALS.userName });
      expect(c.headers.authorization).toBeUndefined();
    }
    expect(calls.filter((c) => c.method === 'POST').every((c) => /application\/json/.test(c.headers['content-type'] ?? ''))).toBe(true);
  });

  it('uses a configured zoneUrl without discovery', async () => {
    const { pages } = await read(reader({ zoneUrl: `${ORIGIN}/atservicesrest` }));
    expect(members(pages)).toHaveLength(8);
    expect(zoneLookups()).toHaveLength(0);
  });

  it('discovers the zone again, once, when the cached zone stops answering after a tenant move', async () => {
    await read();
    fake.zonePath = '/zone7/atservicesrest/';
    const { pages } = await read();
    expect(members(pages)).toHaveLength(8);
    expect(zoneLookups()).toHaveLength(2);
    expect(fake.calls().at(-1)!.path.startsWith('/zone7/atservicesrest/v1.0/')).toBe(true);
  });

  it('a wrong secret (401) is an auth failure naming the secret, not retried', async () => {
    fake.credentials.secret = 'rotated-secret';
    const err = await failure(readAll(reader()));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/401.*check secret/);
    expect(fake.calls()).toHaveLength(1);
  });

  it.each([
    ['an unknown user name', { userName: 'nobody@acme.test' }],
    ['a wrong integration code', { integrationCode: 'WRONGCODE000000000000' }],
  ])('%s answers 500, an auth failure naming userName and integrationCode, and nothing else is asked', async (_label, overrides) => {
    const err = await failure(readAll(reader({ zoneUrl: `${ORIGIN}/atservicesrest/`, ...overrides })));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('check userName');
    expect(err.message).toContain('integrationCode');
    // The first request alone, with its retries: no lookups or pages went out beside it.
    expect(fake.calls().every((c) => c.path.endsWith('Resources/entityInformation/fields'))).toBe(true);
    expect(fake.calls()).toHaveLength(FAST_POLICY.retries + 1);
  });

  it('a configured zoneUrl that has no REST API (404) is a config failure naming zoneUrl', async () => {
    const err = await failure(readAll(reader({ zoneUrl: `${ORIGIN}/nowhere/` })));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('check zoneUrl');
    expect(fake.calls()).toHaveLength(1);
  });

  it('zone discovery for an unknown user (500) is a config failure naming userName', async () => {
    const err = await failure(readAll(reader({ userName: 'ghost@acme.test' })));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('"ghost@acme.test"');
    expect(err.message).toContain('check userName');
    expect(fake.calls()).toHaveLength(0);
  });

  it('never puts the secret or the integration code in errors, messages or causes', async () => {
    fake.intercept((req) => (req.url.pathname.endsWith('/fields') ? { status: 401, body: JSON.stringify({ errors: [`bad ${AT_CREDENTIALS.secret} ${AT_CREDENTIALS.integrationCode}`] }) } : undefined));
    const err = await failure(readAll(reader()));
    const dump = JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err.stack) + JSON.stringify(err.cause, Object.getOwnPropertyNames(err.cause ?? {}));
    for (const secret of [AT_CREDENTIALS.secret, AT_CREDENTIALS.integrationCode]) expect(dump).not.toContain(secret);
  });
});

describe('Autotask connector: reading Resources', () => {
  it('reads 1,200 resources in 3 pages walking by id, sorting each page itself, and counts them', async () => {
    use(new AutotaskFake(atResources(1200)));
    const { pages, count } = await read();
    expect(pages.map((p) => p.members.length)).toEqual([500, 500, 200]);
    expect(members(pages).map((m) => Number(m.externalId))).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(count).toBe(1200);
    const queries = resourceQueries().map((c) => c.body as { filter: { op: string; field: string; value: unknown }[]; IncludeFields: string[]; MaxRecords: number });
    expect(queries.map((q) => q.filter[0])).toEqual([
      { op: 'gt', field: 'id', value: -1 },
      { op: 'gt', field: 'id', value: 500 },
      { op: 'gt', field: 'id', value: 1000 },
    ]);
    expect(queries.every((q) => q.IncludeFields.includes('id') && q.MaxRecords === 500)).toBe(true);
    expect(fake.calls('Resources/query/count')).toHaveLength(1);
  });

  it('stops after a full page that has no next page, without asking again', async () => {
    use(new AutotaskFake(atResources(1000)));
    const { pages } = await read();
    expect(members(pages)).toHaveLength(1000);
    expect(resourceQueries()).toHaveLength(2);
  });

  it('maps names, emails, activity and profile fields; skips API users by the label of their license type', async () => {
    const { pages, count } = await read();
    const byId = Object.fromEntries(members(pages).map((m) => [m.externalId, m]));
    expect(count).toBe(9);
    expect(pages.flatMap((p) => p.skipped)).toEqual([{ externalId: '9001', identifier: 'api-sync', name: 'Integration User', reason: 'api_user' }]);
    expect(byId['2']).toEqual({
      externalId: '2',
      identifier: 'user2',
      name: 'First2 Last2',
      email: 'user2@acme.test',
      active: true,
      profile: { department: 'Service Desk', workRole: null, location: 'Head Office', title: 'Technician', hireDate: '2019-05-01' },
      scopeKeys: { departments: ['1'], location: '3' },
    });
    expect(byId['9002']).toMatchObject({ active: false, name: 'Ida Inactive' });
    expect(byId['9003']).toMatchObject({ active: false });
    expect(byId['9004']).toMatchObject({ email: null, active: true });
  });

  it('a resource in several departments has them all as scope keys and its default as its department', async () => {
    use(new AutotaskFake([atResource(10, { locationID: null, title: null, hireDate: null })]));
    const [m] = members((await read()).pages);
    expect(m!.profile).toEqual({ department: 'Service Desk', workRole: null, location: null, title: null, hireDate: null });
    expect(m!.scopeKeys).toEqual({ departments: ['1', '3'], location: null });
  });

  it('takes in department memberships page by page: a resource whose rows span pages gets them all, sorted, and its first default', async () => {
    const f = new AutotaskFake(atResources(3));
    const row = (id: number, resourceID: number, departmentID: number, isDefault: boolean) => ({ id, resourceID, departmentID, roleID: 29683000 + id, isDefault, isActive: true, isDepartmentLead: false });
    // Resource 2 holds 600 roles in one department, so resource 1's rows fall on both pages.
    f.roleDepartments = [row(1, 1, 3, false), ...Array.from({ length: 600 }, (_, i) => row(2 + i, 2, 2, i === 0)), row(602, 1, 1, true), row(603, 1, 2, true)];
    use(f);
    const byId = Object.fromEntries(members((await read()).pages).map((m) => [m.externalId, m]));
    expect(fake.calls('ResourceRoleDepartments/query')).toHaveLength(2);
    expect([byId['1']!.profile!.department, byId['1']!.scopeKeys]).toEqual(['Service Desk', { departments: ['1', '2', '3'], location: '4' }]);
    expect([byId['2']!.profile!.department, byId['2']!.scopeKeys]).toEqual(['Projects', { departments: ['2'], location: '3' }]);
    expect([byId['3']!.profile!.department, byId['3']!.scopeKeys]).toEqual([null, { departments: [], location: '4' }]);
  });

  it('finds the API-user license type wherever the tenant numbers it', async () => {
    const f = new AutotaskFake([atResource(1), atResource(2, { licenseType: 12 }), atResource(3, { licenseType: 7 })]);
    f.licenseTypes = [[3, 'Professional'], [7, 'Contractor'], [12, 'API User (system)']];
    use(f);
    const { pages } = await read();
    expect(members(pages).map((m) => m.externalId)).toEqual(['1', '3']);
    expect(pages.flatMap((p) => p.skipped).map((s) => s.externalId)).toEqual(['2']);
  });

  it('refuses to guess when no license type is labelled API User', async () => {
    fake.licenseTypes = [[3, 'Professional']];
    const err = await failure(readAll(reader()));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toContain('API User');
  });

  it('stops a server that ignores the id filter instead of paging forever', async () => {
    use(new AutotaskFake(atResources(600)));
    fake.intercept((req) => {
      if (!req.url.pathname.endsWith('/Resources/query')) return undefined;
      return { status: 200, body: JSON.stringify({ items: atResources(500), pageDetails: { count: 500, requestCount: 500, prevPageUrl: null, nextPageUrl: 'x' } }) };
    });
    const err = await failure(readAll(reader()));
    expect(err.kind).toBe('bad_response');
    expect(resourceQueries()).toHaveLength(2);
  });

  it('reports the count Resources/query/count gives', async () => {
    fake.countOverride = 42;
    expect(await reader().expectedCount()).toBe(42);
  });

  it('logs how many requests the read made', async () => {
    const log = memoryLogger('info');
    use(new AutotaskFake(atResources(1200)));
    await read(reader({}, FAST_POLICY, log.logger));
    const line = log.lines().find((l) => l.psa === 'Autotask' && typeof l.requests === 'number');
    // zone, fields, Departments, InternalLocations, 3 + 3 pages, count
    expect(line).toMatchObject({ outcome: 'read', requests: 11, resourcePages: 3, roleDepartmentPages: 3 });
    expect(line!.requests).toBe(fake.requests.length);
  });

  it('offers departments and locations by name for the scope pickers', async () => {
    expect(connector.scopeDimensions).toEqual(['departments', 'locations']);
    expect(await connector.scopeChoices!(settings(), { logger: createLogger('silent'), policy: FAST_POLICY })).toEqual({
      departments: [{ id: '3', name: 'Accounting' }, { id: '2', name: 'Projects' }, { id: '1', name: 'Service Desk' }],
      locations: [{ id: '4', name: 'Branch Office' }, { id: '3', name: 'Head Office' }],
    });
  });
});

describe('Autotask connector: limits', () => {
  it('never has more than 3 requests in flight for an account, across a sync and a connection test at once', async () => {
    use(new AutotaskFake(atResources(2600)));
    fake.latencyMs = 15;
    fake.threadLimit = 100; // only the connector limits here
    const [a] = await Promise.all([read(), reader().expectedCount(), read()]);
    expect(members(a.pages)).toHaveLength(2600);
    expect(fake.maxInFlight).toBe(3);
  });

  it('asks for the count once the last Resources page is in, while the memberships are still read: no round trip after them', async () => {
    const f = new AutotaskFake(atResources(100));
    // 15 roles each: 1,500 membership rows, 3 pages, against 1 page of Resources.
    f.roleDepartments = Array.from({ length: 1500 }, (_, i) => ({ id: i + 1, resourceID: 1 + (i % 100), departmentID: 1 + (i % 3), roleID: 29683000 + i, isDefault: i < 100, isActive: true, isDepartmentLead: false }));
    f.latencyMs = 5;
    use(f);
    const { pages, count } = await read();
    expect([members(pages).length, count]).toEqual([100, 100]);
    const order = fake.calls().map((r) => r.path.replace(/^.*\/v1\.0\//, ''));
    expect(order.filter((p) => p === 'Resources/query/count')).toHaveLength(1);
    expect(order.indexOf('Resources/query/count')).toBeLessThan(order.lastIndexOf('ResourceRoleDepartments/query'));
    expect(members(pages)[0]!.profile!.department).toBe('Service Desk');
  });

  it('a memberships page that fails after the count was asked for fails the read with its own error', async () => {
    const f = new AutotaskFake(atResources(100));
    f.roleDepartments = Array.from({ length: 1500 }, (_, i) => ({ id: i + 1, resourceID: 1 + (i % 100), departmentID: 1, roleID: 29683000 + i, isDefault: true, isActive: true, isDepartmentLead: false }));
    f.latencyMs = 5;
    use(f);
    let rrd = 0;
    fake.intercept((req) => (req.url.pathname.endsWith('/ResourceRoleDepartments/query') && ++rrd === 3 ? { status: 403, body: JSON.stringify({ errors: ['no access'] }) } : undefined));
    const r = reader();
    const err = await failure(readAll(r));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('ResourceRoleDepartments');
    expect(fake.calls('Resources/query/count')).toHaveLength(1);
  });

  it.each([500, 429, 400])('waits out the thread threshold error (status %i) and reads everything', async (status) => {
    use(new AutotaskFake(atResources(1200)));
    fake.latencyMs = 10;
    fake.threadLimit = 1; // another integration holds two of the three threads
    fake.threadErrorStatus = status;
    const { pages } = await read();
    expect(members(pages)).toHaveLength(1200);
    expect(fake.threadErrors).toBeGreaterThan(0);
  });

  it('a thread threshold that never clears fails as rate_limited within the budget, never as no staff', async () => {
    fake.intercept((req) => (req.url.pathname.endsWith('/Resources/query') ? { status: 500, body: JSON.stringify({ errors: [THREAD_THRESHOLD_MESSAGE] }) } : undefined));
    const waits: number[] = [];
    const err = await failure(readAll(reader({}, { ...FAST_POLICY, rateLimitBudgetMs: 600, wait: recordWait(waits) })));
    expect(err.kind).toBe('rate_limited');
    expect(waits.length).toBeGreaterThan(0);
    // The run gave up once its waits would pass the budget, not after some fixed number of tries.
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(600);
  });

  it.each([
    ['with Retry-After', '1'],
    ['without Retry-After', undefined],
  ])('waits out a 429 %s, then reads on', async (_label, retryAfter) => {
    fake.rateLimit('Resources', 2, retryAfter);
    const waits: number[] = [];
    const pages = await readAll(reader({}, { ...FAST_POLICY, wait: recordWait(waits) }));
    expect(members(pages)).toHaveLength(8);
    expect(waits).toHaveLength(2);
    // Retry-After: 1 is waited in full; without it the client backs off on its own (half to all of its backoff), never at once.
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(retryAfter ? 1_000 : FAST_POLICY.rateLimitBackoffMs / 2);
    expect(resourceQueries()).toHaveLength(3);
  });

  it('429s that outlast the budget fail as rate_limited', async () => {
    fake.intercept(() => ({ status: 429, body: '{"errors":["Too many requests"]}' }));
    const err = await failure(readAll(reader({}, { ...FAST_POLICY, rateLimitBudgetMs: 300 })));
    expect(err.kind).toBe('rate_limited');
  });
});

describe('Autotask settings and fake', () => {
  it('names missing fields without echoing values, and defaults the discovery URL', () => {
    let message = '';
    try {
      connector.parseSettings({ userName: 'u@acme.test', secret: '', integrationCode: 'CODE-SECRETISH', zoneUrl: 'ftp://x', extra: 1 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/secret is required/);
    expect(message).toContain('zoneUrl');
    expect(message).toContain('extra');
    expect(message).not.toContain('CODE-SECRETISH');
    const s = connector.parseSettings({ ...AT_CREDENTIALS, zoneUrl: 'https://webservices5.autotask.net//atservicesrest' });
    expect(s).toMatchObject({ discoveryUrl: DEFAULT_DISCOVERY_URL, zoneUrl: 'https://webservices5.autotask.net/atservicesrest/' });
    expect(connector.publicSettings(s)).toEqual({ userName: AT_CREDENTIALS.userName, zoneUrl: 'https://webservices5.autotask.net/atservicesrest/' });
  });

  it('the fake answers nextPageUrl only to a POST of the same body', async () => {
    use(new AutotaskFake(atResources(700)));
    const headers = { apiintegrationcode: AT_CREDENTIALS.integrationCode, username: AT_CREDENTIALS.userName, secret: AT_CREDENTIALS.secret, 'content-type': 'application/json' };
    const body = JSON.stringify({ filter: [{ op: 'gte', field: 'id', value: 0 }], IncludeFields: ['id'] });
    const first = await fetch(`${ORIGIN}/atservicesrest/v1.0/Resources/query`, { method: 'POST', headers, body });
    const { items, pageDetails } = (await first.json()) as { items: { id: number }[]; pageDetails: { nextPageUrl: string } };
    expect(items).toHaveLength(500);
    expect((await fetch(pageDetails.nextPageUrl, { headers })).status).toBe(405);
    expect((await fetch(pageDetails.nextPageUrl, { method: 'POST', headers, body: '{"filter":[{"op":"gt","field":"id","value":0}]}' })).status).toBe(400);
    const next = (await (await fetch(pageDetails.nextPageUrl, { method: 'POST', headers, body })).json()) as { items: { id: number }[]; pageDetails: { nextPageUrl: string | null } };
    expect(next.items.map((i) => i.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => 501 + i));
    expect(next.pageDetails.nextPageUrl).toBeNull();
  });
});
