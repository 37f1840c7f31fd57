import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HALO_CREDENTIALS, HaloFake, haloAgent, haloRoster } from '../fakes/halo-fake.js';
import { fakeHandlers } from '../fakes/msw.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import type { MemberView } from '../../src/db/views.js';

const server = setupServer();
let t: TestApp;
let fake: HaloFake;
let site: string;
let siteNo = 0;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  t = await createTestApp();
});
afterAll(async () => {
  server.close();
  await t.close();
});
beforeEach(() => {
  site = `https://halo-engine${++siteNo}.halopsa.test`;
  fake = new HaloFake(haloRoster(4));
  server.use(...fakeHandlers(site, fake));
});
afterEach(() => server.resetHandlers());

const addHalo = (seatLimit?: number) =>
  t.app.accounts.add({ name: `Halo ${siteNo} ${Date.now()}`, integration: 'halopsa', settings: { baseUrl: site, ...HALO_CREDENTIALS }, seatLimit });
const sync = (accountId: string) => t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
const byExternal = async (accountId: string): Promise<Record<string, MemberView>> => Object.fromEntries((await t.app.members.list(accountId, 'all')).map((m) => [m.externalId, m]));

describe('HaloPSA accounts (product.md §2)', () => {
  it('the first sync is the setup import: enabled agents only, never Unassigned or API agents', async () => {
    const account = await addHalo();
    const { run, changes } = await sync(account.id);
    expect(run).toMatchObject({ trigger: 'setup', status: 'succeeded', counts: { added: 5, deactivated: 0 } });
    const members = await byExternal(account.id);
    expect(Object.keys(members).sort()).toEqual(['2', '3', '4', '5', '902']);
    expect(members['902']).toMatchObject({ name: 'Nell No-Email', email: null, active: true, list: 'staff', source: 'psa' });
    expect(changes.filter((c) => c.action === 'added').every((c) => c.reason === 'imported_at_setup')).toBe(true);
  });

  it('the setup import respects the seat limit', async () => {
    const account = await addHalo(3);
    await sync(account.id);
    const members = Object.values(await byExternal(account.id));
    expect(members.filter((m) => m.active)).toHaveLength(3);
    expect(members.filter((m) => !m.active).every((m) => m.inactiveReason === 'seat_limit')).toBe(true);
  });

  it('later syncs refresh names and emails, add nobody, deactivate nobody, and report disabled agents', async () => {
    const account = await addHalo();
    await sync(account.id);
    fake.agents.push(haloAgent(50, { name: 'New Hire' }));
    fake.agents.find((a) => a.id === 3)!.name = 'Agent Three Renamed';
    fake.agents.find((a) => a.id === 4)!.email = 'four@new.test';
    fake.agents.find((a) => a.id === 2)!.isdisabled = true;
    fake.agents = fake.agents.filter((a) => a.id !== 5); // gone from Halo: nothing happens either
    const before = await query(t.url, 'select count(*)::int as n from member where account_id = $1', [account.id]);

    const { run, changes } = await sync(account.id);
    expect(run).toMatchObject({ trigger: 'manual', status: 'succeeded', counts: { added: 0, updated: 2, deactivated: 0, movedToInactive: 0, flaggedDisabled: 1 } });
    expect(await query(t.url, 'select count(*)::int as n from member where account_id = $1', [account.id])).toEqual(before);
    const members = await byExternal(account.id);
    expect(members['50']).toBeUndefined();
    expect(members['3']!.name).toBe('Agent Three Renamed');
    expect(members['4']!.email).toBe('four@new.test');
    expect(members['2']).toMatchObject({ active: true, list: 'staff' });
    expect(members['5']).toMatchObject({ active: true, list: 'staff' });
    const flagged = changes.find((c) => c.action === 'flagged')!;
    expect(flagged).toMatchObject({ reason: 'disabled_in_psa', externalId: '2', memberId: members['2']!.id });
  });

  it('an admin deactivates and reactivates a Halo member by hand', async () => {
    const account = await addHalo();
    await sync(account.id);
    const member = (await byExternal(account.id))['2']!;
    expect((await t.app.members.setActive(account.id, member.id, false, 'admin')).active).toBe(false);
    await sync(account.id);
    expect((await byExternal(account.id))['2']!.active).toBe(false);
    expect((await t.app.members.setActive(account.id, member.id, true, 'admin')).active).toBe(true);
  });

  it('a failed token request changes nothing and fails the run as auth', async () => {
    const account = await addHalo();
    fake.credentials = { ...HALO_CREDENTIALS, clientSecret: 'rotated' };
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'auth' } });
    expect(JSON.stringify(run)).not.toContain(HALO_CREDENTIALS.clientSecret);
    expect(await t.app.members.list(account.id, 'all')).toHaveLength(0);
  });
});

describe('HaloPSA setup needs proof (issue 9, item 7)', () => {
  it('an empty first read fails as incomplete_read, imports nobody, and setup is tried again next time', async () => {
    const roster = fake.agents;
    fake.agents = roster.filter((a) => a.id === 1); // only the built-in Unassigned agent
    const account = await addHalo();
    const first = await sync(account.id);
    expect(first.run).toMatchObject({ trigger: 'setup', status: 'failed', error: { kind: 'incomplete_read' } });
    expect(first.run.error!.message).toMatch(/no enabled agents.*tried again/);
    expect(await byExternal(account.id)).toEqual({});
    expect((await query(t.url, 'select last_full_read_at from account where id = $1', [account.id]))[0]!.last_full_read_at).toBeNull();

    fake.agents = roster;
    const second = await sync(account.id);
    expect(second.run).toMatchObject({ trigger: 'setup', status: 'succeeded', counts: { added: 5 } });
  });

  it('a short first read (fewer agents than Halo counts) fails as incomplete_read and imports nobody', async () => {
    fake.intercept((req) => {
      if (req.url.pathname !== '/api/Agent') return undefined;
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ page_no: 1, page_size: 100, record_count: 40, results: fake.agents.filter((a) => a.id !== 1 && !a.isdisabled).slice(0, 2) }) };
    });
    const account = await addHalo();
    const { run } = await sync(account.id);
    expect(run).toMatchObject({ trigger: 'setup', status: 'failed', error: { kind: 'incomplete_read' } });
    expect(await byExternal(account.id)).toEqual({});
  });
});
