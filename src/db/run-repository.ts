import { exec } from './sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PlanEntry, RunCounts } from '../reconcile/types.js';
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
 * Starts a run unless the account already has one queued or running; the partial unique index
 * decides, so replicas and CLI processes cannot both start one. Returns the run now running
 * under this claimant, or the existing active run to join.
 */
export async function startOrJoinRun(em: EntityManager, req: ClaimRequest): Promise<{ run: RunView; started: boolean }> {
  const lease = new Date(req.now.getTime() + req.leaseMs);
  const inserted: Row[] = await exec(em, 
    `insert into sync_run (id, account_id, trigger, status, requested_by, created_at, started_at, claimed_by, lease_expires_at)
     values (?, ?, ?, 'running', ?, ?, ?, ?, ?)
     on conflict (account_id) where status in ('queued', 'running') do nothing
     returning *`,
    [req.id, req.accountId, req.trigger, req.requestedBy, req.now, req.now, req.claimant, lease],
  );
  if (inserted[0]) return { run: toRunView(inserted[0]), started: true };
  // A queued run (e.g. Sync Members pressed in the API) is taken over; a running one is joined.
  const claimed: Row[] = await exec(em, 
    `update sync_run set status = 'running', started_at = ?, claimed_by = ?, lease_expires_at = ?
      where account_id = ? and status = 'queued' returning *`,
    [req.now, req.claimant, lease, req.accountId],
  );
  if (claimed[0]) return { run: toRunView(claimed[0]), started: true };
  const active: Row[] = await exec(em, `select * from sync_run where account_id = ? and status in ('queued', 'running')`, [req.accountId]);
  if (active[0]) return { run: toRunView(active[0]), started: false };
  return startOrJoinRun(em, req); // the active run finished between statements: try again
}

export async function renewLease(em: EntityManager, runId: string, claimant: string, until: Date): Promise<boolean> {
  const rows: Row[] = await exec(em, 
    `update sync_run set lease_expires_at = ? where id = ? and claimed_by = ? and status = 'running' returning id`,
    [until, runId, claimant],
  );
  return rows.length === 1;
}

export interface RunOutcome {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'held'>;
  counts: RunCounts | null;
  errorKind?: string;
  errorMessage?: string;
  holdReason?: string;
  planMembersVersion?: number;
  /** The account's read version the held plan was read at. */
  planReadVersion?: number;
}

/** Records how a run ended; only the claimant that runs it can finish it. */
export async function finishRun(em: EntityManager, runId: string, claimant: string, outcome: RunOutcome, now: Date): Promise<RunView | undefined> {
  const rows: Row[] = await exec(em, 
    `update sync_run set status = ?, finished_at = ?, counts = ?::jsonb, error_kind = ?, error_message = ?,
            hold_reason = ?, plan_members_version = ?, plan_read_version = ?, claimed_by = null, lease_expires_at = null
      where id = ? and claimed_by = ? and status = 'running' returning *`,
    [
      outcome.status,
      now,
      outcome.counts ? JSON.stringify(outcome.counts) : null,
      outcome.errorKind ?? null,
      outcome.errorMessage ?? null,
      outcome.holdReason ?? null,
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
