import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberView } from '../../src/db/views.js';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/db.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Profile fields where members are shown (product.md §2, §8): member JSON, the members list's
 * department= and location= filters (API, bulk, console, CLI), and the member's page.
 * The fake's members: department by id % 3 (Service, Projects, Sales), location by id % 2 (Main Office, Remote).
 */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
let snippetId: string;
let token: string;
let admin: TestSession;
let manager: TestSession;
const byExt: Record<string, MemberView> = {};

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(new ConnectWiseFake([...cwMembers(12), cwMember(13, { inactiveFlag: true })]));
  accountId = (await addCwAccount(t.app, cw.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'setup' });
  for (const m of await t.app.members.list(accountId, 'all')) byExt[m.externalId!] = m;
  snippetId = (await t.app.accounts.add({ name: `Snippet profile ${Date.now()}`, integration: 'snippet', settings: {} })).id;
  await t.app.imports.import(snippetId, 'name,email\nAnn A,ann@msp.test\n', 'csv', 'test');
  token = (await t.app.tokens.create({ role: 'admin', accountId })).token;
  server = await buildServer(t.app);
  admin = await signIn(t.app, server, { accountId, memberId: byExt['12']!.id, role: 'admin' });
  // Narrowed to two members in Projects, both Remote.
  manager = await signIn(t.app, server, { accountId, memberId: byExt['6']!.id, role: 'account_manager', memberScope: [byExt['1']!.id, byExt['7']!.id] });
});
afterAll(async () => {
  await server?.close();
  await cw?.close();
  await t?.close();
});

