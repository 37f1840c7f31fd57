import { z } from 'zod';
import { InputError } from '../core/errors.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PSA_SYNC_DATA_DIR: z.string().min(1).default('./.psa-sync'),
  PSA_SYNC_SECRET_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be a base64-encoded 32-byte key')
    .optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  PSA_SYNC_MAX_CONCURRENT: z.coerce.number().int().min(1).max(256).default(4),
  PSA_SYNC_LEASE_MS: z.coerce.number().int().min(500).default(60_000),
  PSA_SYNC_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  PSA_SYNC_TICK_CRON: z.string().min(1).default('*/2 * * * * *'),
  PSA_SYNC_REPLICA: z.string().min(1).optional(),
  PSA_SYNC_PUBLIC_URL: z.string().url('must be a URL such as https://reviews.example.com').optional(),
  PSA_SYNC_SURVEY_RATE_PER_IP: z.coerce.number().int().min(1).default(60),
  PSA_SYNC_SURVEY_VIEW_RATE_PER_IP: z.coerce.number().int().min(1).default(300),
  PSA_SYNC_SURVEY_RATE_PER_ACCOUNT: z.coerce.number().int().min(1).default(600),
  PSA_SYNC_TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d+|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, 'must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses or CIDR ranges')
    .default('false'),
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587').optional(),
  PSA_SYNC_MAIL_FROM: z.string().min(3).default('psa-sync <psa-sync@localhost>'),
  PSA_SYNC_RATE_LIMIT_BUDGET_MS: z.coerce.number().int().min(1_000).default(180_000),
  PSA_SYNC_SUPPORT_EMAIL: z.string().email('must be an email address').optional(),
  PSA_SYNC_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  PSA_SYNC_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  PSA_SYNC_SIGNIN_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
  PSA_SYNC_SIGNIN_LIMIT_PER_PERSON: z.coerce.number().int().min(1).default(5),
  PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS: z.enum(['true', 'false']).default('false'),
});

/** The validated process configuration. Nothing below the composition root reads process.env. */
export interface Env {
  /** Connection string; when absent psa-sync runs an embedded PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  /** Where embedded PostgreSQL, its credentials and a generated secret key live. */
  dataDir: string;
  /** Base64 32-byte key that encrypts connector settings at rest. */
  secretKey?: string;
  port: number;
  host: string;
  logLevel: (typeof LOG_LEVELS)[number];
  daemon: {
    /** Runs one replica executes at once. */
    maxConcurrent: number;
    /** A run claim lasts this long without a heartbeat; a dead replica's run is failed after it. */
    leaseMs: number;
    /** Shutdown waits this long for running syncs before cancelling them. */
    shutdownGraceMs: number;
    /** node-cron expression of the scheduler tick. */
    tickCron: string;
    /** This replica's name in run claims (default host:pid). */
    replica?: string;
  };
  /** The public base URL of survey links (default http://HOST:PORT). */
  publicUrl: string;
  survey: { perIpPerMinute: number; viewsPerIpPerMinute: number; perAccountPerMinute: number };
  /**
   * Whom to believe about the client's address (X-Forwarded-For), for the survey rate limits: off
   * by default; behind a reverse proxy, `true`, a hop count, or the proxies' addresses.
   */
  trustProxy: boolean | number | string[];
  /** Mail: through `smtpUrl` when set, else into the outbox (`psa-sync mail outbox`). */
  mail: { smtpUrl?: string; from: string };
  /** Total time one sync may spend waiting on a PSA's throttling (429s) before it fails as `rate_limited`. */
  rateLimitBudgetMs: number;
  /** Where support's notifications go (product.md §10). */
  supportEmail?: string;
  /**
   * Console sign-in: a session ends after `idleMinutes` without a request or `maxHours` after sign-in;
   * failed sign-ins are limited per client address and per person, in a 15-minute window.
   */
  sessions: { idleMinutes: number; maxHours: number; failuresPerAddress: number; failuresPerPerson: number };
  /** Webhooks may reach private and loopback addresses (never link-local or metadata ones): tests and closed networks only. Callback key fetches follow the PSA host policy instead. */
  allowPrivateWebhooks: boolean;
}

function trustProxyOf(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((s) => s.trim());
}

/** Parses the environment once; a failure lists every bad variable in one message. */
export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new InputError(`invalid environment: ${problems}`);
  }
  const e = result.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.PSA_SYNC_DATA_DIR,
    secretKey: e.PSA_SYNC_SECRET_KEY,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    daemon: {
      maxConcurrent: e.PSA_SYNC_MAX_CONCURRENT,
      leaseMs: e.PSA_SYNC_LEASE_MS,
      shutdownGraceMs: e.PSA_SYNC_SHUTDOWN_GRACE_MS,
      tickCron: e.PSA_SYNC_TICK_CRON,
      replica: e.PSA_SYNC_REPLICA,
    },
    publicUrl: (e.PSA_SYNC_PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    survey: { perIpPerMinute: e.PSA_SYNC_SURVEY_RATE_PER_IP, viewsPerIpPerMinute: e.PSA_SYNC_SURVEY_VIEW_RATE_PER_IP, perAccountPerMinute: e.PSA_SYNC_SURVEY_RATE_PER_ACCOUNT },
    rateLimitBudgetMs: e.PSA_SYNC_RATE_LIMIT_BUDGET_MS,
    trustProxy: trustProxyOf(e.PSA_SYNC_TRUST_PROXY),
    mail: { smtpUrl: e.SMTP_URL, from: e.PSA_SYNC_MAIL_FROM },
    supportEmail: e.PSA_SYNC_SUPPORT_EMAIL,
    allowPrivateWebhooks: e.PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS === 'true',
    sessions: {
      idleMinutes: e.PSA_SYNC_SESSION_IDLE_MINUTES,
      maxHours: e.PSA_SYNC_SESSION_MAX_HOURS,
      failuresPerAddress: e.PSA_SYNC_SIGNIN_LIMIT_PER_ADDRESS,
      failuresPerPerson: e.PSA_SYNC_SIGNIN_LIMIT_PER_PERSON,
    },
  };
}
