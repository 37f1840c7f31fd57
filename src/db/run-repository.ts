import { exec } from './sql.js';
import { pageOf, type PageRequest } from './paging.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PlanEntry, RunCounts } from '../domain/member.js';
import { iso, type RunStatus, type RunTrigger, type RunView } from './views.js';

type Row = Record<string, any>;

export function toRunView(r: Row): RunView {
  return {
    id: r.id,
    accountId: r.account_id,
    trigger: r.trigger,
    status: r.status,
    requestedBy: r.requested_by,
    dryRun: false,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    counts: r.counts ?? null,
    error: r.error_kind ? { kind: r.error_kind, message: r.error_message ?? '' } : null,
    holdReason: r.hold_reason,
    holdKind: r.hold_kind ?? null,
    decidedBy: r.decided_by,
    decidedAt: iso(r.decided_at),
  };
}

export interface ClaimRequest {
  id: string;
  accountId: string;
  trigger: RunTrigger;
  requestedBy: string;
  claimant: string;
  now: Date;
  leaseMs: number;
}

/**
 * Leases are judged by the database's clock, never a replica's: a lease runs `leaseMs` from the
 * database's `now()`, and expires when the database's `now()` passes it. (Bind the lease length.)
 */
export const LEASE_UNTIL = `now() + (?::bigint * interval '1 millisecond')`;

/**
 * Inserts the account's one active run — `running` under `claimant`, or `queued` for any replica —
 * unless it has one already; the partial unique index decides, so replicas and CLI processes
 * cannot both start one. Undefined when another run is active.
 */
export async function insertActiveRun(
  em: EntityManager,
  r: { id: string; accountId: string; trigger: RunTrigger; requestedBy: string; now: Date } & ({ status: 'queued' } | { status: 'running'; claimant: string; leaseMs: number }),
): Promise<RunView | undefined> {
  const running = r.status === 'running';
  const rows: Row[] = await exec(
    em,
    `insert into sync_run (id, account_id, trigger, status, requested_by, created_at, started_at, claimed_by, lease_expires_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ${running ? LEASE_UNTIL : 'null'})
     on conflict (account_id) where status in ('queued', 'running') do nothing
     returning *`,
    [r.id, r.accountId, r.trigger, r.status, r.requestedBy, r.now, running ? r.now : null, running ? r.claimant : null, ...(running ? [r.leaseMs] : [])],
  );
  return rows[0] ? toRunView(rows[0]) : undefined;
}

/** The account's queued or running run, if any. */
export async function findActiveRun(em: EntityManager, accountId: string): Promise<RunView | undefined> {
  const rows: Row[] = await exec(em, `select * from sync_run where account_id = ? and status in ('queued', 'running')`, [accountId]);
  return rows[0] ? toRunView(rows[0]) : undefined;
}

/**
 * Starts a run unless the account already has one queued or running. Returns the run now running
 * under this claimant (a queued one, e.g. Sync Members pressed in the API, is taken over), or
 * the existing running run to join.
 */
export async function startOrJoinRun(em: EntityManager, req: ClaimRequest): Promise<{ run: RunView; started: boolean }> {
  for (;;) {
    const inserted = await insertActiveRun(em, { ...req, status: 'running' });
    if (inserted) return { run: inserted, started: true };
    const claimed: Row[] = await exec(
      em,
      `update sync_run set status = 'running', started_at = ?, claimed_by = ?, lease_expires_at = ${LEASE_UNTIL}
        where account_id = ? and status = 'queued' returning *`,
      [req.now, req.claimant, req.leaseMs, req.accountId],
    );
    if (claimed[0]) return { run: toRunView(claimed[0]), started: true };
    const active = await findActiveRun(em, req.accountId);
    if (active) return { run: active, started: false };
    // The active run finished between statements: try again.
  }
}

/** Extends this claimant's lease on a running run; false when the claim is lost (expired and taken, or finished). */
export async function renewLease(em: EntityManager, runId: string, claimant: string, leaseMs: number): Promise<boolean> {
  const rows: Row[] = await exec(
    em,
    `update sync_run set lease_expires_at = ${LEASE_UNTIL} where id = ? and claimed_by = ? and status = 'running' returning id`,
    [leaseMs, runId, claimant],
  );
  return rows.length === 1;
}

