import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { changeWords } from '../../src/console/change-words.js';
import type { MemberView } from '../../src/db/views.js';
import { atResource, atResources, AutotaskFake } from '../fakes/autotask-fake.js';
import { ConnectWiseFake, cwMember, cwMembers, legacyShape } from '../fakes/connectwise-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { addAtAccount, addCwAccount } from '../helpers/accounts.js';
import { createTestApp, memoryLogger, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';

/** Profile fields through the real engine (product.md §2 "Sync scope and profile fields"). */
const server = setupServer();
const log = memoryLogger('info');
let t: TestApp;
let hostNo = 0;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  t = await createTestApp({ logger: log.logger });
});
afterAll(async () => {
  server.close();
  await t.close();
});
afterEach(() => server.resetHandlers());

function cwSite(members: ReturnType<typeof cwMember>[]) {
  const site = `https://cwprofile${++hostNo}.myconnectwise.test`;
  const fake = new ConnectWiseFake(members);
  server.use(...fakeHandlers(site, fake));
  return { site, fake };
}

const sync = (accountId: string) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test', dryRun: false });
const byExternal = async (accountId: string) => Object.fromEntries((await t.app.members.list(accountId, 'all')).map((m) => [m.externalId, m])) as Record<string, MemberView>;
const applied = (runId: string | null) => log.lines().find((l) => l.runId === runId && l.msg === 'applied plan') as { path: string } | undefined;
const profileOf = (m: MemberView) => ({ department: m.department, workRole: m.workRole, location: m.location, title: m.title, hireDate: m.hireDate });

describe('ConnectWise profile fields', () => {
  it('are stored on add: names of department, work role and location, the title, and the hire date (1800-01-01 is none)', async () => {
    const { site } = cwSite([
      cwMember(1, { title: 'Service Lead', hireDate: '2018-03-04T08:00:00Z' }),
      cwMember(4, { title: null }), // cwMember(4) has the 1800-01-01 hire date
      cwMember(5, { inactiveFlag: true }),
    ]);
    const account = await addCwAccount(t.app, site);
    const { run, changes } = await sync(account.id);
    expect(run.status).toBe('succeeded');
    const m = await byExternal(account.id);
    expect(profileOf(m['1']!)).toEqual({ department: 'Projects', workRole: 'Dispatcher', location: 'Remote', title: 'Service Lead', hireDate: '2018-03-04' });
    expect(profileOf(m['4']!)).toEqual({ department: 'Projects', workRole: 'Engineer', location: 'Main Office', title: null, hireDate: null });
    // Stored as a date, read back as the same day whatever the server's time zone.
    expect(await query(t.url, `select hire_date::text as d from member where account_id = $1 and external_id = '1'`, [account.id])).toEqual([{ d: '2018-03-04' }]);
    // Members added straight to Inactive Synced carry theirs too.
    expect(m['5']!.department).toBe('Sales');
    // The new member's entry lists its profile among its fields.
    const added = changes.find((c) => c.externalId === '1')!;
    expect(changeWords(added).fields).toEqual(expect.arrayContaining(['Department: Projects', 'Hire date: 2018-03-04', 'Title: Service Lead']));
  });

  it('names an older codebase\'s plain ids from the lookup lists', async () => {
    const { site, fake } = cwSite(cwMembers(3).map(legacyShape));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    expect(profileOf((await byExternal(account.id))['2']!)).toMatchObject({ department: 'Sales', location: 'Main Office' });
    // A rename in the lookup list alone changes no member's text, yet is seen: such pages are fingerprinted by their mapped records.
    fake.departments.find((d) => d.id === 12)!.name = 'Sales & Marketing';
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ updated: 1 });
    expect((await byExternal(account.id))['2']!.department).toBe('Sales & Marketing');
  });

  it('a change to any of them is an update in the member\'s history, in words', async () => {
    const { site, fake } = cwSite(cwMembers(3));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    // cwMember(1) is in Projects; move it to Service, clear its title and give it a location it lacked.
    fake.update(1, { defaultDepartment: { id: 10, name: 'Service' }, title: null, workRole: null, hireDate: '1800-01-01T08:00:00Z' });
    const { run, changes } = await sync(account.id);
    expect(run.counts).toMatchObject({ updated: 1, unchanged: 2 });
    const update = changes.find((c) => c.action === 'updated')!;
    expect(update).toMatchObject({ externalId: '1', reason: 'details_changed_in_psa' });
    expect(update.changes).toEqual([
      { field: 'department', before: 'Projects', after: 'Service' },
      { field: 'workRole', before: 'Dispatcher', after: null },
      { field: 'title', before: 'Technician 1', after: null },
      { field: 'hireDate', before: '2011-02-11', after: null },
    ]);
    const member = (await byExternal(account.id))['1']!;
    const { history } = await t.app.members.explain(account.id, member.id);
    expect(history.map((h) => h.action)).toEqual(['added', 'updated']);
    expect(changeWords(history[1]!).fields).toEqual(['Department: Projects → Service', 'Work role: Dispatcher → —', 'Title: Technician 1 → —', 'Hire date: 2011-02-11 → —']);
    expect(profileOf(member)).toEqual({ department: 'Service', workRole: null, location: 'Remote', title: null, hireDate: null });
  });

  it('an unchanged resync still takes the shortcut; a profile-only change is not skipped as unchanged', async () => {
    const { site, fake } = cwSite(cwMembers(20));
    const account = await addCwAccount(t.app, site);
    await sync(account.id);
    await sync(account.id); // records the roster fingerprint against the applied state
    const quiet = await sync(account.id);
    expect(applied(quiet.run.id)).toMatchObject({ path: 'one-statement' });
    expect(quiet.run.counts).toMatchObject({ unchanged: 20, updated: 0 });

    fake.update(7, { hireDate: '2021-06-01T07:00:00Z' });
    const changed = await sync(account.id);
    expect(applied(changed.run.id)).toMatchObject({ path: 'locked' });
    expect(changed.run.counts).toMatchObject({ updated: 1, unchanged: 19 });
    expect((await byExternal(account.id))['7']!.hireDate).toBe('2021-06-01');

    fake.update(8, { defaultLocation: { id: 21, name: 'Remote' } });
    const moved = await sync(account.id);
    expect(moved.run.counts).toMatchObject({ updated: 1, unchanged: 19 });
    expect((await byExternal(account.id))['8']!.location).toBe('Remote');
  });
});

