import type { Orm } from '../db/orm.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../core/errors.js';
import { bumpMembersVersion, getAccount, lockAccount } from '../db/account-repository.js';
import { insertChanges, memberHistory } from '../db/change-repository.js';
import { countActive, getMember, listMembers, updateMembers } from '../db/member-repository.js';
import { MEMBER_SORTS, queryMembers, type MemberPage, type MemberQuery, type MemberSort } from '../db/member-query.js';
import type { ChangeView, MemberView } from '../db/views.js';
import { diffState, stateOf, type MemberState } from '../domain/member.js';
import { Seats } from '../domain/seats.js';
import { requireId } from '../core/ids.js';

const LISTS = ['staff', 'inactive', 'all'] as const;
export type ListName = (typeof LISTS)[number];

const QUERY_KEYS = ['q', 'active', 'list', 'source', 'sort', 'order', 'limit', 'cursor'];

/** Reads a members-table query from URL values; every bad value is named. */
export function parseMemberQuery(raw: Record<string, string | undefined>): MemberQuery {
  const problems: string[] = [];
  const unknown = Object.keys(raw).filter((k) => !QUERY_KEYS.includes(k));
  if (unknown.length > 0) problems.push(`unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);
  const oneOf = <T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback?: T): T | undefined => {
    if (value === undefined || value === '') return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value.slice(0, 40)}")`);
    return fallback;
  };
  const listName = oneOf('list', raw.list, ['staff', 'inactive', 'inactive_synced', 'all'] as const, 'staff');
  const active = oneOf('active', raw.active, ['true', 'false'] as const);
  const source = oneOf('source', raw.source, ['psa', 'import', 'survey', 'manual'] as const);
  const sort = oneOf('sort', raw.sort, Object.keys(MEMBER_SORTS) as MemberSort[], 'name')!;
  const order = oneOf('order', raw.order, ['asc', 'desc'] as const, 'asc')!;
  let limit = 50;
  if (raw.limit !== undefined && raw.limit !== '') {
    limit = /^\d+$/.test(raw.limit) ? Number(raw.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= 500)) problems.push(`limit must be a whole number from 1 to 500 (got "${raw.limit.slice(0, 20)}")`);
  }
  if (raw.q !== undefined && raw.q.length > 100) problems.push('q is longer than 100 characters');
  if (problems.length > 0) throw new InputError(problems.join('; '));
  return {
    q: raw.q?.trim() || undefined,
    active: active === undefined ? undefined : active === 'true',
    list: listName === 'inactive' ? 'inactive_synced' : listName,
    source,
    sort,
    order,
    limit,
    cursor: raw.cursor || undefined,
  };
}

function toState(m: MemberView): MemberState {
  return stateOf({ ...m, inactiveReason: m.inactiveReason as MemberState['inactiveReason'] });
}

/** The two member lists, the Active checkbox, and "explain this member". */
export class MemberService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly clock: Clock,
  ) {}

  async list(accountId: string, list: string = 'staff'): Promise<MemberView[]> {
    requireId('account', accountId);
    if (!(LISTS as readonly string[]).includes(list)) throw new InputError(`list must be one of ${LISTS.join(', ')} (got "${list}")`);
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    return listMembers(em, accountId, list === 'inactive' ? 'inactive_synced' : (list as 'staff' | 'all'));
  }

  /**
   * A page of the members table (search, filters, sort, cursor), with the totals the badges show
   * ("N Active / N Total") and the seat limit. Query values are as they come from a URL.
   */
  async page(accountId: string, raw: Record<string, string | undefined>): Promise<MemberPage & { seatLimit: number | null }> {
    requireId('account', accountId);
    const query = parseMemberQuery(raw);
    const em = this.orm.em.fork();
    const account = await getAccount(em, accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    return { ...(await queryMembers(em, accountId, query)), seatLimit: account.seatLimit };
  }

  async explain(accountId: string, memberId: string): Promise<{ member: MemberView; history: ChangeView[] }> {
    requireId('account', accountId);
    requireId('member', memberId);
    const em = this.orm.em.fork();
    const member = await getMember(em, accountId, memberId);
    if (!member) throw new NotFoundError(`member ${memberId} not found in account ${accountId}`);
    return { member, history: await memberHistory(em, memberId) };
  }

  /**
   * The Active checkbox. Unchecking always works and sticks across syncs; checking is refused for
   * a member the PSA reports inactive, or beyond the account's seat limit (product.md §2 rule 8).
   */
  async setActive(accountId: string, memberId: string, active: boolean, actor: string): Promise<MemberView> {
    requireId('account', accountId);
    requireId('member', memberId);
    return this.orm.em.fork().transactional(async (tem) => {
      const account = await lockAccount(tem, accountId);
      if (!account) throw new NotFoundError(`account ${accountId} not found`);
      const member = await getMember(tem, accountId, memberId, true);
      if (!member) throw new NotFoundError(`member ${memberId} not found in account ${accountId}`);
      const psa = this.registry.get(account.integration).displayName;
      const before = toState(member);
      let after: MemberState;
      if (active) {
        if (member.active) return member;
        if (member.inactiveReason === 'vanished') {
          throw new ConflictError(`member ${member.name} is no longer returned by ${psa}, so it cannot be made Active`);
        }
        if (member.psaActive === false) throw new ConflictError(`member ${member.name} is inactive in ${psa}, so it cannot be made Active`);
        if (account.seatLimit !== null) {
          const seats = new Seats(account.seatLimit, await countActive(tem, accountId));
          if (!seats.take()) throw new ConflictError(seats.refusal());
        }
        after = { ...before, active: true, adminInactive: false, inactiveReason: null };
      } else {
        if (member.adminInactive && !member.active) return member;
        after = { ...before, active: false, adminInactive: true, inactiveReason: member.list === 'staff' ? 'admin' : before.inactiveReason };
      }
      const changes = diffState(before, after);
      const now = this.clock.now();
      await updateMembers(tem, accountId, [{ id: memberId, state: after }], now, false);
      await bumpMembersVersion(tem, accountId, now);
      await insertChanges(
        tem,
        accountId,
        null,
        [{ memberId, externalId: member.externalId, identifier: member.identifier, name: member.name, email: member.email, action: active ? 'admin_checked' : 'admin_unchecked', reason: 'set_by_admin', changes, after }],
        'applied',
        actor,
        now,
      );
      return (await getMember(tem, accountId, memberId))!;
    });
  }
}
