import { randomBytes, randomUUID } from 'node:crypto';
import type { Orm } from '../db/orm.js';
import { INTEGRATIONS, type Integration } from '../connector/contract.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../core/errors.js';
import type { SecretBox } from '../core/secret-box.js';
import { getAccount, insertAccount, listAccountsWithLastRun, updateAccount, type AccountPatch, type AccountRecord } from '../db/account-repository.js';
import { nextDailySync } from '../schedule/daily.js';
import { isStale, scheduleState } from '../schedule/backoff.js';
import { iso, type AccountView } from '../db/views.js';
import { requireId } from '../core/ids.js';
import { recordAudit } from '../db/audit-repository.js';
import { exec } from '../db/sql.js';

export interface AddAccountInput {
  name: string;
  integration: string;
  /** The connector's settings, secrets included, as parsed JSON. */
  settings: unknown;
  seatLimit?: number;
  syncAt?: string;
  timezone?: string;
  breakerPercent?: number;
  breakerMinMembers?: number;
  /** Refuse unsigned survey links (snippet accounts can also set it in their settings). */
  requireSignedLinks?: boolean;
}

export interface UpdateAccountInput {
  settings?: unknown;
  seatLimit?: number | null;
  syncAt?: string | null;
  timezone?: string;
  requireSignedLinks?: boolean;
  surveyAutoAddCap?: number;
  /** Circuit breaker (product.md §4): hold a run deactivating more than this % of Active members… */
  breakerPercent?: number;
  /** …and more than this many. */
  breakerMinMembers?: number;
}

function checkBreaker(percent: number | undefined, min: number | undefined): void {
  if (percent !== undefined && (!Number.isInteger(percent) || percent < 0 || percent > 100)) throw new InputError(`breaker percent must be a whole number from 0 to 100 (got ${percent})`);
  if (min !== undefined && (!Number.isInteger(min) || min < 0)) throw new InputError(`breaker minimum must be a whole number of members, 0 or more (got ${min})`);
}

function checkSeatLimit(v: number | null | undefined): void {
  if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 0)) throw new InputError('seat limit must be a whole number of members, 0 or more');
}

function checkSyncAt(v: string | null | undefined): void {
  if (v !== undefined && v !== null && !/^([01]\d|2[0-3]):[0-5]\d$/.test(v)) throw new InputError(`sync time must be HH:MM on a 24-hour clock (got "${v}")`);
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const AUDITED_FIELDS = ['seatLimit', 'syncAt', 'timezone', 'breakerPercent', 'breakerMinMembers', 'requireSignedLinks', 'surveyAutoAddCap'] as const;

/** The changed settings, before and after; new credentials are noted, never recorded. */
function settingsDiff(before: AccountRecord, after: AccountRecord, credentials: boolean): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const field of AUDITED_FIELDS) {
    if (before[field] !== after[field]) {
      b[field] = before[field];
      a[field] = after[field];
    }
  }
  if (credentials) (b.settings = '(previous)'), (a.settings = '(new settings, not recorded)');
  return { before: b, after: a };
}

