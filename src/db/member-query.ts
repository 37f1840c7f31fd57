import type { MemberScope } from '../access/principal.js';
import { memberScopeCondition } from './scope-sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InputError } from '../core/errors.js';
import { exec } from './sql.js';
import { toMemberView, MEMBER_COLUMNS } from './member-repository.js';
import type { MemberView } from './views.js';
import type { LocalMember } from '../domain/member.js';

type Row = Record<string, any>;

/** Columns a member list can be sorted by: the SQL expression and its type (for the cursor). */
export const MEMBER_SORTS = {
  name: { expr: 'lower(m.name)', type: 'text' },
  email: { expr: "lower(coalesce(m.email, ''))", type: 'text' },
  firstSeenAt: { expr: 'm.first_seen_at', type: 'timestamptz' },
  active: { expr: 'm.active', type: 'boolean' },
  source: { expr: 'm.source', type: 'text' },
  list: { expr: 'm.list', type: 'text' },
} as const;
export type MemberSort = keyof typeof MEMBER_SORTS;

/** A page request on an account's members (the console's main table, and the API's). */
export interface MemberQuery {
  /** A fragment of the name or email, case-insensitive. */
  q?: string;
  active?: boolean;
  list?: 'staff' | 'inactive_synced' | 'all';
  source?: 'psa' | 'import' | 'survey' | 'manual';
  /** Members whose person has this role; `none`: members without a sign-in. */
  role?: 'admin' | 'account_manager' | 'employee' | 'none';
  /** The PSA's department name, exactly. */
  department?: string;
  /** The PSA's location name, exactly. */
  location?: string;
  /** The members a narrowed account manager or an employee sees (include or exclude ids); absent: all. */
  scope?: MemberScope | null;
  sort: MemberSort;
  order: 'asc' | 'desc';
  limit: number;
  /** Opaque: where the previous page ended. */
  cursor?: string;
}

export interface MemberPage {
  /** Each with the role of the person tied to it, if any. */
  members: (MemberView & { role: string | null })[];
  /** Members matching the filter, on every page. */
  total: number;
  /** Of those, how many are Active. */
  activeCount: number;
  /** The next page's cursor, or null on the last page. */
  nextCursor: string | null;
}

const likeFragment = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && /^[0-9a-f-]{36}$/i.test(value[1])) return [value[0], value[1]];
  } catch {
    // fall through
  }
  throw new InputError('cursor is not one this server gave out; start again from the first page');
}

/** Filters as SQL, shared by the page and the bulk change that acts on "every member matching". */
export type MemberFilter = Pick<MemberQuery, 'q' | 'active' | 'list' | 'source' | 'role' | 'department' | 'location' | 'scope'>;

export function memberFilterSql(accountId: string, f: MemberFilter): { where: string; params: unknown[] } {
  const where = ['m.account_id = ?'];
  const params: unknown[] = [accountId];
  if (f.list && f.list !== 'all') (where.push('m.list = ?'), params.push(f.list));
  if (f.active !== undefined) (where.push('m.active = ?'), params.push(f.active));
  if (f.source) (where.push('m.source = ?'), params.push(f.source));
  if (f.department !== undefined) (where.push('m.department = ?'), params.push(f.department));
  if (f.location !== undefined) (where.push('m.location = ?'), params.push(f.location));
  // People are few beside members: one hashed set of the account's people, not a probe per member.
  if (f.role === 'none') (where.push('m.id not in (select pr.member_id from person pr where pr.account_id = ? and pr.member_id is not null)'), params.push(accountId));
  else if (f.role) (where.push('m.id in (select pr.member_id from person pr where pr.account_id = ? and pr.role = ? and pr.member_id is not null)'), params.push(accountId, f.role));
  const scope = memberScopeCondition('m.id', f.scope, params);
  if (scope) where.push(scope.replace(/^ and /, ''));
  if (f.q) {
    where.push(`(lower(m.name) like ? escape '\\' or lower(coalesce(m.email, '')) like ? escape '\\')`);
    params.push(likeFragment(f.q), likeFragment(f.q));
  }
  return { where: where.join(' and '), params };
}

/**
 * One page of an account's members, by keyset: the page after the cursor's (sort value, id), so
 * members added or changed elsewhere while a person pages do not shift the pages (no offsets).
 */
export async function queryMembers(em: EntityManager, accountId: string, query: MemberQuery): Promise<MemberPage> {
  const sort = MEMBER_SORTS[query.sort];
  const { where, params } = memberFilterSql(accountId, query);
  const dir = query.order === 'desc' ? 'desc' : 'asc';
  let after = '';
  const afterParams: unknown[] = [];
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor);
    after = ` and (${sort.expr}, m.id) ${dir === 'asc' ? '>' : '<'} (?::${sort.type}, ?::uuid)`;
    afterParams.push(value, id);
  }
  const [rows, [counts]] = await Promise.all([
    exec<Row>(
      em,
      `select ${MEMBER_COLUMNS}, (${sort.expr})::text as sort_value, (select pr.role from person pr where pr.member_id = m.id) as person_role
         from member m join account a on a.id = m.account_id
        where ${where}${after} order by ${sort.expr} ${dir}, m.id ${dir} limit ?`,
      [...params, ...afterParams, query.limit + 1],
    ),
    exec<Row>(em, `select count(*)::int as total, (count(*) filter (where m.active))::int as active from member m where ${where}`, params),
  ]);
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    members: page.map((r) => ({ ...toMemberView(r), role: r.person_role ?? null })),
    total: counts!.total,
    activeCount: counts!.active,
    nextCursor: more && last ? Buffer.from(JSON.stringify([last.sort_value, last.id])).toString('base64url') : null,
  };
}

/**
 * The departments and locations an account's members have (or those of `scope` alone), by name:
 * the choices of the members table's filters.
 */
export async function profileChoices(em: EntityManager, accountId: string, scope: MemberScope | null = null): Promise<{ departments: string[]; locations: string[] }> {
  const params: unknown[] = [accountId];
  const seen = memberScopeCondition('m.id', scope, params);
  const rows = await exec<{ kind: string; value: string }>(
    em,
    `select distinct v.kind, v.value from member m
       cross join lateral (values ('department', m.department), ('location', m.location)) as v(kind, value)
      where m.account_id = ? and v.value is not null${seen}`,
    params,
  );
  const sorted = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.value).sort((a, b) => a.localeCompare(b));
  return { departments: sorted('department'), locations: sorted('location') };
}

/** Member columns under the planner's names. */
const LOCKED_COLUMNS = `m.id, m.external_id as "externalId", m.identifier, m.name, m.email, m.source, m.active, m.list,
  m.psa_active as "psaActive", m.inactive_reason as "inactiveReason", m.admin_inactive as "adminInactive",
  m.department, m.work_role as "workRole", m.location, m.title, m.hire_date::text as "hireDate"`;

/**
 * Members by id, or every member matching a members-table filter, locked for update, in name order
 * (the order a bulk change takes seats in).
 */
export async function lockMembers(em: EntityManager, accountId: string, which: { ids: string[] } | { filter: MemberFilter }): Promise<LocalMember[]> {
  const { where, params } = 'ids' in which ? { where: 'm.account_id = ? and m.id = any(?::uuid[])', params: [accountId, which.ids] } : memberFilterSql(accountId, which.filter);
  return exec<LocalMember>(em, `select ${LOCKED_COLUMNS} from member m where ${where} order by lower(m.name), m.id for update`, params);
}
