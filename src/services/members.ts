import { auditSeenBy, type ClientReader } from '../access/client-names.js';
import type { MemberScope } from '../access/principal.js';
import type { Orm } from '../db/orm.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../core/errors.js';
import { bumpMembersVersion, getAccount, lockAccount, type AccountRecord } from '../db/account-repository.js';
import { insertChanges, memberHistory } from '../db/change-repository.js';
import { countActive, getMember, listMembers, updateActiveBoxes } from '../db/member-repository.js';
import { lockMembers, profileChoices } from '../db/member-query.js';
import { decideActive, refusalWords } from '../domain/active-box.js';
import { MEMBER_SORTS, queryMembers, type MemberPage, type MemberQuery, type MemberSort } from '../db/member-query.js';
import type { ChangeView, MemberView } from '../db/views.js';
import { diffState, stateOf, type LocalMember, type MemberState, type PlanEntry } from '../domain/member.js';
import { Seats } from '../domain/seats.js';
import { requireId } from '../core/ids.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { memberAudit, pageAudit, recordAudit, type AuditEntry } from '../db/audit-repository.js';
import { parseSerialPage } from '../db/paging.js';
import { lockSignInAdmins } from '../db/people-repository.js';
import { memberNamesById } from '../db/survey-repository.js';
import { LastAdmin } from '../domain/last-admin.js';
import { raiseEvent } from '../notify/events.js';

const LISTS = ['staff', 'inactive', 'all'] as const;
export type ListName = (typeof LISTS)[number];

/** A reason given with an admin action, trimmed; at most 500 characters. */
export function cleanReason(reason: string | undefined): string | null {
  const r = reason?.trim();
  if (!r) return null;
  if (r.length > 500) throw new InputError('the reason is longer than 500 characters');
  return r;
}

const isIdList = (s: MemberScope | readonly string[] | null): s is readonly string[] => Array.isArray(s);

/** What a bulk change of the Active box did. */
export interface BulkResult {
  changed: number;
  refused: { memberId: string; code: string; reason: string }[];
}

const QUERY_KEYS = ['q', 'active', 'list', 'source', 'role', 'department', 'location', 'sort', 'order', 'limit', 'cursor'];

/**
 * A department or location name to filter by, exactly as the PSA names it (outer spaces aside);
 * empty means no filter.
 */
function profileName(field: string, value: string | undefined, problems: string[]): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (v.length > 200) problems.push(`${field} is longer than 200 characters`);
  return v;
}

// PostgreSQL refuses NUL in text (a 500, not a 400); other control characters never name a department.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Reads a members-table query from URL values (or a bulk change's `filter`); every bad value is
 * named. A parameter given more than once, or not as text, is refused rather than guessed at.
 */
export function parseMemberQuery(given: Record<string, unknown>): MemberQuery {
  const problems: string[] = [];
  const unknown = Object.keys(given).filter((k) => !QUERY_KEYS.includes(k));
  if (unknown.length > 0) problems.push(`unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')}`);
  const raw: Record<string, string | undefined> = {};
  for (const k of QUERY_KEYS) {
    const v = given[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') problems.push(Array.isArray(v) ? `${k} is given more than once; give it once` : `${k} must be text`);
    else if (CONTROL.test(v)) problems.push(`${k} holds a control character`);
    else raw[k] = v;
  }
  const oneOf = <T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback?: T): T | undefined => {
    if (value === undefined || value === '') return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value.slice(0, 40)}")`);
    return fallback;
  };
  const listName = oneOf('list', raw.list, ['staff', 'inactive', 'inactive_synced', 'all'] as const, 'staff');
  const active = oneOf('active', raw.active, ['true', 'false'] as const);
  const source = oneOf('source', raw.source, ['psa', 'import', 'survey', 'manual'] as const);
  const role = oneOf('role', raw.role, ['admin', 'account_manager', 'employee', 'none'] as const);
  const sort = oneOf('sort', raw.sort, Object.keys(MEMBER_SORTS) as MemberSort[], 'name')!;
  const order = oneOf('order', raw.order, ['asc', 'desc'] as const, 'asc')!;
  let limit = 50;
  if (raw.limit !== undefined && raw.limit !== '') {
    limit = /^\d+$/.test(raw.limit) ? Number(raw.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= 500)) problems.push(`limit must be a whole number from 1 to 500 (got "${raw.limit.slice(0, 20)}")`);
  }
  if (raw.q !== undefined && raw.q.length > 100) problems.push('q is longer than 100 characters');
  const department = profileName('department', raw.department, problems);
  const location = profileName('location', raw.location, problems);
  if (problems.length > 0) throw new InputError(problems.join('; '));
  return {
    q: raw.q?.trim() || undefined,
    active: active === undefined ? undefined : active === 'true',
    list: listName === 'inactive' ? 'inactive_synced' : listName,
    source,
    role,
    department,
    location,
    sort,
    order,
    limit,
    cursor: raw.cursor || undefined,
  };
}

