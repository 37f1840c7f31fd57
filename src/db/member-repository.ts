import { copyRows } from './copy.js';
import { exec, inChunks } from './sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { LocalMember, MemberSource, MemberState } from '../domain/member.js';
import { iso, type MemberView } from './views.js';

type Row = Record<string, any>;

export const MEMBER_COLUMNS = `m.id, m.account_id, m.external_id, m.identifier, m.name, m.email, m.source, m.active, m.list,
  m.psa_active, m.inactive_reason, m.admin_inactive, m.first_seen_at, m.updated_at,
  m.department, m.work_role, m.location, m.title, m.hire_date::text as hire_date,
  case when m.source = 'psa' and m.inactive_reason is distinct from 'vanished' and a.last_full_read_at is not null
       then greatest(m.last_seen_at, a.last_full_read_at) else m.last_seen_at end as last_seen_at`;

export function toMemberView(r: Row): MemberView {
  return {
    id: r.id,
    accountId: r.account_id,
    externalId: r.external_id,
    identifier: r.identifier,
    name: r.name,
    email: r.email,
    source: r.source,
    active: r.active,
    list: r.list,
    psaActive: r.psa_active,
    inactiveReason: r.inactive_reason,
    adminInactive: r.admin_inactive,
    department: r.department,
    workRole: r.work_role,
    location: r.location,
    title: r.title,
    hireDate: r.hire_date,
    firstSeenAt: iso(r.first_seen_at)!,
    lastSeenAt: iso(r.last_seen_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/**
 * Member columns under the planner's names, so the driver's row objects serve as they are. The
 * hire date as text: the driver would make a date a local-midnight Date.
 */
export const LOCAL_COLUMNS = `id, external_id as "externalId", identifier, name, email, source, active, list, psa_active as "psaActive",
  inactive_reason as "inactiveReason", admin_inactive as "adminInactive",
  department, work_role as "workRole", location, title, hire_date::text as "hireDate"`;

/**
 * Everything the planner needs about an account's members, in one query. Columns come back under
 * the planner's names, so the driver's row objects are used as they are (no second copy per row).
 */
export async function loadLocalMembers(em: EntityManager, accountId: string): Promise<LocalMember[]> {
  return exec<LocalMember>(
    em,
    `select ${LOCAL_COLUMNS} from member where account_id = ?`,
    [accountId],
  );
}

/** Members on All Staff that an admin unchecked: a resync reports them even when nothing changed. */
export async function keptInactiveMembers(em: EntityManager, accountId: string): Promise<LocalMember[]> {
  return exec<LocalMember>(
    em,
    `select ${LOCAL_COLUMNS} from member where account_id = ? and admin_inactive and list = 'staff' and external_id is not null`,
    [accountId],
  );
}

/** A list of members, optionally only those with this department and/or location name (exactly). */
export async function listMembers(em: EntityManager, accountId: string, list: 'staff' | 'inactive_synced' | 'all', profile: { department?: string; location?: string } = {}): Promise<MemberView[]> {
  const rows: Row[] = await exec(em, 
    `select ${MEMBER_COLUMNS} from member m join account a on a.id = m.account_id
      where m.account_id = ? and (?::text = 'all' or m.list = ?::text)
        and (?::text is null or m.department = ?::text) and (?::text is null or m.location = ?::text)
      order by lower(m.name), m.id`,
    [accountId, list, list, profile.department ?? null, profile.department ?? null, profile.location ?? null, profile.location ?? null],
  );
  return rows.map(toMemberView);
}

export async function getMember(em: EntityManager, accountId: string, memberId: string, forUpdate = false): Promise<MemberView | undefined> {
  const rows: Row[] = await exec(em, 
    `select ${MEMBER_COLUMNS} from member m join account a on a.id = m.account_id
      where m.account_id = ? and m.id = ?${forUpdate ? ' for update of m' : ''}`,
    [accountId, memberId],
  );
  return rows[0] ? toMemberView(rows[0]) : undefined;
}

export async function countActive(em: EntityManager, accountId: string): Promise<number> {
  const [row]: Row[] = await exec(em, 'select count(*)::int as n from member where account_id = ? and active', [accountId]);
  return row?.n ?? 0;
}

const STATE_RECORD = `id uuid, external_id text, identifier text, name text, email text, active boolean, list text,
  psa_active boolean, inactive_reason text, admin_inactive boolean, department text, work_role text, location text, title text, hire_date date`;

function stateRow(id: string, s: MemberState) {
  return {
    id,
    external_id: s.externalId,
    identifier: s.identifier,
    name: s.name,
    email: s.email,
    active: s.active,
    list: s.list,
    psa_active: s.psaActive,
    inactive_reason: s.inactiveReason,
    admin_inactive: s.adminInactive,
    department: s.department,
    work_role: s.workRole,
    location: s.location,
    title: s.title,
    hire_date: s.hireDate,
  };
}

/** Inserts members with one COPY, whatever their number; must run inside a transaction. */
export async function insertMembers(em: EntityManager, accountId: string, source: MemberSource, members: { id: string; state: MemberState }[], at: Date): Promise<void> {
  if (members.length === 0) return;
  await copyRows(
    em,
    'member',
    ['id', 'account_id', 'external_id', 'identifier', 'name', 'email', 'source', 'active', 'list', 'psa_active', 'inactive_reason', 'admin_inactive', 'department', 'work_role', 'location', 'title', 'hire_date', 'first_seen_at', 'last_seen_at', 'updated_at'],
    (function* () {
      for (const { id, state: s } of members) {
        yield [id, accountId, s.externalId, s.identifier, s.name, s.email, source, s.active, s.list, s.psaActive, s.inactiveReason, s.adminInactive, s.department, s.workRole, s.location, s.title, s.hireDate, at, at, at];
      }
    })(),
  );
}

/** Writes members' new states with bulk statements (one per chunk of rows). */
export async function updateMembers(em: EntityManager, accountId: string, members: { id: string; state: MemberState }[], at: Date, seen: boolean): Promise<void> {
  await inChunks(members, (chunk) => exec(em,
    `update member m set external_id = x.external_id, identifier = x.identifier, name = x.name, email = x.email,
            active = x.active, list = x.list, psa_active = x.psa_active, inactive_reason = x.inactive_reason,
            admin_inactive = x.admin_inactive, department = x.department, work_role = x.work_role, location = x.location,
            title = x.title, hire_date = x.hire_date, updated_at = ?,
            last_seen_at = case when ?::boolean and x.inactive_reason is distinct from 'vanished' then ?::timestamptz else m.last_seen_at end
       from jsonb_to_recordset(?::jsonb) as x(${STATE_RECORD})
      where m.id = x.id and m.account_id = ?`,
    [at, seen, at, JSON.stringify(chunk.map((m) => stateRow(m.id, m.state))), accountId],
  ));
}

/**
 * The Active box for many members: only the columns it changes, from arrays (a bulk change of
 * 10,000 boxes is one statement that touches nothing else).
 */
export async function updateActiveBoxes(em: EntityManager, accountId: string, rows: { id: string; active: boolean; adminInactive: boolean; inactiveReason: string | null; list: string }[], at: Date): Promise<void> {
  await inChunks(rows, (chunk) =>
    exec(
      em,
      `update member m set active = x.active, admin_inactive = x.admin_inactive, inactive_reason = x.inactive_reason, list = x.list, updated_at = ?
         from unnest(?::uuid[], ?::boolean[], ?::boolean[], ?::text[], ?::text[]) as x(id, active, admin_inactive, inactive_reason, list)
        where m.id = x.id and m.account_id = ?`,
      [at, chunk.map((r) => r.id), chunk.map((r) => r.active), chunk.map((r) => r.adminInactive), chunk.map((r) => r.inactiveReason), chunk.map((r) => r.list), accountId],
    ),
  );
}

/** The members with these PSA ids (a callback run plans for them alone). */
export async function loadLocalMembersByExternalId(em: EntityManager, accountId: string, externalIds: string[]): Promise<LocalMember[]> {
  return exec<LocalMember>(em, `select ${LOCAL_COLUMNS} from member where account_id = ? and external_id = any(?::text[])`, [accountId, externalIds]);
}
