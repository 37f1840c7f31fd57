import type { Orm } from '../db/orm.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../core/errors.js';
import { bumpMembersVersion, getAccount, lockAccount } from '../db/account-repository.js';
import { insertChanges, memberHistory } from '../db/change-repository.js';
import { countActive, getMember, listMembers, updateMembers } from '../db/member-repository.js';
import type { ChangeView, MemberView } from '../db/views.js';
import { diffState, stateOf, type MemberState } from '../domain/member.js';
import { Seats } from '../domain/seats.js';
import { requireId } from '../core/ids.js';

const LISTS = ['staff', 'inactive', 'all'] as const;
export type ListName = (typeof LISTS)[number];

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
