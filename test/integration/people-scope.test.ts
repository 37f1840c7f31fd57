import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { signIn } from '../helpers/people.js';

/**
 * An account manager's scope over engineers and clients (product.md §8, issue 18): set by an admin
 * through the API or the CLI, each part an include or an exclude list; the older memberScope keeps
 * working; bad shapes are refused naming the problem.
 */
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
let admin: string;
const m: string[] = [];
let managerId: string;

beforeAll(async () => {
  t = await createTestApp();
  server = await buildServer(t.app);
  accountId = (await t.app.accounts.add({ name: 'Scopes', integration: 'snippet', settings: {} })).id;
  await t.app.imports.import(accountId, 'name,email\nAnn A,ann@msp.test\nBob B,bob@msp.test\nCy C,cy@msp.test\nDee D,dee@msp.test\n', 'csv', 'test');
  m.push(...(await t.app.members.list(accountId)).map((x) => x.id));
  admin = (await t.app.tokens.create({ role: 'admin', accountId })).token;
  managerId = (await t.app.people.invite(accountId, { memberId: m[3]!, role: 'account_manager' }, 'test')).person.id;
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const patch = (payload: object) => server.inject({ method: 'PATCH', url: `/api/v1/accounts/${accountId}/people/${managerId}`, headers: { authorization: `Bearer ${admin}` }, payload });

describe("an account manager's scope", () => {
  it('is set part by part, include or exclude; null or an empty exclude list is all; memberScope still works', async () => {
    let res = await patch({ scope: { members: { exclude: [m[1]] }, clients: { include: ['Acme', ' acme ', 'Globex  Inc'] } } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().person).toMatchObject({ memberScope: null, scope: { members: { exclude: [m[1]] }, clients: { include: ['Acme', 'Globex Inc'] } } });
    res = await patch({ scope: { clients: { exclude: [] } } });
    expect(res.json().person.scope).toEqual({ members: { exclude: [m[1]] }, clients: null });
    res = await patch({ memberScope: [m[0], m[2]] });
    expect(res.json().person).toMatchObject({ memberScope: [m[0], m[2]].sort(), scope: { members: { include: [m[0], m[2]].sort() }, clients: null } });
    res = await patch({ scope: { members: null } });
    expect(res.json().person).toMatchObject({ memberScope: null, scope: { members: null, clients: null } });
    const audit = await t.app.members.audit(accountId, {});
    expect(audit.entries.filter((e) => e.action === 'person.scope_changed')).toHaveLength(4);
  });

  it('an exclude list follows the account: an engineer added later is seen', async () => {
    await patch({ scope: { members: { exclude: [m[0]] } } });
    const session = await signIn(t.app, server, { accountId, memberId: m[2]!, role: 'account_manager' });
    const person = (await t.app.people.list(accountId)).find((p) => p.memberId === m[2])!;
    await t.app.people.update(accountId, person.id, { scope: { members: { exclude: [m[0]!] }, clients: { exclude: ['Acme'] } } }, 'test');
    const me = async () => (await server.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: session.cookie } })).json();
    const members = async () => (await server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/members?list=all`, headers: { cookie: session.cookie } })).json();
    // The exclude list itself, applied by the database: not every other member's id.
    expect((await me()).scope.members).toEqual({ exclude: [m[0]] });
    expect((await me()).memberScope).toBeNull();
    // Their own exclude list names the clients hidden from them: counted, not named.
    expect((await me()).clientScope).toEqual({ mode: 'exclude', names: [], hidden: 1 });
    expect((await me()).scope.clients).toEqual({ exclude: [], hidden: 1 });
    expect((await members()).members.map((x: { id: string }) => x.id).sort()).toEqual([m[1], m[2], m[3]].sort());
    await t.app.imports.import(accountId, 'name,email\nEve E,eve@msp.test\n', 'csv', 'test');
    expect((await members()).total).toBe(4);
  });

  it('bad scopes are refused, naming the problem', async () => {
    const cases: [object, number, string][] = [
      [{ scope: { members: { include: ['nope'] } } }, 400, '"nope" is not a valid member id'],
      [{ scope: { members: { include: ['3f2a9c1e-0000-4000-8000-000000000000'] } } }, 404, 'member 3f2a9c1e-0000-4000-8000-000000000000 not found'],
      [{ scope: { clients: { include: ['a'], exclude: ['b'] } } }, 400, 'scope.clients'],
      [{ scope: { clients: { only: ['a'] } } }, 400, 'scope.clients'],
      [{ scope: { clients: { include: [' '] } } }, 400, 'a client name is empty'],
      [{ scope: { clients: { include: ['x'.repeat(201)] } } }, 400, 'scope.clients'],
      [{ scope: {} }, 400, 'scope'],
      [{ scope: { members: null }, memberScope: null }, 400, 'give memberScope or scope.members, not both'],
      [{ role: 'admin', scope: { clients: { include: ['Acme'] } } }, 400, 'only an account manager can be narrowed'],
    ];
    for (const [payload, status, words] of cases) {
      const res = await patch(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().error.message, JSON.stringify(payload)).toContain(words);
    }
  });

  it('from the CLI: --clients, --members and --exclude; "all" widens', async () => {
    const env = { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
    const narrowed = await runCli(['--json', 'people', 'update', accountId, managerId, '--clients', 'Smith\\, Jones & Co,Globex', '--members', m[0]!, '--exclude'], env);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect(JSON.parse(narrowed.stdout).scope).toEqual({ members: { exclude: [m[0]] }, clients: { exclude: ['Globex', 'Smith, Jones & Co'] } });
    const text = await runCli(['people', 'list', accountId], env);
    expect(text.stdout).toContain('all members but 1; all clients but 2');
    const widened = await runCli(['--json', 'people', 'update', accountId, managerId, '--clients', 'all'], env);
    expect(JSON.parse(widened.stdout).scope).toEqual({ members: { exclude: [m[0]] }, clients: null });
    const refused = await runCli(['people', 'update', accountId, managerId, '--exclude'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--exclude needs --members or --clients');
  }, 120_000);
});
