import { exec, execPrepared } from './sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Integration } from '../connector/contract.js';
import { storedScope, type SyncScope } from '../domain/scope.js';

type Row = Record<string, any>;

/** An account row as stored; settings stay sealed until a connector needs them. */
export interface AccountRecord {
  id: string;
  name: string;
  integration: Integration;
  settingsSealed: string;
  seatLimit: number | null;
  syncAt: string | null;
  timezone: string;
  breakerPercent: number;
  breakerMinMembers: number;
  membersVersion: number;
  /** Bumped by every complete read of the PSA (applied, unchanged or held): a held plan read at an older version is stale. */
  readVersion: number;
  lastFullReadAt: Date | null;
  /** When the scheduler next runs a sync (daily time, or a back-off retry). */
  nextSyncAt: Date | null;
  consecutiveFailures: number;
  backoffUntil: Date | null;
  /** Set after an auth or configuration failure: only new settings or a manual sync help. */
  blockedReason: string | null;
  /** The account's key in public survey links. */
  publicKey: string;
  /** HMAC key of signed survey links, sealed like connector settings. */
  surveySecretSealed: string | null;
  requireSignedLinks: boolean;
  /** Most members survey activity may add per day. */
  surveyAutoAddCap: number;
  /** Fingerprint of the roster the last applied sync read, valid while members are at `rosterHashVersion`. */
  rosterHash: string | null;
  rosterHashVersion: number | null;
  /** Who gets notification emails; null: the account's admins. */
  notifyEmails: string[] | null;
  /** The ConnectWise callback psa-sync registered, and when one last arrived. */
  cwCallbackId: number | null;
  cwCallbackUrl: string | null;
  callbackLastAt: Date | null;
  /** Which PSA members are staff (product.md §2 "Sync scope"); every dimension empty: everyone. */
  syncScope: SyncScope;
  /** The read version the last scope change moved to: a plan held at an older one was made for another scope. */
  syncScopeReadVersion: number | null;
  createdAt: Date;
}

const date = (v: Date | string | null | undefined): Date | null => (v == null ? null : new Date(v));

function toRecord(r: Row): AccountRecord {
  return {
    id: r.id,
    name: r.name,
    integration: r.integration,
    settingsSealed: r.settings_sealed,
    seatLimit: r.seat_limit,
    syncAt: r.sync_at,
    timezone: r.timezone,
    breakerPercent: r.breaker_percent,
    breakerMinMembers: r.breaker_min_members,
    membersVersion: Number(r.members_version),
    readVersion: Number(r.read_version ?? 0),
    lastFullReadAt: date(r.last_full_read_at),
    nextSyncAt: date(r.next_sync_at),
    consecutiveFailures: r.consecutive_failures,
    backoffUntil: date(r.backoff_until),
    blockedReason: r.blocked_reason,
    notifyEmails: r.notify_emails ?? null,
    cwCallbackId: r.cw_callback_id ?? null,
    cwCallbackUrl: r.cw_callback_url ?? null,
    callbackLastAt: date(r.callback_last_at),
    publicKey: r.public_key,
    surveySecretSealed: r.survey_secret_sealed,
    requireSignedLinks: r.require_signed_links,
    surveyAutoAddCap: r.survey_auto_add_cap,
    rosterHash: r.roster_hash ?? null,
    rosterHashVersion: r.roster_hash_version == null ? null : Number(r.roster_hash_version),
    syncScope: storedScope(r.sync_scope),
    syncScopeReadVersion: r.sync_scope_read_version == null ? null : Number(r.sync_scope_read_version),
    createdAt: date(r.created_at)!,
  };
}

export type NewAccount = Omit<
  AccountRecord,
  'membersVersion' | 'readVersion' | 'lastFullReadAt' | 'createdAt' | 'consecutiveFailures' | 'backoffUntil' | 'blockedReason' | 'surveyAutoAddCap' | 'rosterHash' | 'rosterHashVersion' | 'notifyEmails' | 'cwCallbackId' | 'cwCallbackUrl' | 'callbackLastAt' | 'syncScope' | 'syncScopeReadVersion'