/** Creates and lists accounts; connector settings are validated by the connector, then sealed. */
export class AccountService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly secretBox: () => SecretBox,
    private readonly clock: Clock,
  ) {}

  async add(input: AddAccountInput): Promise<AccountView> {
    const name = input.name.trim();
    if (name === '') throw new InputError('account name must not be empty');
    if (!(INTEGRATIONS as readonly string[]).includes(input.integration)) {
      throw new InputError(`integration must be one of ${INTEGRATIONS.join(', ')} (got "${input.integration}")`);
    }
    const integration = input.integration as Integration;
    const connector = this.registry.get(integration);
    const settings = connector.parseSettings(input.settings);
    checkSeatLimit(input.seatLimit);
    checkSyncAt(input.syncAt);
    const timezone = input.timezone ?? 'UTC';
    if (!validTimezone(timezone)) throw new InputError(`unknown IANA time zone "${timezone}"`);
    const breakerPercent = input.breakerPercent ?? 20;
    if (!Number.isInteger(breakerPercent) || breakerPercent < 0 || breakerPercent > 100) throw new InputError('breaker percent must be 0–100');
    const breakerMinMembers = input.breakerMinMembers ?? 5;
    if (!Number.isInteger(breakerMinMembers) || breakerMinMembers < 0) throw new InputError('breaker minimum must be 0 or more');

    const em = this.orm.em.fork();
    const id = randomUUID();
    const now = this.clock.now();
    try {
      const record = await insertAccount(
        em,
        {
          id,
          name,
          integration,
          settingsSealed: this.secretBox().seal(JSON.stringify(settings)),
          seatLimit: input.seatLimit ?? null,
          syncAt: input.syncAt ?? null,
          timezone,
          breakerPercent,
          breakerMinMembers,
          // Accounts without a PSA roster (snippet) have nothing to sync on a schedule.
          nextSyncAt: connector.rosterPolicy === 'none' ? null : nextDailySync({ id, syncAt: input.syncAt ?? null, timezone }, now),
          publicKey: randomBytes(16).toString('hex'),
          surveySecretSealed: this.secretBox().seal(randomBytes(32).toString('base64url')),
          requireSignedLinks: input.requireSignedLinks ?? (settings as { requireSignedLinks?: unknown }).requireSignedLinks === true,
        },
        now,
      );
      return this.view(record, null);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ConflictError(`an account named "${name}" already exists`, { cause: err });
      throw err;
    }
  }

  /**
   * Changes an account. New settings are validated by the connector and clear an auth or
   * configuration block; the account then syncs at the next scheduler tick.
   */
  async update(accountId: string, input: UpdateAccountInput, actor = 'cli', reason: string | null = null): Promise<AccountView> {
    requireId('account', accountId);
    const em = this.orm.em.fork();
    const current = await getAccount(em, accountId);
    if (!current) throw new NotFoundError(`account ${accountId} not found`);
    checkSeatLimit(input.seatLimit);
    checkSyncAt(input.syncAt);
    checkBreaker(input.breakerPercent, input.breakerMinMembers);
    if (input.timezone !== undefined && !validTimezone(input.timezone)) throw new InputError(`unknown IANA time zone "${input.timezone}"`);
    const now = this.clock.now();
    if (input.surveyAutoAddCap !== undefined && (!Number.isInteger(input.surveyAutoAddCap) || input.surveyAutoAddCap < 0)) {
      throw new InputError('the daily cap on members added from survey activity must be a whole number, 0 or more');
    }
    const patch: AccountPatch = {
      seatLimit: input.seatLimit,
      syncAt: input.syncAt,
      timezone: input.timezone,
      requireSignedLinks: input.requireSignedLinks,
      surveyAutoAddCap: input.surveyAutoAddCap,
      breakerPercent: input.breakerPercent,
      breakerMinMembers: input.breakerMinMembers,
    };
    if (input.settings !== undefined) {
      const settings = this.registry.get(current.integration).parseSettings(input.settings);
      patch.settingsSealed = this.secretBox().seal(JSON.stringify(settings));
      patch.clearBlock = true;
      const signed = (settings as { requireSignedLinks?: unknown }).requireSignedLinks;
      if (typeof signed === 'boolean' && input.requireSignedLinks === undefined) patch.requireSignedLinks = signed;
    }
    const syncAt = input.syncAt !== undefined ? input.syncAt : current.syncAt;
    const timezone = input.timezone ?? current.timezone;
    const scheduled = this.registry.get(current.integration).rosterPolicy !== 'none';
    if (scheduled && (input.syncAt !== undefined || input.timezone !== undefined)) patch.nextSyncAt = nextDailySync({ id: accountId, syncAt, timezone }, now);
    if (scheduled && patch.clearBlock && current.blockedReason) patch.nextSyncAt = now;
    const updated = await em.fork().transactional(async (tem) => {
      const row = await updateAccount(tem, accountId, patch, now);
      if (row) await recordAudit(tem, { accountId, actor, action: 'account.updated', target: { type: 'account', id: accountId }, ...settingsDiff(current, row, input.settings !== undefined), reason }, now);
      return row;
    });
    if (!updated) throw new NotFoundError(`account ${accountId} not found`);
    return this.get(accountId);
  }

  /** Who gets the account's notification emails: a list, or null for its admins. */
  async setNotificationEmails(accountId: string, emails: string[] | null, actor: string, reason: string | null = null): Promise<AccountView> {
    requireId('account', accountId);
    const cleaned = emails === null ? null : [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    for (const e of cleaned ?? []) if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) throw new InputError(`"${e.slice(0, 60)}" is not an email address`);
    if (cleaned && cleaned.length > 50) throw new InputError('at most 50 notification recipients');
    const now = this.clock.now();
    await this.orm.em.fork().transactional(async (tem) => {
      const before = await exec<Record<string, any>>(tem, 'select notify_emails from account where id = ? for update', [accountId]);
      if (!before[0]) throw new NotFoundError(`account ${accountId} not found`);
      await exec(tem, 'update account set notify_emails = ?::text[], updated_at = ? where id = ?', [cleaned, now, accountId]);
      await recordAudit(tem, { accountId, actor, action: 'account.notifications', target: { type: 'account', id: accountId }, before: { notificationEmails: before[0].notify_emails ?? null }, after: { notificationEmails: cleaned }, reason }, now);
    });
    return this.get(accountId);
  }

  /** Accounts with their state and last run; `only` narrows to one account (a caller of one account). */
  async list(only?: string): Promise<AccountView[]> {
    const rows = await listAccountsWithLastRun(this.orm.em.fork(), only);
    return rows.map((r) => this.view(r, r.lastRun, r.activeMembers, r.signInAdmins, r.pendingAdmins));
  }

  async get(accountId: string): Promise<AccountView> {
    requireId('account', accountId);
    const [account] = await this.list(accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    return account;
  }

  private view(a: AccountRecord, lastRun: Record<string, any> | null, activeMembers: number | null = null, signInAdmins = 0, pendingAdmins = 0): AccountView {
    const now = this.clock.now();
    const scheduled = this.registry.get(a.integration).rosterPolicy !== 'none';
    let settings: Record<string, unknown>;
    try {
      const connector = this.registry.get(a.integration);
      settings = connector.publicSettings(connector.parseSettings(JSON.parse(this.secretBox().open(a.settingsSealed))));
    } catch {
      settings = { unreadable: true };
    }
    return {
      id: a.id,
      name: a.name,
      integration: a.integration,
      settings,
      seatLimit: a.seatLimit,
      seats: activeMembers === null ? null : { active: activeMembers, limit: a.seatLimit },
      syncAt: a.syncAt,
      timezone: a.timezone,
      breaker: { percent: a.breakerPercent, minMembers: a.breakerMinMembers },
      publicKey: a.publicKey,
      requireSignedLinks: a.requireSignedLinks,
      surveyAutoAddCap: a.surveyAutoAddCap,
      createdAt: iso(a.createdAt)!,
      notificationEmails: a.notifyEmails,
      callback: { registered: a.cwCallbackId !== null, url: a.cwCallbackUrl, lastReceivedAt: iso(a.callbackLastAt) },
      admins: signInAdmins,
      pendingAdmins,
      noAdmin: signInAdmins === 0,
      schedule: {
        state: scheduled ? scheduleState(a, now) : 'not_scheduled',
        nextAttemptAt: a.blockedReason ? null : iso(a.backoffUntil && a.nextSyncAt && a.backoffUntil > a.nextSyncAt ? a.backoffUntil : a.nextSyncAt),
        consecutiveFailures: a.consecutiveFailures,
        backoffUntil: iso(a.backoffUntil),
        blockedReason: a.blockedReason,
        lastCompleteSyncAt: iso(a.lastFullReadAt),
        stale: scheduled && isStale(a, now),
      },
      lastRun: lastRun
        ? {
            id: lastRun.id,
            status: lastRun.status,
            finishedAt: iso(lastRun.finished_at),
            error: lastRun.error_kind ? { kind: lastRun.error_kind, message: lastRun.error_message } : null,
          }
        : null,
    };
  }
}