/** A run and whether it is running on a lease that has lapsed (by the database's clock). */
export async function getRunLease(em: EntityManager, runId: string): Promise<{ run: RunView; lapsed: boolean } | undefined> {
  const rows: Row[] = await exec(em, `select *, (status = 'running' and lease_expires_at < now()) as lapsed from sync_run where id = ?`, [runId]);
  return rows[0] ? { run: toRunView(rows[0]), lapsed: rows[0].lapsed === true } : undefined;
}

export interface RunOutcome {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'held'>;
  counts: RunCounts | null;
  errorKind?: string;
  errorMessage?: string;
  holdReason?: string;
  /** Why the run is held (reconcile/types.ts `HoldKind`); a `scope_matches_nobody` plan is never approved. */
  holdKind?: string;
  planMembersVersion?: number;
  /** The account's read version the held plan was read at. */
  planReadVersion?: number;
}

/** Records how a run ended; only the claimant that runs it can finish it. */
export async function finishRun(em: EntityManager, runId: string, claimant: string, outcome: RunOutcome, now: Date): Promise<RunView | undefined> {
  const rows: Row[] = await exec(em, 
    `update sync_run set status = ?, finished_at = ?, counts = ?::jsonb, error_kind = ?, error_message = ?,
            hold_reason = ?, hold_kind = ?, plan_members_version = ?, plan_read_version = ?, claimed_by = null, lease_expires_at = null
      where id = ? and claimed_by = ? and status = 'running' returning *`,
    [
      outcome.status,
      now,
      outcome.counts ? JSON.stringify(outcome.counts) : null,
      outcome.errorKind ?? null,
      outcome.errorMessage ?? null,
      outcome.holdReason ?? null,
      outcome.holdReason ? (outcome.holdKind ?? null) : null,
      outcome.planMembersVersion ?? null,
      outcome.planReadVersion ?? null,
      runId,
      claimant,
    ],
  );
  return rows[0] ? toRunView(rows[0]) : undefined;
}

/** A run whose read matched the roster its account last applied, and whose plan writes no member. */
export interface UnchangedRunOutcome {
  runId: string;
  claimant: string;
  accountId: string;
  /** The members version the plan was made against; the roster fingerprint must be on record for it. */
  membersVersion: number;
  rosterHash: string;
  counts: RunCounts;
  /** The run's entries (skipped PSA records, members kept inactive by an admin), none of which writes a member. */
  entries: readonly PlanEntry[];
  actor: string;
  now: Date;
}

/**
 * Finishes an unchanged run in one statement: ends the run as succeeded, records the complete read
 * (ending any failure streak) and stores the run's entries. It takes effect only if, with the
 * account row locked, the members are still at `membersVersion` with that roster fingerprint on
 * record, and the run is still this claimant's; otherwise it changes nothing and returns
 * undefined, and the caller takes the general path, which locks and plans again.
 */
export async function finishUnchangedRun(em: EntityManager, o: UnchangedRunOutcome): Promise<RunView | undefined> {
  const rows: Row[] = await exec(
    em,
    `with account_row as (
       select id from account
        where id = ? and members_version = ? and roster_hash = ? and roster_hash_version = members_version
        for update),
     run as (
       update sync_run set status = 'succeeded', finished_at = ?, counts = ?::jsonb, claimed_by = null, lease_expires_at = null
        where id = ? and claimed_by = ? and status = 'running' and exists (select 1 from account_row)
        returning *),
     full_read as (
       update account set last_full_read_at = greatest(last_full_read_at, ?::timestamptz), read_version = read_version + 1, consecutive_failures = 0, backoff_until = null, blocked_reason = null
        where id = ? and exists (select 1 from run)),
     entries as (
       insert into member_change (run_id, account_id, member_id, external_id, identifier, name, email, action, reason, changes, state, actor, created_at)
       select run.id, run.account_id, x.member_id, x.external_id, x.identifier, x.name, x.email, x.action, x.reason, x.changes, 'applied', ?, ?
         from run, rows from (jsonb_to_recordset(?::jsonb) as ("memberId" uuid, "externalId" text, identifier text, name text, email text,
                                                               action text, reason text, changes jsonb))
                   with ordinality as x(member_id, external_id, identifier, name, email, action, reason, changes, ord)
        order by x.ord)
     select * from run`,
    [
      o.accountId,
      o.membersVersion,
      o.rosterHash,
      o.now,
      JSON.stringify(o.counts),
      o.runId,
      o.claimant,
      o.now,
      o.accountId,
      o.actor,
      o.now,
      JSON.stringify(o.entries), // PlanEntry fields by their own names; the others are ignored
    ],
  );
  return rows[0] ? toRunView(rows[0]) : undefined;
}