describe('Autotask profile fields', () => {
  it('are stored on add (default department, location, title, hire date; no work role) and their changes recorded', async () => {
    const origin = `https://webservicesprofile${++hostNo}.autotask.test`;
    const fake = new AutotaskFake(atResources(3));
    fake.update(2, { hireDate: null, title: null });
    server.use(...fakeHandlers(origin, fake));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    let m = await byExternal(account.id);
    expect(profileOf(m['1']!)).toEqual({ department: 'Projects', workRole: null, location: 'Branch Office', title: 'Technician', hireDate: '2019-05-01' });
    expect(profileOf(m['2']!)).toEqual({ department: 'Service Desk', workRole: null, location: 'Head Office', title: null, hireDate: null });

    fake.update(1, { locationID: 3, title: 'Lead Technician' });
    const { run } = await sync(account.id);
    expect(run.counts).toMatchObject({ updated: 1, unchanged: 2 });
    m = await byExternal(account.id);
    expect(m['1']).toMatchObject({ location: 'Head Office', title: 'Lead Technician' });
    const { history } = await t.app.members.explain(account.id, m['1']!.id);
    expect(changeWords(history.at(-1)!).fields).toEqual(['Location: Branch Office → Head Office', 'Title: Technician → Lead Technician']);
  });

  it('an unchanged resync takes the shortcut; a department renamed, or a resource moved to another, is not skipped as unchanged', async () => {
    const origin = `https://webservicesprofile${++hostNo}.autotask.test`;
    const fake = new AutotaskFake(atResources(4));
    server.use(...fakeHandlers(origin, fake));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    await sync(account.id); // records the roster fingerprint against the applied state
    const quiet = await sync(account.id);
    expect(applied(quiet.run.id)).toMatchObject({ path: 'one-statement' });

    // Only the lookup list changed: resources 2 and 4 are in Service Desk.
    fake.departments.find((d) => d.id === 1)!.name = 'Help Desk';
    const renamed = await sync(account.id);
    expect(applied(renamed.run.id)).toMatchObject({ path: 'locked' });
    expect(renamed.run.counts).toMatchObject({ updated: 2, unchanged: 2 });
    expect((await byExternal(account.id))['2']!.department).toBe('Help Desk');

    // Only a membership row changed: resource 3's default department.
    fake.roleDepartments.find((r) => r.resourceID === 3)!.departmentID = 3;
    const moved = await sync(account.id);
    expect(applied(moved.run.id)).toMatchObject({ path: 'locked' });
    expect(moved.run.counts).toMatchObject({ updated: 1, unchanged: 3 });
    expect((await byExternal(account.id))['3']!.department).toBe('Accounting');
  });

  it('a resource added later with its profile', async () => {
    const origin = `https://webservicesprofile${++hostNo}.autotask.test`;
    const fake = new AutotaskFake(atResources(2));
    server.use(...fakeHandlers(origin, fake));
    const account = await addAtAccount(t.app, origin);
    await sync(account.id);
    fake.setResources([...atResources(2), atResource(30, { title: 'Dispatcher' })]);
    await sync(account.id);
    expect((await byExternal(account.id))['30']).toMatchObject({ department: 'Service Desk', location: 'Head Office', title: 'Dispatcher' });
  });
});
