import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectWiseConnector } from '../../connectors/connectwise/index.js';
import { hireDateOf } from '../../connectors/connectwise/mapper.js';
import type { ConnectorContext } from '../../src/connector/contract.js';
import { createLogger } from '../../src/core/logger.js';
import { ConnectWiseFake, cwMember, cwMembers, FAKE_CREDENTIALS, legacyShape } from '../fakes/connectwise-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { FAST_POLICY } from '../helpers/app.js';
import { failure, readAll } from '../helpers/roster.js';

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

const settings = (overrides: Record<string, unknown> = {}) => connectWiseConnector.parseSettings({ site: SITE, ...FAKE_CREDENTIALS, codebase: 'v2025_1/', ...overrides });
const context: ConnectorContext = { logger: createLogger('silent'), policy: FAST_POLICY };
const members = async () => (await readAll(connectWiseConnector.createReader(settings(), context))).flatMap((p) => p.members);
const lookupCalls = () => fake.requests.filter((r) => /\/system\/(members\/types|departments|locations)$/.test(r.path));

describe('ConnectWise profile fields and scope keys', () => {
  it('maps department, work role, location, title and hire date, and the scope keys, from the current references', async () => {
    use(
      new ConnectWiseFake([
        cwMember(1, {
          type: { id: 2, name: 'Contractor' },
          defaultDepartment: { id: 11, identifier: 'PRJ', name: 'Projects' },
          defaultLocation: { id: 21, name: 'Remote' },
          workRole: { id: 30, name: 'Engineer' },
          title: ' Senior Tech ',
          hireDate: '2019-05-01T07:00:00Z',
        }),
        cwMember(2, { type: null, defaultDepartment: null, defaultLocation: null, workRole: null, title: '', hireDate: '1800-01-01T08:00:00Z' }),
      ]),
    );
    const [a, b] = await members();
    expect(a!.profile).toEqual({ department: 'Projects', workRole: 'Engineer', location: 'Remote', title: 'Senior Tech', hireDate: '2019-05-01' });
    expect(a!.scopeKeys).toEqual({ memberType: '2', departments: ['11'], location: '21' });
    expect(b!.profile).toEqual({ department: null, workRole: null, location: null, title: null, hireDate: null });
    expect(b!.scopeKeys).toEqual({ memberType: null, departments: [], location: null });
    // The references carry names: no lookup list is read.
    expect(lookupCalls()).toEqual([]);
  });

  it('asks for the new fields, both shapes, when reading members', async () => {
    use(new ConnectWiseFake(cwMembers(2)));
    await members();
    const fields = fake.requests.find((r) => r.path.endsWith('/system/members'))!.query.fields!.split(',');
    for (const f of ['type', 'title', 'hireDate', 'workRole', 'defaultDepartment', 'defaultLocation', 'defaultDepartmentId', 'defaultLocationId']) expect(fields).toContain(f);
  });

  it('treats 1800-01-01 as an unknown hire date and keeps only the date of others', () => {
    expect(hireDateOf('1800-01-01T08:00:00Z')).toBeNull();
    expect(hireDateOf('1800-01-01T00:00:00')).toBeNull();
    expect(hireDateOf('2021-11-30T00:00:00Z')).toBe('2021-11-30');
    expect(hireDateOf('2021-11-30')).toBe('2021-11-30');
    expect(hireDateOf('soon')).toBeNull();
    expect(hireDateOf(null)).toBeNull();
  });

  it('names an older codebase\'s plain department and location ids from the lookup lists, read once for every page', async () => {
    const roster = cwMembers(1500).map(legacyShape);
    roster[0] = legacyShape(cwMember(1, { defaultDepartment: { id: 99, name: 'x' }, defaultLocation: { id: 20, name: 'x' } }));
    use(new ConnectWiseFake(roster));
    const pages = await readAll(connectWiseConnector.createReader(settings(), context));
    const all = pages.flatMap((p) => p.members);
    expect(all).toHaveLength(1500);
    const m2 = all.find((m) => m.externalId === '2')!;
    // cwMember(2): department 12 (Sales), location 20 (Main Office).
    expect(m2.profile).toMatchObject({ department: 'Sales', location: 'Main Office', workRole: 'Engineer' });
    expect(m2.scopeKeys).toEqual({ memberType: '1', departments: ['12'], location: '20' });
    // An id the list does not know has no name, but still decides the scope.
    expect(all[0]!.profile).toMatchObject({ department: null, location: 'Main Office' });
    expect(all[0]!.scopeKeys).toMatchObject({ departments: ['99'] });
    // Departments and locations once each (not member types), forward-only like the members read.
    expect(lookupCalls().map((c) => c.path.replace(/^.*apis\/3\.0/, '')).sort()).toEqual(['/system/departments', '/system/locations']);
    expect(lookupCalls().every((c) => c.headers['pagination-type'] === 'forward-only' && c.query.pageSize === '1000')).toBe(true);
    // Names that came from the lookup lists are not in the response text, so the roster fingerprint uses the mapped records.
    expect(pages.every((p) => p.source === undefined)).toBe(true);
  });

  it('keeps the response text for the fingerprint when the members carry their own names', async () => {
    use(new ConnectWiseFake(cwMembers(3)));
    const pages = await readAll(connectWiseConnector.createReader(settings(), context));
    expect(pages[0]!.source).toContain('"defaultDepartment"');
  });

  it('fails the read when an older codebase\'s lookup list cannot be read', async () => {
    const f = new ConnectWiseFake(cwMembers(3).map(legacyShape));
    f.intercept((req) => (req.url.pathname.endsWith('/system/departments') ? { status: 500, body: '{"message":"boom"}' } : undefined));
    use(f);
    const err = await failure(members());
    expect(err.message).toContain('/system/departments');
  });

  it('declares member types, departments and locations as its scope dimensions', () => {
    expect(connectWiseConnector.scopeDimensions).toEqual(['memberTypes', 'departments', 'locations']);
  });

  it('reads the scope choices from every page of the three lists, by name', async () => {
    const f = new ConnectWiseFake();
    f.departments = Array.from({ length: 1200 }, (_, i) => ({ id: i + 1, identifier: `D${i + 1}`, name: `Dept ${String(1200 - i).padStart(4, '0')}` }));
    f.locations = [{ id: 21, name: 'Remote' }, { id: 20, name: 'Main Office' }, { id: 22, name: '' }];
    use(f);
    const choices = await connectWiseConnector.scopeChoices!(settings(), context);
    expect(choices.memberTypes).toEqual([
      { id: '2', name: 'Contractor' },
      { id: '1', name: 'Employee' },
      { id: '3', name: 'Former type' },
    ]);
    expect(choices.departments).toHaveLength(1200);
    expect(choices.departments![0]).toEqual({ id: '1200', name: 'Dept 0001' });
    expect(choices.locations).toEqual([
      { id: '22', name: '#22' },
      { id: '20', name: 'Main Office' },
      { id: '21', name: 'Remote' },
    ]);
    const deptCalls = lookupCalls().filter((c) => c.path.endsWith('/system/departments'));
    expect(deptCalls.map((c) => c.query.pageId)).toEqual([undefined, '1000']);
    expect(lookupCalls().every((c) => c.query.conditions === undefined)).toBe(true);
  });

  it('waits out a 429 on a lookup list, as the members read does', async () => {
    const f = new ConnectWiseFake();
    let refused = 0;
    f.intercept((req) => (req.url.pathname.endsWith('/system/locations') && refused++ === 0 ? { status: 429, headers: { 'retry-after': '0' }, body: '{}' } : undefined));
    use(f);
    const choices = await connectWiseConnector.scopeChoices!(settings(), context);
    expect(choices.locations).toHaveLength(2);
    expect(lookupCalls().filter((c) => c.path.endsWith('/system/locations'))).toHaveLength(2);
  });

  it('refuses scope choices with bad keys as an auth failure, without the keys in the message', async () => {
    use(new ConnectWiseFake([], { ...FAKE_CREDENTIALS, privateKey: 'another' }));
    const err = await failure(connectWiseConnector.scopeChoices!(settings(), context));
    expect(err.kind).toBe('auth');
    expect(err.message).not.toContain('privSECRETkey987');
  });

  it('answers bad_response when a lookup list is not a list of records', async () => {
    const f = new ConnectWiseFake();
    f.intercept((req) => (req.url.pathname.endsWith('/system/members/types') ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"types":[]}' } : undefined));
    use(f);
    expect((await failure(connectWiseConnector.scopeChoices!(settings(), context))).kind).toBe('bad_response');
  });

  it('maps a member re-read for a callback the same way, older codebases included', async () => {
    use(new ConnectWiseFake([legacyShape(cwMember(5))]));
    const read = await connectWiseConnector.callbacks!(settings(), context).readMember('5');
    expect(read && 'member' in read && read.member.profile).toMatchObject({ department: 'Sales', location: 'Remote' });
    expect(fake.requests.find((r) => r.path.endsWith('/system/members/5'))!.query.fields).toContain('defaultDepartmentId');
  });

  it('the fake ignores conditions on type, department and location, as a server might', async () => {
    const f = new ConnectWiseFake(cwMembers(4));
    use(f);
    const res = await fetch(`${SITE}/v2025_1/apis/3.0/system/members?conditions=${encodeURIComponent('type/id in (1) and defaultDepartment/id=10')}`, {
      headers: { authorization: `Basic ${Buffer.from('acme+pubKEY123:privSECRETkey987').toString('base64')}`, clientid: FAKE_CREDENTIALS.clientId, accept: 'application/vnd.connectwise.com+json; version=2025.16' },
    });
    expect(((await res.json()) as unknown[]).length).toBe(4);
  });
});