>;

export async function insertAccount(em: EntityManager, a: NewAccount, now: Date): Promise<AccountRecord> {
  const [row]: Row[] = await exec(em, 
    `insert into account (id, name, integration, settings_sealed, seat_limit, sync_at, timezone, breaker_percent,
                          breaker_min_members, next_sync_at, public_key, survey_secret_sealed, require_signed_links, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *`,
    [a.id, a.name, a.integration, a.settingsSealed, a.seatLimit, a.syncAt, a.timezone, a.breakerPercent, a.breakerMinMembers, a.nextSyncAt,
     a.publicKey, a.surveySecretSealed, a.requireSignedLinks, now, now],
  );
  return toRecord(row!);
}

export async function getAccount(em: EntityManager, id: string): Promise<AccountRecord | undefined> {
  const rows: Row[] = await exec(em, 'select * from account where id = ?', [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Locks the account row for the rest of the transaction; member writes take this lock first. */
export async function lockAccount(em: EntityManager, id: string): Promise<AccountRecord | undefined> {
  const rows: Row[] = await exec(em, 'select * from account where id = ? for update', [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Records that members changed, so plans made against an older version are known stale. */
export async function bumpMembersVersion(em: EntityManager, id: string, now: Date): Promise<void> {
  await exec(em, 'update account set members_version = members_version + 1, updated_at = ? where id = ?', [now, id]);
}

/**
 * Records a complete, applied read (never moving the last full read back in time) and bumps the
 * read version. With `rosterHash`, also remembers what was read, valid for the members version this
 * transaction leaves (any later member write makes it stale); without it, forgets any remembered roster.
 */
export async function recordFullRead(em: EntityManager, id: string, at: Date, rosterHash: string | null = null): Promise<void> {
  await exec(
    em,
    `update account set last_full_read_at = greatest(last_full_read_at, ?::timestamptz), read_version = read_version + 1, roster_hash = ?::text,
            roster_hash_version = case when ?::text is null then null else members_version end
      where id = ?`,
    [at, rosterHash, rosterHash, id],
  );
}

/** Records a complete read that was not applied (a held plan); returns the new read version. */
export async function bumpReadVersion(em: EntityManager, id: string): Promise<number> {
  const [row]: Row[] = await exec(em, 'update account set read_version = read_version + 1 where id = ? returning read_version', [id]);
  return Number(row!.read_version);
}

/** The few members an unchanged roster still reports on: Active unchecked by an admin, on All Staff. */
export async function rosterSummary(em: EntityManager, id: string): Promise<{ withPsaId: number; active: number }> {
  const [row]: Row[] = await exec(
    em,
    'select (count(*) filter (where external_id is not null))::int as with_psa_id, (count(*) filter (where active))::int as active from member where account_id = ?',
    [id],
  );
  return { withPsaId: row?.with_psa_id ?? 0, active: row?.active ?? 0 };
}

/**
 * Accounts with their last run, Active members, admins who can sign in (the view `signin_admin`)
 * and admins invited who have not set a password yet (pending invitations, counted apart).
 */
export async function listAccountsWithLastRun(em: EntityManager, only?: string): Promise<(AccountRecord & { lastRun: Row | null; activeMembers: number; signInAdmins: number; pendingAdmins: number })[]> {
  const rows: Row[] = await exec(em,
    `select a.*, to_jsonb(r) as last_run,
            (select count(*)::int from member m where m.account_id = a.id and m.active) as active_members,
            (select count(*)::int from signin_admin p where p.account_id = a.id) as signin_admins,
            (select count(*)::int from person p where p.account_id = a.id and p.role = 'admin' and p.activated_at is null and p.suspended_at is null) as pending_admins
       from account a
       left join lateral (select id, status, finished_at, error_kind, error_message from sync_run
                           where account_id = a.id order by created_at desc limit 1) r on true
      ${only ? 'where a.id = ?' : ''}
      order by a.name`,
    only ? [only] : [],
  );
  return rows.map((r) => ({ ...toRecord(r), lastRun: r.last_run ?? null, activeMembers: r.active_members, signInAdmins: r.signin_admins, pendingAdmins: r.pending_admins }));
}

/** The changeable fields of an account; absent fields stay as they are. */
export interface AccountPatch {
  settingsSealed?: string;
  seatLimit?: number | null;
  syncAt?: string | null;
  timezone?: string;
  nextSyncAt?: Date | null;
  requireSignedLinks?: boolean;
  surveyAutoAddCap?: number;
  breakerPercent?: number;
  breakerMinMembers?: number;
  /** New settings: forget an auth/config block and the failure streak. */
  clearBlock?: boolean;
}

export async function updateAccount(em: EntityManager, id: string, patch: AccountPatch, now: Date): Promise<AccountRecord | undefined> {
  const sets: string[] = ['updated_at = ?'];
  const params: unknown[] = [now];
  const set = (column: string, value: unknown) => {
    sets.push(`${column} = ?`);
    params.push(value);
  };
  if (patch.settingsSealed !== undefined) set('settings_sealed', patch.settingsSealed);
  if (patch.seatLimit !== undefined) set('seat_limit', patch.seatLimit);
  if (patch.syncAt !== undefined) set('sync_at', patch.syncAt);
  if (patch.timezone !== undefined) set('timezone', patch.timezone);
  if (patch.nextSyncAt !== undefined) set('next_sync_at', patch.nextSyncAt);
  if (patch.requireSignedLinks !== undefined) set('require_signed_links', patch.requireSignedLinks);
  if (patch.surveyAutoAddCap !== undefined) set('survey_auto_add_cap', patch.surveyAutoAddCap);
  if (patch.breakerPercent !== undefined) set('breaker_percent', patch.breakerPercent);
  if (patch.breakerMinMembers !== undefined) set('breaker_min_members', patch.breakerMinMembers);
  if (patch.clearBlock) sets.push('blocked_reason = null', 'consecutive_failures = 0', 'backoff_until = null');
  const rows: Row[] = await exec(em, `update account set ${sets.join(', ')} where id = ? returning *`, [...params, id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function getAccountByPublicKey(em: EntityManager, publicKey: string): Promise<AccountRecord | undefined> {
  // Every survey click asks this: a prepared statement.
  const rows: Row[] = await execPrepared(em, 'psa_sync_account_by_key', 'select * from account where public_key = $1', [publicKey]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Accounts by scheduling health, across all replicas (for `/metrics` alarms). */
export async function accountHealthCounts(
  em: EntityManager,
  opts: { now: Date; staleBefore: Date; scheduledIntegrations: readonly string[] },
): Promise<{ total: number; backingOff: number; waitingForConfiguration: number; stale: number }> {
  const [row]: Row[] = await exec(
    em,
    `select count(*)::int as total,
            (count(*) filter (where blocked_reason is not null))::int as waiting,
            (count(*) filter (where blocked_reason is null and backoff_until > ?))::int as backing_off,
            (count(*) filter (where integration = any(?::text[]) and coalesce(last_full_read_at, created_at) < ?))::int as stale
       from account`,
    [opts.now, [...opts.scheduledIntegrations], opts.staleBefore],
  );
  return { total: row!.total, backingOff: row!.backing_off, waitingForConfiguration: row!.waiting, stale: row!.stale };
}

/**
 * Stores a new sync scope, in the caller's transaction with the account row locked. It counts as a
 * new read version, so a plan held under the old scope can no longer be approved, and forgets the
 * remembered roster, so the next sync plans every member under the new scope (see roster-hash.ts).
 */
export async function setSyncScope(em: EntityManager, id: string, scope: SyncScope, now: Date): Promise<AccountRecord | undefined> {
  const rows: Row[] = await exec(
    em,
    `update account set sync_scope = ?::jsonb, read_version = read_version + 1, sync_scope_read_version = read_version + 1,
            roster_hash = null, roster_hash_version = null, updated_at = ?
      where id = ? returning *`,
    [JSON.stringify(scope), now, id],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}
