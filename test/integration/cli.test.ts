import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AT_CREDENTIALS, atRoster, AutotaskFake } from '../fakes/autotask-fake.js';
import { ConnectWiseFake, cwMember, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { TEST_SECRET_KEY } from '../helpers/app.js';
import { childBaseEnv, ROOT, runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/db.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let cw: Awaited<ReturnType<typeof serveFake>>;
let env: Record<string, string>;
let dir: string;
const fake = new ConnectWiseFake([...cwMembers(4), cwMember(5, { inactiveFlag: true }), cwMember(6, { licenseClass: 'A' })]);

beforeAll(async () => {
  db = await createTestDatabase();
  cw = await serveFake(fake);
  dir = mkdtempSync(path.join(tmpdir(), 'psa-cli-'));
  env = { DATABASE_URL: db.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
});
afterAll(async () => {
  await cw.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const json = <T = any>(r: { stdout: string; stderr: string; code: number }): T => {
  expect(r.stderr, r.stderr).toBe('');
  return JSON.parse(r.stdout) as T;
};

describe('psa-sync CLI, end to end', () => {
  let accountId = '';
  let runId = '';

  it('adds a ConnectWise account from a config file and never prints its secrets', async () => {
    const file = path.join(dir, 'cw.json');
    writeFileSync(file, JSON.stringify({ site: cw.url, ...FAKE_CREDENTIALS }));
    const r = await runCli(['accounts', 'add', '--name', 'Acme MSP', '--integration', 'connectwise', '--config', file, '--seat-limit', '10', '--json'], env);
    expect(r.code).toBe(0);
    const account = json(r);
    accountId = account.id;
    expect(account).toMatchObject({ name: 'Acme MSP', integration: 'connectwise', seatLimit: 10, settings: { site: cw.url, companyId: 'acme', codebase: '(discovered)' } });
    const list = await runCli(['accounts', 'list', '--json'], env);
    for (const out of [r.stdout, list.stdout]) {
      expect(out).not.toContain(FAKE_CREDENTIALS.privateKey);
      expect(out).not.toContain(FAKE_CREDENTIALS.publicKey);
    }
    expect(json(list).map((a: { id: string }) => a.id)).toContain(accountId);
  });

  it('prints its version, the one in package.json', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version'], env);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('reads settings from stdin with --config -, and rejects bad input with a one-line reason', async () => {
    const r = await runCli(['accounts', 'add', '--name', 'Stdin Co', '--integration', 'connectwise', '--config', '-', '--json'], env, { stdin: JSON.stringify({ site: cw.url, ...FAKE_CREDENTIALS }) });
    expect(r.code).toBe(0);
    const bad = await runCli(['accounts', 'add', '--name', 'Bad', '--integration', 'connectwise', '--config', '-'], env, { stdin: '{"site": "x"' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('not valid JSON');
    const missing = await runCli(['accounts', 'add', '--name', 'Bad', '--integration', 'connectwise', '--config', '-'], env, { stdin: JSON.stringify({ site: cw.url, companyId: 'a', publicKey: 'PUBLIC-XYZ', privateKey: '' }) });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/privateKey is required; clientId is required/);
    expect(missing.stderr).not.toContain('PUBLIC-XYZ');
  });

  it('syncs, prints the run, and lists members as JSON', async () => {
    const r = await runCli(['sync', accountId, '--json'], env);
    expect(r.code).toBe(0);
    const run = json(r);
    runId = run.id;
    expect(run).toMatchObject({ accountId, trigger: 'manual', status: 'succeeded', error: null, counts: { fetched: 6, added: 5, skipped: 1 } });
    expect(run.requestedBy).toMatch(/^cli:/);

    const staff = json(await runCli(['members', accountId, '--json'], env));
    expect(staff).toHaveLength(4);
    expect(Object.keys(staff[0]).sort()).toEqual(
      expect.arrayContaining(['id', 'accountId', 'externalId', 'identifier', 'name', 'email', 'source', 'active', 'list', 'psaActive', 'inactiveReason', 'firstSeenAt', 'lastSeenAt']),
    );
    const inactive = json(await runCli(['members', accountId, '--list', 'inactive', '--json'], env));
    expect(inactive.map((m: { externalId: string }) => m.externalId)).toEqual(['5']);
  });

  it('shows a run with its changes, identifying members by our id and the PSA id, identifier, name and email', async () => {
    const shown = json(await runCli(['runs', 'show', runId, '--json'], env));
    expect(shown.id).toBe(runId);
    const added = shown.changes.find((c: { externalId: string }) => c.externalId === '1');
    expect(added).toMatchObject({ action: 'added', reason: 'new_in_psa', identifier: 'user1', name: 'First1 Last1', email: 'user1@acme.test', state: 'applied' });
    expect(added.memberId).toMatch(/^[0-9a-f-]{36}$/);
    const runs = json(await runCli(['runs', accountId, '--json'], env));
    expect(runs.map((x: { id: string }) => x.id)).toEqual([runId]);
    const human = await runCli(['runs', 'show', runId], env);
    expect(human.stdout).toContain(`Run ${runId}: succeeded`);
  });

  it('refuses to check a member that is inactive in ConnectWise, saying why', async () => {
    const inactive = json(await runCli(['members', accountId, '--list', 'inactive', '--json'], env));
    const r = await runCli(['members', 'set-active', accountId, inactive[0].id, 'true'], env);
    expect(r.code).toBe(4);
    expect(r.stderr.trim()).toMatch(/^psa-sync: member .* is inactive in ConnectWise/);
  });

  it('explains a member unchecked by an admin, oldest change first', async () => {
    const staff = json(await runCli(['members', accountId, '--json'], env));
    const target = staff.find((m: { externalId: string }) => m.externalId === '2');
    expect((await runCli(['members', 'set-active', accountId, target.id, 'false', '--json'], env)).code).toBe(0);
    const explained = json(await runCli(['members', 'explain', accountId, target.id, '--json'], env));
    expect(explained.member).toMatchObject({ id: target.id, active: false, adminInactive: true });
    expect(explained.history.map((h: { action: string }) => h.action)).toEqual(['added', 'admin_unchecked']);
  });

  it('prints a failed run and exits non-zero when ConnectWise rejects the keys', async () => {
    fake.credentials = { ...FAKE_CREDENTIALS, privateKey: 'rotated' };
    const r = await runCli(['sync', accountId, '--json'], env);
    fake.credentials = FAKE_CREDENTIALS;
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout);
    expect(run).toMatchObject({ status: 'failed', error: { kind: 'auth' } });
    expect(r.stdout + r.stderr).not.toContain(FAKE_CREDENTIALS.privateKey);
  });

  it('creates API tokens once, per role, and refuses a support token tied to an account', async () => {
    const admin = await runCli(['--json', 'tokens', 'create', '--role', 'admin', '--account', accountId, '--name', 'ops'], env);
    expect(admin.code).toBe(0);
    const created = json(admin);
    expect(created).toMatchObject({ role: 'admin', accountId, name: 'ops', token: expect.stringMatching(/^psa_/) });
    const again = json(await runCli(['--json', 'tokens', 'create', '--role', 'admin', '--account', accountId], env));
    expect(again.token).not.toBe(created.token);
    const bad = await runCli(['tokens', 'create', '--role', 'support', '--account', accountId], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('support token reads every account');
    const noAccount = await runCli(['tokens', 'create', '--role', 'account_manager'], env);
    expect(noAccount.code).toBe(2);
  });

  it('updates an account; new settings clear an auth back-off, shown in accounts list', async () => {
    const before = json(await runCli(['--json', 'accounts', 'list'], env)).find((a: { id: string }) => a.id === accountId);
    expect(before.schedule).toMatchObject({ state: 'waiting_for_configuration', nextAttemptAt: null });
    const text = await runCli(['accounts', 'list'], env);
    expect(text.stdout).toContain('waiting_for_configuration');
    const file = path.join(dir, 'fixed.json');
    writeFileSync(file, JSON.stringify({ site: cw.url, ...FAKE_CREDENTIALS }));
    const r = await runCli(['--json', 'accounts', 'update', accountId, '--config', file, '--sync-at', '03:30', '--timezone', 'Europe/Paris'], env);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ syncAt: '03:30', timezone: 'Europe/Paris', schedule: { state: 'ok', consecutiveFailures: 0 } });
    expect(r.stdout).not.toContain(FAKE_CREDENTIALS.privateKey);
  });

  it('names unknown accounts and runs clearly', async () => {
    const r = await runCli(['runs', 'show', '00000000-0000-0000-0000-000000000000'], env);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('psa-sync: run 00000000-0000-0000-0000-000000000000 not found');
  });

  it('runs from the compiled build too (migrations from the explicit list)', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'psa-dist-'));
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT });
      // The build resolves packages from the project's node_modules.
      execFileSync('ln', ['-s', path.join(ROOT, 'node_modules'), path.join(out, 'node_modules')]);
      writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
      const fresh = await createTestDatabase();
      try {
        const denv = { DATABASE_URL: fresh.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
        const entry = path.join(out, 'src/cli.js');
        const before = await runCli(['accounts', 'list'], denv, { entry });
        expect(before.code).toBe(0);
        const migrated = json(await runCli(['migrate', '--json'], denv, { entry }));
        expect(migrated).toEqual({ applied: [] }); // the template is migrated; the build sees the same list
        expect(json(await runCli(['accounts', 'list', '--json'], denv, { entry }))).toEqual([]);
      } finally {
        await fresh.drop();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('CLI input and pipes (issue 9, items 4 and 12)', () => {
  it('every command that takes an id exits 2 with a one-line reason for a malformed one', async () => {
    const good = '3f2a9c1e-0000-4000-8000-000000000000';
    const commands: string[][] = [
      ['accounts', 'update', 'nope', '--seat-limit', '3'],
      ['accounts', 'snippet', 'nope'],
      ['survey-events', 'nope'],
      ['sync', 'nope'],
      ['sync', 'nope', '--dry-run'],
      ['runs', 'nope'],
      ['runs', 'show', 'nope'],
      ['runs', 'approve', 'nope'],
      ['runs', 'reject', 'nope'],
      ['members', 'nope'],
      ['members', 'set-active', 'nope', good, 'false'],
      ['members', 'set-active', good, 'nope', 'false'],
      ['members', 'explain', good, 'nope'],
      ['members', 'import', 'nope', '-', '--format', 'json'],
      ['tokens', 'create', '--role', 'admin', '--account', 'nope'],
      ['ratings', 'nope'],
      ['ratings', 'import', 'nope', '-', '--format', 'json'],
    ];
    const results = await Promise.all(commands.map((args) => runCli(args, env, { stdin: '[]' })));
    results.forEach((r, i) => {
      const label = commands[i]!.join(' ');
      expect(r.code, `${label}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), label).toHaveLength(1);
      expect(r.stderr, label).toMatch(/^psa-sync: "nope" is not a valid (account|member|run) id/);
      expect(r.stdout, label).toBe('');
    });
  }, 120_000);

  it('a reader that closes the pipe early ends the output quietly, not with an EPIPE stack', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--json', 'accounts', 'list'], { cwd: ROOT, env: { ...childBaseEnv(), ...env } });
    child.stdout.destroy(); // like `| head` exiting before the output is written
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});

describe('psa-sync CLI with Autotask', () => {
  it('adds an Autotask account with --integration autotask (named in the help), syncs it, and never prints the secret', async () => {
    const help = await runCli(['accounts', 'add', '--help'], env);
    expect(help.stdout).toContain('connectwise | autotask | halopsa | snippet');
    const at = await serveFake(new AutotaskFake(atRoster(4)));
    try {
      const file = path.join(dir, 'autotask.json');
      writeFileSync(file, JSON.stringify({ ...AT_CREDENTIALS, discoveryUrl: `${at.url}/atservicesrest/` }));
      const added = await runCli(['accounts', 'add', '--name', 'Acme Autotask', '--integration', 'autotask', '--config', file, '--json'], env);
      expect(added.code, added.stderr).toBe(0);
      const account = json(added);
      expect(account).toMatchObject({ integration: 'autotask', settings: { userName: AT_CREDENTIALS.userName, zoneUrl: '(discovered)', discoveryUrl: `${at.url}/atservicesrest/` } });
      const r = await runCli(['sync', account.id, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r)).toMatchObject({ status: 'succeeded', counts: { fetched: 8, added: 7, skipped: 1 } });
      for (const out of [added.stdout, r.stdout]) {
        expect(out).not.toContain(AT_CREDENTIALS.secret);
        expect(out).not.toContain(AT_CREDENTIALS.integrationCode);
      }
    } finally {
      await at.close();
    }
  });
});
