import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMember, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { activationToken, TEST_PASSWORD } from '../helpers/people.js';

/** Every path that suspends a sign-in ends its sessions (issue 16, item 3): here, a person linked to a member that is not Active. */
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
const fake = new ConnectWiseFake([]);

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(fake);
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

describe('linking a person to a member that is not Active', () => {
  it('suspends them and ends their sessions at once; the member becoming Active later does not revive an old session', async () => {
    const accountId = (await addCwAccount(t.app, cw.url, { breakerMinMembers: 1000 })).id;
    const { person } = await t.app.people.invite(accountId, { email: 'boss@acme.test', role: 'admin' }, 'cli');
    const activated = await server.inject({ method: 'POST', url: '/api/v1/auth/activate', payload: { token: await activationToken(t.app, 'boss@acme.test'), password: TEST_PASSWORD } });
    expect(activated.statusCode, activated.body).toBe(200);
    const cookie = `psa_session=${activated.cookies.find((c) => c.name === 'psa_session')!.value}`;
    const me = () => server.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect((await me()).statusCode).toBe(200);

    // The boss's member first appears inactive in the PSA: the person is linked to it, suspended, and signed out.
    fake.setMembers([...cwMembers(3, 301), cwMember(300, { officeEmail: 'boss@acme.test', inactiveFlag: true })]);
    expect((await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.status).toBe('succeeded');
    const linked = await t.app.people.get(accountId, person.id);
    expect(linked).toMatchObject({ state: 'suspended', memberId: expect.any(String) });
    const sessions = await query(t.url, 'select ended_at, end_reason from person_session where person_id = $1', [person.id]);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ end_reason: 'member_inactive', ended_at: expect.any(Date) });
    expect((await me()).statusCode).toBe(401);
    // They were the account's only admin who could sign in: support is told.
    expect(await query(t.url, `select 1 from notification where event = 'account.no_admin' and account_id = $1`, [accountId])).toHaveLength(1);

    // Active again lifts the suspension, but the session that was open stays ended.
    fake.update(300, { inactiveFlag: false });
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    expect((await t.app.people.get(accountId, person.id)).state).toBe('active');
    expect((await me()).statusCode).toBe(401);
    expect((await server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'boss@acme.test', password: TEST_PASSWORD } })).statusCode).toBe(200);
  });
});