export async function getRun(em: EntityManager, runId: string, forUpdate = false): Promise<RunView | undefined> {
  const rows: Row[] = await exec(em, `select * from sync_run where id = ?${forUpdate ? ' for update' : ''}`, [runId]);
  return rows[0] ? toRunView(rows[0]) : undefined;
}

/** The members and read versions a held run's plan was made at. */
export async function getPlanVersions(em: EntityManager, runId: string): Promise<{ members: number | null; read: number | null }> {
  const [row]: Row[] = await exec(em, 'select plan_members_version, plan_read_version from sync_run where id = ?', [runId]);
  const n = (v: unknown) => (v == null ? null : Number(v));
  return { members: n(row?.plan_members_version), read: n(row?.plan_read_version) };
}

/** How long a held run waits for a decision before it expires. */
export const HELD_RUN_TTL_MS = 7 * 24 * 3600_000;

/** Ends held runs older than the TTL as `expired`, discarding their planned changes; returns them. */
export async function expireHeldRuns(em: EntityManager, now: Date, runId?: string): Promise<RunView[]> {
  const rows: Row[] = await exec(
    em,
    `with expired as (
       update sync_run set status = 'expired', decided_by = 'psa-sync (held for 7 days without a decision)', decided_at = ?
        where status = 'held' and finished_at < ? ${runId ? 'and id = ?' : ''}
        returning *),
     discarded as (
       update member_change set state = 'discarded' where state = 'planned' and run_id in (select id from expired))
     select * from expired`,
    runId ? [now, new Date(now.getTime() - HELD_RUN_TTL_MS), runId] : [now, new Date(now.getTime() - HELD_RUN_TTL_MS)],
  );
  return rows.map(toRunView);
}

/** Filters of the runs list (the console's Runs page). */
export interface RunFilter {
  status?: RunStatus;
  trigger?: RunTrigger;
  /** Runs created at or after / before these times. */
  since?: Date;
  until?: Date;
}

/** A page of an account's runs, newest first, by keyset on (created_at, id). */
export async function pageRuns(em: EntityManager, accountId: string, f: RunFilter, page: PageRequest): Promise<{ runs: RunView[]; nextCursor: string | null }> {
  const where = ['account_id = ?'];
  const params: unknown[] = [accountId];
  if (f.status) (where.push('status = ?'), params.push(f.status));
  if (f.trigger) (where.push('trigger = ?'), params.push(f.trigger));
  if (f.since) (where.push('created_at >= ?'), params.push(f.since));
  if (f.until) (where.push('created_at < ?'), params.push(f.until));
  if (page.cursor) (where.push('(created_at, id) < (?::timestamptz, ?::uuid)'), params.push(...page.cursor));
  const rows: Row[] = await exec(em, `select *, created_at::text as created_key from sync_run where ${where.join(' and ')} order by created_at desc, id desc limit ?`, [...params, page.limit + 1]);
  const { rows: shown, nextCursor } = pageOf(rows, page.limit, (r) => [r.created_key, r.id]);
  return { runs: shown.map(toRunView), nextCursor };
}

export async function listRuns(em: EntityManager, accountId: string, limit = 50): Promise<RunView[]> {
  const rows: Row[] = await exec(em, 'select * from sync_run where account_id = ? order by created_at desc, id limit ?', [accountId, limit]);
  return rows.map(toRunView);
}

export async function decideRun(em: EntityManager, runId: string, status: 'succeeded' | 'rejected', decidedBy: string, now: Date): Promise<RunView> {
  const [row]: Row[] = await exec(em, 
    `update sync_run set status = ?, decided_by = ?, decided_at = ? where id = ? and status = 'held' returning *`,
    [status, decidedBy, now, runId],
  );
  return toRunView(row!);
}