type Page = { members: MemberView[]; total: number; activeCount: number };
const api = (method: 'GET' | 'POST', url: string, payload?: object) => server.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
const page = async (q: string): Promise<Page> => {
  const res = await api('GET', `/api/v1/accounts/${accountId}/members?${q}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
};
const ids = (p: Page) => p.members.map((m) => m.externalId).sort((a, b) => Number(a) - Number(b));
const consolePage = (url: string, who: TestSession) => server.inject({ method: 'GET', url, headers: { cookie: who.cookie } });

describe('member JSON', () => {
  it('carries department, workRole, location, title and hireDate in the list, explain and the Active box answer', async () => {
    const listed = (await page('q=First1%20Last1')).members.find((m) => m.externalId === '1')!;
    expect(listed).toMatchObject({ department: 'Projects', workRole: 'Dispatcher', location: 'Remote', title: 'Technician 1', hireDate: '2011-02-11' });
    // cwMember(4) has ConnectWise's empty hire date.
    expect((await page('q=First4%20Last4')).members[0]).toMatchObject({ hireDate: null });
    const explained = (await api('GET', `/api/v1/accounts/${accountId}/members/${byExt['3']!.id}/explain`)).json() as { member: MemberView };
    expect(explained.member).toMatchObject({ department: 'Service', location: 'Remote', title: null });
    const patched = await server.inject({ method: 'PATCH', url: `/api/v1/accounts/${accountId}/members/${byExt['5']!.id}`, headers: { authorization: `Bearer ${token}` }, payload: { active: true } });
    expect(patched.json().member).toMatchObject({ department: 'Sales', location: 'Remote' });
  });

  it('has them null for a member whose PSA has none (the survey snippet)', async () => {
    const [ann] = await t.app.members.list(snippetId);
    expect(ann).toMatchObject({ department: null, workRole: null, location: null, title: null, hireDate: null });
  });
});

describe('GET /api/v1/accounts/:id/members?department=&location=', () => {
  it('filters by exact department and location names, alone and together', async () => {
    expect(ids(await page('department=Projects'))).toEqual(['1', '4', '7', '10']);
    expect(ids(await page('location=Main%20Office'))).toEqual(['2', '4', '6', '8', '10', '12']);
    expect(ids(await page('department=Projects&location=Remote'))).toEqual(['1', '7']);
    // Exact: neither another case nor a fragment matches.
    expect((await page('department=projects')).total).toBe(0);
    expect((await page('department=Proj')).total).toBe(0);
    // Outer spaces are not part of a name.
    expect(ids(await page('department=%20Sales%20'))).toEqual(['2', '5', '8', '11']);
  });

  it('combines with q, list and active, and the totals follow the filter', async () => {
    expect(ids(await page('department=Projects&list=all'))).toEqual(['1', '4', '7', '10', '13']);
    expect(ids(await page('department=Projects&list=inactive'))).toEqual(['13']);
    expect(ids(await page('department=Projects&q=last1'))).toEqual(['1', '10']);
    await t.app.members.setActive(accountId, byExt['4']!.id, false, 'admin');
    expect(ids(await page('department=Projects&active=false'))).toEqual(['4']);
    expect(await page('department=Projects')).toMatchObject({ total: 4, activeCount: 3 });
    await t.app.members.setActive(accountId, byExt['4']!.id, true, 'admin');
  });

  it('refuses a name over 200 characters with a 400 naming it', async () => {
    const res = await api('GET', `/api/v1/accounts/${accountId}/members?department=${'x'.repeat(201)}`);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('department is longer than 200 characters');
  });

  it('refuses a repeated parameter and a NUL character with a 400 naming them, never a 500 (API, bulk and console)', async () => {
    for (const q of ['department=a&department=b', 'location=a&location=b', 'q=a&q=b', 'department=%00', 'q=x%00', 'location=Main%00']) {
      const res = await api('GET', `/api/v1/accounts/${accountId}/members?${q}`);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
      expect(res.json().error.message).toMatch(/given more than once|holds a control character/);
      expect((await consolePage(`/accounts/${accountId}/members?${q}`, admin)).statusCode, q).toBe(400);
    }
    const bulk = await api('POST', `/api/v1/accounts/${accountId}/members/bulk`, { active: false, filter: { department: ['Sales'] } });
    expect(bulk.statusCode, bulk.body).toBe(400);
    expect((await page('active=false')).total).toBe(0);
  });

  it('the bulk change by filter takes department and location too, and touches no one else', async () => {
    const changesBefore = (await query(t.url, `select count(*)::int as n from member_change where account_id = $1`, [accountId]))[0]!.n as number;
    const res = await api('POST', `/api/v1/accounts/${accountId}/members/bulk`, { active: false, filter: { department: 'Sales', location: 'Remote' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ changed: 2, refused: [] });
    expect(ids(await page('active=false'))).toEqual(['5', '11']);
    const changesAfter = (await query(t.url, `select count(*)::int as n from member_change where account_id = $1`, [accountId]))[0]!.n as number;
    expect(changesAfter - changesBefore).toBe(2);
    const back = await api('POST', `/api/v1/accounts/${accountId}/members/bulk`, { active: true, filter: { department: 'Sales' } });
    expect(back.json()).toEqual({ changed: 2, refused: [] });
    const bad = await api('POST', `/api/v1/accounts/${accountId}/members/bulk`, { active: false, filter: { department: 'y'.repeat(201) } });
    expect(bad.statusCode).toBe(400);
    expect((await page('active=false')).total).toBe(0);
  });
});

describe('the console', () => {
  it('offers Department and Location filters with the values the account\'s members have, and applies them', async () => {
    const res = await consolePage(`/accounts/${accountId}/members?department=Sales`, admin);
    expect(res.statusCode).toBe(200);
    const departments = /<select id="f-department" name="department">(.*?)<\/select>/s.exec(res.body)![1]!;
    expect([...departments.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual(['', 'Projects', 'Sales', 'Service']);
    expect(departments).toMatch(/<option value="Sales" selected>/);
    const locations = /<select id="f-location" name="location">(.*?)<\/select>/s.exec(res.body)![1]!;
    expect([...locations.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual(['', 'Main Office', 'Remote']);
    const rows = [...res.body.matchAll(/<tr id="member-([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(rows.sort()).toEqual(['2', '5', '8', '11'].map((e) => byExt[e]!.id).sort());
    // The bulk form carries the view, department included.
    expect(res.body).toContain('name="view_department" value="Sales"');
  });

  it('a bulk change of every member matching the view keeps to its department', async () => {
    const form = { _csrf: admin.csrf, scope: 'matching', active: 'false', view_list: 'staff', view_department: 'Service', view_location: 'Remote' };
    const post = (fields: Record<string, string>) => server.inject({ method: 'POST', url: `/accounts/${accountId}/members/bulk`, headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
    // Unchecking every matching member asks first, naming the view and how many; nothing changes yet.
    const asked = await post(form);
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.body).toContain('department “Service” · location “Remote”');
    expect(asked.body).toContain('2 members now');
    expect(ids(await page('active=false'))).toEqual([]);
    const res = await post({ ...form, confirm: 'yes' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('2 members unchecked');
    expect(ids(await page('active=false'))).toEqual(['3', '9']);
    await api('POST', `/api/v1/accounts/${accountId}/members/bulk`, { active: true, filter: { department: 'Service' } });
  });

  it('a narrowed account manager is offered only the values of the members they see', async () => {
    const res = await consolePage(`/accounts/${accountId}/members`, manager);
    expect(res.statusCode, String(res.headers.location)).toBe(200);
    const departments = /<select id="f-department" name="department">(.*?)<\/select>/s.exec(res.body)![1]!;
    expect([...departments.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual(['', 'Projects']);
  });

  it('offers no such filter where no member has a value', async () => {
    const snippetAdmin = await signIn(t.app, server, { accountId: snippetId, memberId: (await t.app.members.list(snippetId))[0]!.id, role: 'admin' });
    const res = await consolePage(`/accounts/${snippetId}/members`, snippetAdmin);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('f-department');
    expect(res.body).not.toContain('f-location');
  });

  it('shows the profile on the member\'s page, and the history in words', async () => {
    const res = await consolePage(`/accounts/${accountId}/members/${byExt['1']!.id}`, admin);
    expect(res.statusCode).toBe(200);
    for (const fact of ['<dt>Department</dt><dd>Projects</dd>', '<dt>Work role</dt><dd>Dispatcher</dd>', '<dt>Location</dt><dd>Remote</dd>', '<dt>Title</dt><dd>Technician 1</dd>', '<dt>Hire date</dt><dd>2011-02-11</dd>']) {
      expect(res.body).toContain(fact);
    }
    expect(res.body).toContain('Department: Projects');
    const none = await consolePage(`/accounts/${accountId}/members/${byExt['4']!.id}`, admin);
    expect(none.body).toContain('<dt>Hire date</dt><dd>—</dd>');
  });
});

describe('the CLI', () => {
  it('members ACCOUNT --department/--location lists only those members, with the fields in --json', async () => {
    const env = { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
    const r = await runCli(['members', accountId, '--department', 'Sales', '--location', 'Main Office', '--json'], env);
    expect(r.stderr).toBe('');
    const listed = JSON.parse(r.stdout) as MemberView[];
    expect(listed.map((m) => m.externalId)).toEqual(['2', '8']);
    expect(listed[0]).toMatchObject({ department: 'Sales', workRole: 'Engineer', location: 'Main Office', title: 'Technician 2', hireDate: '2012-03-12' });
  });
});
