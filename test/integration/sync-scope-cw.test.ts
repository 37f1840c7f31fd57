import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberView } from '../../src/db/views.js';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';

/**
 * The sync scope on ConnectWise accounts (issue 17): member type, department and location. The
 * fake's members alternate Employee (1) and Contractor (2) by id, cycle through Service (10),
 * Projects (11) and Sales (12), and sit at Main Office (20) or Remote (21); like a server whose
 * support is unconfirmed, it ignores every `conditions=`, so a scope must never rely on one.
 */
let t: TestApp;
let fake: ConnectWiseFake;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;

beforeAll(async () => {
  t = await createTestApp();
  fake = new ConnectWiseFake(cwMembers(12));
  cw = await serveFake(fake);
  accountId = (await addCwAccount(t.app, cw.url, { breakerPercent: 100 })).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
});
afterAll(async () => {
  await cw.close();
  await t.close();
});

const byExternal = async () => Object.fromEntries((await t.app.members.list(accountId, 'all')).map((m) => [m.externalId, m])) as Record<string, MemberView>;
const activeIds = async () => Object.values(await byExternal()).filter((m) => m.active).map((m) => Number(m.externalId)).sort((a, b) => a - b);
const ref = (id: number, name: string) => ({ id, name, _info: {} });

describe('sync scope on a ConnectWise account', () => {
  it('reads member types, departments and locations by name, and narrows by all three in our own code', async () => {
    const view = await t.app.syncScope.get(accountId);
    expect(view.dimensions).toEqual(['memberTypes', 'departments', 'locations']);
    expect(view.choices!.memberTypes.map((c) => c.name)).toEqual(expect.arrayContaining(['Employee', 'Contractor']));
    expect(view.choices!.departments).toEqual(expect.arrayContaining([{ id: '10', name: 'Service' }, { id: '12', name: 'Sales' }]));
    expect(view.choices!.locations).toEqual(expect.arrayContaining([{ id: '20', name: 'Main Office' }]));

    await t.app.syncScope.set(accountId, { memberTypes: ['1'], departments: ['10', '11'] }, 'admin:test');
    const memberRequests = fake.requests.length;
    const { run } = await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    expect(run.status).toBe('succeeded');
    // Employees (even ids) in Service or Projects (id % 3 is 0 or 1): 4, 6, 10, 12.
    expect(await activeIds()).toEqual([4, 6, 10, 12]);
    expect(run.counts).toMatchObject({ outOfScope: 8, movedToInactive: 8 });
    expect((await byExternal())['8']).toMatchObject({ list: 'inactive_synced', psaActive: true, inactiveReason: 'out_of_scope' });
    // The whole roster was read, unfiltered: no condition was asked of ConnectWise.
    const reads = fake.requests.slice(memberRequests).filter((r) => r.path.endsWith('/system/members'));
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r.query.conditions ?? '').toBe('');
  });

  it('a callback re-read of one member honours the scope both ways', async () => {
    fake.update(4, { defaultDepartment: ref(12, 'Sales') } as never);
    fake.update(8, { defaultDepartment: ref(10, 'Service') } as never);
    const run = await t.app.engine.syncCallbackMembers(accountId, ['4', '8'], 'callback:test');
    expect(run).toMatchObject({ status: 'succeeded', counts: { movedToInactive: 1, reactivated: 1, outOfScope: 1 } });
    const m = await byExternal();
    expect(m['4']).toMatchObject({ active: false, list: 'inactive_synced', inactiveReason: 'out_of_scope' });
    expect(m['8']).toMatchObject({ active: true, list: 'staff', inactiveReason: null });
  });
});

describe('psa-sync accounts scope', () => {
  const env = () => ({ DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY });

  it('prints the scope with the choices by name, sets the dimensions given (keeping the others), and refuses bad ids naming them', async () => {
    const shown = await runCli(['accounts', 'scope', accountId], env());
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Sync scope of account ${accountId}: member type Employee; departments Service, Projects`);
    expect(shown.stdout).toMatch(/\[x\]\s+10 {2}Service/);
    expect(shown.stdout).toMatch(/\[ \]\s+12 {2}Sales/);
    expect(shown.stdout).toContain('Locations: all');
    expect(shown.stdout).not.toContain(FAKE_CREDENTIALS.privateKey);

    const set = await runCli(['--json', 'accounts', 'scope', accountId, '--locations', '20', '--reason', 'head office only'], env());
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ changed: true, scope: { memberTypes: ['1'], departments: ['10', '11'], locations: ['20'] } });

    // The run says how many are out of scope: Employees (even ids) at Main Office in Service or Projects are 6, 8, 10 and 12.
    const synced = await runCli(['sync', accountId], env());
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stdout).toContain(', out of scope 8');

    const bad = await runCli(['accounts', 'scope', accountId, '--departments', '10,99'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('departments: 99 is not one of the departments ConnectWise lists');
    const widened = await runCli(['accounts', 'scope', accountId, '--member-types', 'all', '--departments', 'all', '--locations', 'all'], env());
    expect(widened.code, widened.stderr).toBe(0);
    expect(widened.stdout).toContain('Saved: every member of the PSA is in scope again.');
    expect((await t.app.syncScope.get(accountId)).scope).toEqual({ memberTypes: [], departments: [], locations: [] });
  });
});
