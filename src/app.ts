import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { createAutotaskConnector } from '../connectors/autotask/index.js';
import { connectWiseConnector } from '../connectors/connectwise/index.js';
import { createHaloConnector } from '../connectors/halopsa/index.js';
import { snippetConnector } from '../connectors/snippet/index.js';
import type { Env } from './config/env.js';
import { DEFAULT_HTTP_POLICY, type HttpObserver, type HttpPolicy } from './connector/http.js';
import { ConnectorRegistry } from './connector/registry.js';
import { systemClock, type Clock } from './core/clock.js';
import { AppError, InputError } from './core/errors.js';
import { createLogger, type Logger } from './core/logger.js';
import { generateSecretKey, SecretBox } from './core/secret-box.js';
import { startEmbedded, type EmbeddedDatabase } from './db/embedded.js';
import { migrate, openOrm, pendingMigrations, type Orm } from './db/orm.js';
import { SyncEngine } from './reconcile/engine.js';
import { AccountService } from './services/accounts.js';
import { MemberService } from './services/members.js';
import { RunService } from './services/runs.js';
import { TokenService } from './services/tokens.js';
import { SurveyService, type SurveyCaching } from './services/survey.js';
import { MemberImportService } from './services/member-import.js';
import { Metrics } from './daemon/metrics.js';
import { OutboxMailer, SmtpMailer, type Mailer } from './notify/mailer.js';
import { PasswordHasher } from './people/password-hasher.js';
import { PeopleService } from './services/people.js';
import { AuthService } from './services/auth.js';
import { WebhookService } from './services/webhooks.js';
import { NotificationWorker } from './notify/worker.js';
import { CallbackService } from './services/callbacks.js';
import { PSA_HOSTS } from './net/address-policy.js';
import { OutboundGuard, systemResolver, type Resolver } from './net/outbound-guard.js';
import { webhookGuard } from './notify/address-guard.js';
import { RatingsService } from './services/ratings.js';
import { SyncScopeService } from './services/sync-scope.js';

export interface AppOptions {
  env: Env;
  logger?: Logger;
  clock?: Clock;
  httpPolicy?: Partial<HttpPolicy>;
  observer?: HttpObserver;
  /**
   * `auto` applies pending migrations (the daemon, embedded mode); `check` refuses to run on an
   * out-of-date schema; `skip` is for the `migrate` command itself.
   */
  migrations?: 'auto' | 'check' | 'skip';
  leaseMs?: number;
  /** How long a caller waits for a run another process is running before giving up (default 30 min). */
  joinTimeoutMs?: number;
  /** This process's name in run claims (default host:pid). */
  claimant?: string;
  /** Password hashing (default: scrypt at OWASP's parameters, two at a time). */
  passwordHasher?: PasswordHasher;
  /**
   * Resolves host names for every outbound connection (PSAs, callback key fetches, webhooks);
   * default the system resolver. Tests answer their own addresses here (no real DNS).
   */
  resolve?: Resolver;
  /** How long survey intake reuses an account and an agent's matched member (defaults ACCOUNT_CACHE_MS, MATCH_CACHE_MS). */
  surveyCaching?: Partial<SurveyCaching>;
}