/** The two member lists, the Active checkbox, and "explain this member". */
export class MemberService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly clock: Clock,
  ) {}

  /** A member list; `profile` keeps only members with that department and/or location name (exactly). */
  async list(accountId: string, list: string = 'staff', profile: { department?: string; location?: string } = {}): Promise<MemberView[]> {
    requireId('account', accountId);
    if (!(LISTS as readonly string[]).includes(list)) throw new InputError(`list must be one of ${LISTS.join(', ')} (got "${list}")`);
    const problems: string[] = [];
    const filter = { department: profileName('department', profile.department, problems), location: profileName('location', profile.location, problems) };
    if (problems.length > 0) throw new InputError(problems.join('; '));
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    return listMembers(em, accountId, list === 'inactive' ? 'inactive_synced' : (list as 'staff' | 'all'), filter);
  }

  /** The departments and locations the account's members have (of `memberScope` alone, when narrowed), for the filters. */
  async profileChoices(accountId: string, memberScope: MemberScope | null = null): Promise<{ departments: string[]; locations: string[] }> {
    requireId('account', accountId);
    return profileChoices(this.orm.em.fork(), accountId, memberScope);
  }

  /**
   * A page of the members table (search, filters, sort, cursor), with the totals the badges show
   * ("N Active / N Total") and the seat limit. Query values are as they come from a URL.
   * `memberScope`: the members a caller sees (include or exclude ids), or a list of ids to keep.
   */
  async page(accountId: string, raw: Record<string, string | undefined>, memberScope: MemberScope | readonly string[] | null = null): Promise<MemberPage & { seatLimit: number | null }> {
    requireId('account', accountId);
    const scope: MemberScope | null = isIdList(memberScope) ? { mode: 'include', ids: memberScope } : memberScope;
    const query = { ...parseMemberQuery(raw), scope };
    const em = this.orm.em.fork();
    const account = await getAccount(em, accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    return { ...(await queryMembers(em, accountId, query)), seatLimit: account.seatLimit };
  }

  /** The names of an account's members by id, for the ids given (at most a scope's worth); unknown ids are left out. */
  async names(accountId: string, ids: readonly string[]): Promise<Map<string, string>> {
    requireId('account', accountId);
    return memberNamesById(this.orm.em.fork(), accountId, ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id)));
  }

  /**
   * An account's audit trail, newest first, in pages (`limit`, `cursor` as URL values). Scope
   * changes name clients: `reader` reads only the names it sees (undefined: the operator, all).
   */
  async audit(accountId: string, raw: Record<string, string | undefined>, reader?: ClientReader): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    requireId('account', accountId);
    const page = parseSerialPage(raw);
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    const { entries, nextCursor } = await pageAudit(em, accountId, page);
    return { entries: auditSeenBy(reader, entries), nextCursor };
  }

  /** A member, every change that led to their state, and the admin actions that concern them (as `reader` may read them; see `audit`). */
  async explain(accountId: string, memberId: string, reader?: ClientReader): Promise<{ member: MemberView; history: ChangeView[]; audit: AuditEntry[] }> {
    requireId('account', accountId);
    requireId('member', memberId);
    const em = this.orm.em.fork();
    const member = await getMember(em, accountId, memberId);
    if (!member) throw new NotFoundError(`member ${memberId} not found in account ${accountId}`);
    return { member, history: await memberHistory(em, memberId), audit: auditSeenBy(reader, await memberAudit(em, memberId)) };
  }

  /**
   * The Active checkbox. Unchecking always works and sticks across syncs; checking is refused for
   * a member the PSA reports inactive, or beyond the account's seat limit (product.md §2 rule 8).
   */
  async setActive(accountId: string, memberId: string, active: boolean, actor: string, reason?: string): Promise<MemberView> {
    requireId('account', accountId);
    requireId('member', memberId);
    const outcome = await this.orm.em.fork().transactional(async (tem) => {
      const account = await lockAccount(tem, accountId);
      if (!account) throw new NotFoundError(`account ${accountId} not found`);
      const [member] = await lockMembers(tem, accountId, { ids: [memberId] });
      if (!member) throw new NotFoundError(`member ${memberId} not found in account ${accountId}`);
      const result = await this.#apply(tem, account, [member], active, actor);
      // A refusal changes nothing; it is answered (and a seat-limit refusal notified) after this transaction.
      if (result.refused[0]) return { refused: result.refused, account };
      const after = (await getMember(tem, accountId, memberId))!;
      if (result.changed > 0) {
        await recordAudit(
          tem,
          { accountId, actor, action: 'member.active', target: { type: 'member', id: memberId }, before: { active: member.active, adminInactive: member.adminInactive }, after: { active: after.active, adminInactive: after.adminInactive }, reason: cleanReason(reason) },
          this.clock.now(),
        );
      }
      return { after };
    });
    if ('after' in outcome) return outcome.after!;
    if (outcome.refused[0]!.code === 'seat_limit') await this.#seatLimitReached(outcome.account!, outcome.refused);
    throw new ConflictError(outcome.refused[0]!.reason);
  }

  /**
   * The Active box for many members at once, in one transaction: the given ids, or every member
   * matching a members-table filter. The same rules as one box, checked in name order (so the
   * seat limit admits the first ones); answers how many changed and which were refused, and why.
   */
  async bulkSetActive(accountId: string, input: { active: boolean; memberIds?: string[]; filter?: Record<string, unknown>; reason?: string }, actor: string): Promise<BulkResult> {
    requireId('account', accountId);
    if ((input.memberIds === undefined) === (input.filter === undefined)) throw new InputError('give either memberIds or filter (the members-table query), not both or neither');
    const ids = input.memberIds?.map((id) => requireId('member', id));
    const filter = input.filter ? parseMemberQuery({ ...input.filter }) : undefined;
    return this.orm.em.fork().transactional(async (tem) => {
      const account = await lockAccount(tem, accountId);
      if (!account) throw new NotFoundError(`account ${accountId} not found`);
      const members = await lockMembers(tem, accountId, ids ? { ids } : { filter: filter! });
      const result = await this.#apply(tem, account, members, input.active, actor);
      if (result.refused.some((r) => r.code === 'seat_limit')) await this.#seatLimitReached(account, result.refused, tem);
      if (ids) {
        const found = new Set(members.map((m) => m.id));
        for (const id of new Set(ids)) if (!found.has(id)) result.refused.push({ memberId: id, code: 'not_found', reason: `member ${id} not found in account ${accountId}` });
      }
      await recordAudit(
        tem,
        {
          accountId,
          actor,
          action: 'members.bulk_active',
          target: { type: 'members', id: null },
          before: null,
          after: { active: input.active, selection: ids ? { memberIds: ids.length } : { filter: input.filter }, changed: result.changed, refused: result.refused.length },
          reason: cleanReason(input.reason),
        },
        this.clock.now(),
      );
      return result;
    });
  }

  /**
   * `seats.limit_reached`: at most one an hour per account for admins' refused boxes. A single box's
   * refusal undoes its transaction, so that one is recorded on its own (the refusal is the cause).
   */
  async #seatLimitReached(account: AccountRecord, refused: BulkResult['refused'], tem?: EntityManager): Promise<void> {
    const now = this.clock.now();
    const raise = (em: EntityManager) =>
      raiseEvent(em, { accountId: account.id, event: 'seats.limit_reached', dedupeKey: `seats.limit_reached:${account.id}:${now.toISOString().slice(0, 13)}`, payload: { seatLimit: account.seatLimit, refused: refused.filter((r) => r.code === 'seat_limit').length } }, now);
    if (tem) await raise(tem);
    else await this.orm.em.fork().transactional(raise);
  }

  /** Decides and writes the Active box for members whose rows the caller locked, with the account row. */
  async #apply(tem: EntityManager, account: AccountRecord, members: LocalMember[], active: boolean, actor: string): Promise<BulkResult> {
    const psa = this.registry.get(account.integration).displayName;
    const seats = new Seats(account.seatLimit, await countActive(tem, account.id));
    const signInAdmins = active ? [] : await lockSignInAdmins(tem, account.id);
    const admins = new LastAdmin(new Set(signInAdmins.flatMap((a) => (a.member ? [a.member] : []))), signInAdmins.length);
    const writes: { id: string; state: MemberState }[] = [];
    const entries: PlanEntry[] = [];
    const refused: BulkResult['refused'] = [];
    for (const member of members) {
      const decision = decideActive(member, active, seats, admins);
      if (decision === 'unchanged') continue;
      if ('refused' in decision) {
        refused.push({ memberId: member.id, code: decision.refused, reason: refusalWords(decision.refused, member.name, psa, seats) });
        continue;
      }
      const { after } = decision;
      writes.push({ id: member.id, state: after });
      entries.push({ memberId: member.id, externalId: member.externalId, identifier: member.identifier, name: member.name, email: member.email, action: active ? 'admin_checked' : 'admin_unchecked', reason: 'set_by_admin', changes: diffState(stateOf(member), after), after });
    }
    if (writes.length > 0) {
      const now = this.clock.now();
      await updateActiveBoxes(tem, account.id, writes.map((w) => ({ id: w.id, active: w.state.active, adminInactive: w.state.adminInactive, inactiveReason: w.state.inactiveReason, list: w.state.list })), now);
      await bumpMembersVersion(tem, account.id, now);
      await insertChanges(tem, account.id, null, entries, 'applied', actor, now);
    }
    return { changed: writes.length, refused };
  }
}
