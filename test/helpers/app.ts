import { createApp, type App, type AppOptions } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import type { HttpPolicy } from '../../src/connector/http.js';
import type { Clock } from '../../src/core/clock.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import type { Resolver } from '../../src/net/outbound-guard.js';

/** The system clock, moved by `offsetMs`: time travel (expiry) or a replica whose clock is wrong. */
export class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** Moves the clock so that it reads `instant` now (and runs on from there), whatever the wall clock says. */
  at(instant: string | Date): void {
    this.offsetMs = new Date(instant).getTime() - Date.now();
  }
}

/** A logger whose JSON lines are kept in memory, for tests that read what was logged. */
export function memoryLogger(level = 'info'): { logger: Logger; lines: () => Record<string, any>[] } {
  const out: string[] = [];
  const logger = createLogger(level, { write: (chunk: string) => void out.push(chunk) });
  return { logger, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>) };
}
import { createTestDatabase } from './db.js';
import { PasswordHasher } from '../../src/people/password-hasher.js';

/**
 * scrypt with a small N, so tests that sign in many times stay fast. The production parameters
 * are exercised by test/unit/passwords.test.ts; the format and checks are the same code.
 */
export const fastHasher = () => new PasswordHasher(2, { ln: 10, r: 8, p: 1 });

export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

/** Retry figures small enough for tests, same shape as production. */
export const FAST_POLICY: HttpPolicy = {
  timeoutMs: 2_000,
  retries: 2,
  minBackoffMs: 5,
  maxBackoffMs: 20,
  rateLimitBackoffMs: 20,
  rateLimitBackoffMaxMs: 200,
  rateLimitBudgetMs: 5_000,
};

/** A throttle wait that returns at once and records what the client asked to wait (HttpPolicy.wait). */
export function recordWait(waits: number[]): (ms: number) => Promise<void> {
  return async (ms) => {
    waits.push(ms);
  };
}

export interface TestApp {
  app: App;
  url: string;
  close(): Promise<void>;
}

/** The real composition root on a fresh database. */
export async function createTestApp(options: { clock?: Clock; httpPolicy?: Partial<HttpPolicy>; leaseMs?: number; joinTimeoutMs?: number; logger?: Logger; passwordHasher?: PasswordHasher; env?: Record<string, string>; databaseUrl?: string; resolve?: Resolver; surveyCaching?: AppOptions['surveyCaching'] } = {}): Promise<TestApp> {
  const db = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  // Port 0: a test never takes the configured port (a developer may have a daemon on 8080).
  const env = parseEnv({ DATABASE_URL: db.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', PORT: '0', ...options.env });
  const app = await createApp({ env, logger: options.logger ?? createLogger(env.logLevel), clock: options.clock, httpPolicy: { ...FAST_POLICY, ...options.httpPolicy }, leaseMs: options.leaseMs, joinTimeoutMs: options.joinTimeoutMs, passwordHasher: options.passwordHasher ?? fastHasher(), resolve: options.resolve, surveyCaching: options.surveyCaching });
  return {
    app,
    url: db.url,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
