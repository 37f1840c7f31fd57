import { exec, inChunks } from './sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MemberState, PlanEntry } from '../reconcile/types.js';
import { iso, type ChangeView } from './views.js';

type Row = Record<string, any>;

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
    changes: r.changes,
    state: r.state,
    actor: r.actor,
    surveyEventId: r.survey_event_id ?? null,
    createdAt: iso(r.created_at)!,
  };
}

/** Writes change entries in bulk statements; planned entries keep the state they would apply. */
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
  await inChunks(entries, async (chunk) => {
    const rows = chunk.map((e) => ({
      member_id: e.memberId,
      external_id: e.externalId,
      identifier: e.identifier,
      name: e.name,
      email: e.email,
      action: e.action,
      reason: e.reason,
      changes: e.changes,
      after_state: state === 'planned' && e.after ? { ...e.after, isNew: e.isNew === true } : null,
    }));
    await exec(
      em,
      `insert into member_change (run_id, account_id, member_id, external_id, identifier, name, email, action, reason,
                                  changes, state, after_state, actor, created_at, survey_event_id)
       select ?::uuid, ?, x.member_id, x.external_id, x.identifier, x.name, x.email, x.action, x.reason,
              x.changes, ?, x.after_state, ?, ?, ?::uuid
         from jsonb_to_recordset(?::jsonb) as x(member_id uuid, external_id text, identifier text, name text, email text,
                                                action text, reason text, changes jsonb, after_state jsonb)`,
      [runId, accountId, state, actor, at, surveyEventId, JSON.stringify(rows)],
    );
  });
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
      changes: r.changes,
      ...(r.after_state ? { after: after as MemberState } : {}),
      ...(isNew ? { isNew: true } : {}),
    };
  });
}

export async function setChangeState(em: EntityManager, runId: string, from: 'planned', to: 'applied' | 'discarded'): Promise<void> {
  await exec(em, 'update member_change set state = ? where run_id = ? and state = ?', [to, runId, from]);
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