/** Everything a command or the daemon needs, built once. */
export interface App {
  env: Env;
  logger: Logger;
  clock: Clock;
  orm: Orm;
  registry: ConnectorRegistry;
  engine: SyncEngine;
  accounts: AccountService;
  members: MemberService;
  runs: RunService;
  tokens: TokenService;
  survey: SurveyService;
  imports: MemberImportService;
  metrics: Metrics;
  mailer: Mailer;
  people: PeopleService;
  auth: AuthService;
  webhooks: WebhookService;
  /** Delivers notifications (email, webhooks); the daemon runs it every tick, on every replica. */
  notifications: NotificationWorker;
  /** ConnectWise callbacks: registration, intake, coalesced runs. */
  callbacks: CallbackService;
  /** Ratings reports, lists, CSV, the employee dashboard and the history import (product.md §12). */
  ratings: RatingsService;
  /** The sync scope of ConnectWise and Autotask accounts: read with its choices, checked, stored (product.md §2). */
  syncScope: SyncScopeService;
  /** The embedded PostgreSQL, when psa-sync runs its own (no DATABASE_URL). */
  embedded?: EmbeddedDatabase;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

async function embeddedSecretKey(dataDir: string): Promise<string> {
  const file = path.join(path.resolve(dataDir), 'secret.key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const key = generateSecretKey();
  await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return (await readFile(file, 'utf8')).trim();
}

/** The composition root: config → logger → database → connectors → engine and services. */
export async function createApp(options: AppOptions): Promise<App> {
  const { env } = options;
  const logger = options.logger ?? createLogger(env.logLevel);
  const clock = options.clock ?? systemClock;

  let embedded: EmbeddedDatabase | undefined;
  const url = env.databaseUrl ?? (embedded = await startEmbedded(env.dataDir, logger)).url;
  const orm = await openOrm({ url, logger }).catch(async (cause: unknown) => {
    await embedded?.stop();
    throw new AppError('config', `cannot connect to PostgreSQL: ${(cause as Error).message}`, { cause });
  });

  const mode = options.migrations ?? (embedded ? 'auto' : 'check');
  if (mode === 'auto') {
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
  } else if (mode === 'check') {
    const pending = await pendingMigrations(orm);
    if (pending.length > 0) {
      await orm.close();
      throw new AppError('config', `the database schema is out of date (${pending.length} pending migrations); run \`psa-sync migrate\``);
    }
  }

  let box: SecretBox | undefined;
  const keyFromDataDir = embedded ? await embeddedSecretKey(env.dataDir) : undefined;
  const secretBox = () => {
    if (box) return box;
    const key = env.secretKey ?? keyFromDataDir;
    if (!key) throw new InputError('PSA_SYNC_SECRET_KEY is not set; it is required with DATABASE_URL to encrypt and read connector settings');
    return (box = new SecretBox(key));
  };

  const registry = new ConnectorRegistry([connectWiseConnector, createAutotaskConnector(), createHaloConnector(), snippetConnector]);
  const metrics = new Metrics();
  const extra = options.observer;
  const observer: HttpObserver = {
    onRequest: (psa, status) => {
      metrics.httpObserver.onRequest?.(psa, status);
      extra?.onRequest?.(psa, status);
    },
  };
  // Every outbound connection is checked at connect time against the policy for what it reaches.
  const resolve = options.resolve ?? systemResolver;
  const hooksGuard = webhookGuard(env.allowPrivateWebhooks, resolve);
  const httpPolicy: HttpPolicy = { ...DEFAULT_HTTP_POLICY, rateLimitBudgetMs: env.rateLimitBudgetMs, connectGuard: new OutboundGuard(PSA_HOSTS, resolve), ...options.httpPolicy };
  const engine = new SyncEngine({
    orm,
    registry,
    secretBox,
    clock,
    logger,
    httpPolicy,
    observer,
    onRunFinished: metrics.onRunFinished,
    claimant: options.claimant ?? env.daemon.replica ?? `${hostname()}:${process.pid}`,
    leaseMs: options.leaseMs ?? env.daemon.leaseMs,
    joinTimeoutMs: options.joinTimeoutMs,
  });

  const mailer: Mailer = env.mail.smtpUrl ? new SmtpMailer(env.mail.smtpUrl, env.mail.from, logger) : new OutboxMailer(orm, clock, logger);
  const hasher = options.passwordHasher ?? new PasswordHasher();

  return {
    env,
    logger,
    clock,
    orm,
    registry,
    engine,
    accounts: new AccountService(orm, registry, secretBox, clock),
    members: new MemberService(orm, registry, clock),
    runs: new RunService(orm),
    tokens: new TokenService(orm, clock),
    survey: new SurveyService(orm, registry, secretBox, clock, logger, options.surveyCaching),
    imports: new MemberImportService(orm, registry, clock),
    metrics,
    mailer,
    people: new PeopleService(orm, clock, mailer, env.publicUrl, logger),
    auth: new AuthService(orm, clock, hasher, mailer, env, logger),
    webhooks: new WebhookService(orm, clock, secretBox, env.allowPrivateWebhooks, hooksGuard),
    callbacks: new CallbackService(orm, registry, secretBox, clock, logger, engine, httpPolicy),
    notifications: new NotificationWorker({ orm, clock, logger, mailer, secretBox, publicUrl: env.publicUrl, supportEmail: env.supportEmail, allowPrivateWebhooks: env.allowPrivateWebhooks, webhookGuard: hooksGuard }),
    ratings: new RatingsService(orm, registry, clock, logger),
    syncScope: new SyncScopeService(orm, registry, engine, clock, logger),
    embedded,
    migrate: () => migrate(orm),
    async close() {
      await orm.close(true);
      await embedded?.stop();
    },
  };
}
