import type { MemberScope } from '../access/principal.js';
import { memberScopeCondition } from './scope-sql.js';
import { copyRows } from './copy.js';
import { exec } from './sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { diffState, PROFILE_FIELDS, type FieldChange, type MemberState, type PlanEntry } from '../domain/member.js';
import { iso, type ChangeView, type RunTally } from './views.js';
import { pageOf, type PageRequest } from './paging.js';

type Row = Record<string, any>;

/**
 * An entry that creates a member is stored compactly: its field list is exactly the new state's
 * non-null fields, so the row keeps the part of that state its own columns lack (`after_state`)
 * and `changes` stays empty.
 * Readers get the field list back, identical to what was planned.
 */
function storedChanges(r: Row): FieldChange[] {
  if (r.action === 'added' && Array.isArray(r.changes) && r.changes.length === 0 && r.after_state) {
    const { isNew: _isNew, ...after } = r.after_state as Partial<MemberState> & { isNew?: boolean };
    return diffState(null, { externalId: r.external_id, identifier: r.identifier, name: r.name, email: r.email, ...after } as MemberState);
  }
  return r.changes;
}

/**
 * The state columns of an added member that the change row's own columns do not already hold; of
 * the profile fields only those it has (a missing one reads as null).
 */
function compactState(s: MemberState): Record<string, unknown> {
  const out: Record<string, unknown> = { active: s.active, list: s.list, psaActive: s.psaActive, inactiveReason: s.inactiveReason, adminInactive: s.adminInactive };
  for (const f of PROFILE_FIELDS) if (s[f] !== null && s[f] !== undefined) out[f] = s[f];
  return out;
}

export function toChangeView(r: Row): ChangeView {
  return {
    id: r.id == null ? null : String(r.id),
    runId: r.run_id,
    memberId: r.member_id,
    externalId: r.external_id,
    identifier: r.identifier,
    name: r.name,
    email: r.email,
    action: r.action,
    reason: r.reason,
    changes: storedChanges(r),
    state: r.state,
    actor: r.actor,
    surveyEventId: r.survey_event_id ?? null,
    createdAt: iso(r.created_at)!,
  };
}

const compact = (e: PlanEntry) => e.action === 'added' && e.isNew === true && e.after !== undefined;

/** Writes change entries with one COPY (inside the caller's transaction); planned entries keep the state they would apply. */
export async function insertChanges(
  em: EntityManager,
  accountId: string,
  runId: string | null,
  entries: readonly PlanEntry[],
  state: 'planned' | 'applied',
  actor: string,
  at: Date,
  surveyEventId: string | null = null,
): Promise<void> {
  if (entries.length === 0) return;
  await copyRows(
    em,
    'member_change',
    ['run_id', 'account_id', 'member_id', 'external_id', 'identifier', 'name', 'email', 'action', 'reason', 'changes', 'state', 'after_state', 'actor', 'created_at', 'survey_event_id'],
    (function* () {
      for (const e of entries) yield [
      runId,
      accountId,
      e.memberId,
      e.externalId,
      e.identifier,
      e.name,
      e.email,
      e.action,
      e.reason,
      compact(e) ? [] : e.changes,
      state,
      state === 'planned' && e.after ? { ...e.after, isNew: e.isNew === true } : compact(e) ? compactState(e.after!) : null,
      actor,
      at,
      surveyEventId,
    ];
    })(),
  );
}

/** The planned entries of a held run, in the order they were planned. */
export async function loadPlannedEntries(em: EntityManager, runId: string): Promise<PlanEntry[]> {
  const rows: Row[] = await exec(em, 
    `select member_id, external_id, identifier, name, email, action, reason, changes, after_state
       from member_change where run_id = ? and state = 'planned' order by id`,
    [runId],
  );
  return rows.map((r) => {
    const { isNew, ...after } = (r.after_state ?? {}) as MemberState & { isNew?: boolean };
    return {
      memberId: r.member_id,
      externalId: r.external_id,
      identifier: r.identifier,
      name: r.name,
      email: r.email,
      action: r.action,
      reason: r.reason,
      changes: storedChanges(r),
      ...(r.after_state ? { after: after as MemberState } : {}),
      ...(isNew ? { isNew: true } : {}),
    };
  });
}

export async function setChangeState(em: EntityManager, runId: string, from: 'planned', to: 'applied' | 'discarded'): Promise<void> {
  await exec(em, 'update member_change set state = ? where run_id = ? and state = ?', [to, runId, from]);
}

/** A run's change entries in pages, in order, by keyset on the entry id; `memberScope` keeps only those of the members a caller may see. */
export async function pageRunChanges(em: EntityManager, runId: string, page: PageRequest, memberScope: MemberScope | null = null): Promise<{ changes: ChangeView[]; nextCursor: string | null }> {
  const params: unknown[] = [runId];
  const scope = memberScopeCondition('member_id', memberScope, params);
  if (page.cursor) params.push(page.cursor[0]);
  const rows: Row[] = await exec(
    em,
    `select * from member_change where run_id = ?${scope} ${page.cursor ? 'and id > ?::bigint' : ''} order by id limit ?`,
    [...params, page.limit + 1],
  );
  const { rows: shown, nextCursor } = pageOf(rows, page.limit, (r) => [String(r.id)]);
  return { changes: shown.map(toChangeView), nextCursor };
}

// An entry makes a member Active when its field list says so; a new member's compact row keeps it in after_state.
const MADE_ACTIVE = `(changes @> '[{"field": "active", "after": true}]'::jsonb or (action = 'added' and after_state->>'active' = 'true'))`;

/**
 * Each run's tally (`RunTally`), from its change entries in any state, for the runs given; a run
 * without entries is absent. The same rules as `tallyChanges` (console/change-words.ts) in SQL.
 */
export async function runTallies(em: EntityManager, runIds: readonly string[]): Promise<Map<string, RunTally>> {
  if (runIds.length === 0) return new Map();
  const rows: Row[] = await exec(
    em,
    `select run_id,
            count(*) filter (where action <> 'skipped')::int as changes,
            count(*) filter (where ${MADE_ACTIVE})::int as made_active,
            count(*) filter (where reason = 'seat_limit_reached' and not ${MADE_ACTIVE})::int as waiting_for_seat,
            count(*) filter (where action = 'reactivated' and reason <> 'seat_limit_reached' and not ${MADE_ACTIVE})::int as kept_unchecked
       from member_change where run_id = any(?::uuid[]) group by run_id`,
    [runIds],
  );
  return new Map(rows.map((r) => [r.run_id as string, { changes: r.changes, madeActive: r.made_active, waitingForSeat: r.waiting_for_seat, keptUncheckedByAdmin: r.kept_unchecked }]));
}

export async function listRunChanges(em: EntityManager, runId: string): Promise<ChangeView[]> {
  const rows: Row[] = await exec(em, 'select * from member_change where run_id = ? order by id', [runId]);
  return rows.map(toChangeView);
}

/** A member's applied history, oldest first. */
export async function memberHistory(em: EntityManager, memberId: string): Promise<ChangeView[]> {
  const rows: Row[] = await exec(em, `select * from member_change where member_id = ? and state = 'applied' order by id`, [memberId]);
  return rows.map(toChangeView);
}
