import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';

/** `psa-sync people …` and `psa-sync support add` (issue 10): the operator's side of people and roles. */
let t: TestApp;
let cw: Awaited<ReturnType<typeof serveFake>>;
let env: Record<string, string>;
let accountId: string;
const m: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  cw = await serveFake(new ConnectWiseFake(cwMembers(3)));
  accountId = (await addCwAccount(t.app, cw.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  env = { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY, PSA_SYNC_PUBLIC_URL: 'https://reviews.example.test' };
});
afterAll(async () => {
  await cw.close();
  await t.close();
});

const cli = (...args: string[]) => runCli(args, env);
const links = async (email: string) => [...(await cli('mail', 'outbox', '--to', email)).stdout.matchAll(/https:\/\/reviews\.example\.test\/activate\/([A-Za-z0-9_-]+)/g)].map((x) => x[1]);

describe('people from the CLI', () => {
  it('invites, lists, resends, changes roles and removes, with the rules and words of the API', async () => {
    const invited = await cli('people', 'invite', accountId, '--member', m.user1!, '--role', 'admin');
    expect(invited.code, invited.stderr).toBe(0);
    expect(invited.stdout).toContain('Invited First1 Last1 <user1@acme.test> as admin');
    expect(invited.stdout).toContain('psa-sync mail outbox --to user1@acme.test');
    const [first] = await links('user1@acme.test');
    expect(first).toBeDefined();

    const list = JSON.parse((await cli('people', 'list', accountId, '--json')).stdout);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ email: 'user1@acme.test', role: 'admin', state: 'invited', invitationExpiresAt: expect.any(String) });
    const personId = list[0].id;

    const resent = await cli('people', 'resend', accountId, personId);
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.stdout).toContain('Invitation resent to');
    const all = await links('user1@acme.test');
    expect(all).toHaveLength(2);
    expect(all[0]).not.toBe(first); // newest first

    const employee = await cli('people', 'invite', accountId, '--email', 'USER2@acme.test', '--role', 'employee');
    expect(employee.code, employee.stderr).toBe(0);
    const employeeId = JSON.parse((await cli('people', 'list', accountId, '--json')).stdout).find((p: { role: string }) => p.role === 'employee').id;

    // Only an activated admin counts as one who can sign in (a pending invitation does not): activate, then demote.
    await t.app.auth.activate(all[0]!, 'Test-Password-1', { ip: '127.0.0.1' });
    const demote = await cli('people', 'update', accountId, personId, '--role', 'employee');
    expect(demote.code).toBe(4); // refused by a rule (exit 4, as other conflicts)
    expect(demote.stderr.trim().split('\n')).toHaveLength(1);
    expect(demote.stderr).toContain("last admin who can sign in");

    const narrowed = await cli('people', 'update', accountId, employeeId, '--role', 'account_manager', '--members', m.user3!, '--json');
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect(JSON.parse(narrowed.stdout)).toMatchObject({ role: 'account_manager', memberScope: [m.user3] });

    const removed = await cli('people', 'remove', accountId, employeeId, '--reason', 'left the team');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('their member stays');
    const audit = JSON.parse((await cli('audit', accountId, '--json')).stdout);
    expect(JSON.stringify(audit)).toContain('left the team');

    const bad = await cli('people', 'invite', accountId, '--member', m.user3!, '--role', 'owner');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('role must be one of admin, account_manager, employee');
  }, 120_000);

  it('support add creates a support person with an activation link', async () => {
    const res = await cli('support', 'add', '--email', 'Helpdesk@psa-sync.test', '--name', 'Helpdesk');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('as support');
    expect(await links('helpdesk@psa-sync.test')).toHaveLength(1);
    const again = await cli('support', 'list', '--json');
    expect(JSON.parse(again.stdout)).toEqual([expect.objectContaining({ email: 'helpdesk@psa-sync.test', role: 'support', accountId: null })]);
  });
});
