import type { LocalMember, MemberState } from './member.js';
import { stateOf } from './member.js';
import type { Seats } from './seats.js';
import { LastAdmin } from './last-admin.js';

/** Why the Active box could not be checked for a member. */
export type ActiveRefusal = 'vanished' | 'psa_inactive' | 'out_of_scope' | 'seat_limit' | 'last_admin';

/**
 * The Active box (product.md §2 rule 8), for one member or many: unchecking always works and
 * sticks across syncs; checking is refused for a member the PSA no longer returns or reports
 * inactive, or that is outside the account's sync scope, and beyond the seat limit (`seats` is taken as members are checked, in order);
 * unchecking is refused for the account's last admin who can sign in (`admins`, taken in order).
 */
export function decideActive(member: LocalMember, active: boolean, seats: Seats, admins?: LastAdmin): { after: MemberState } | 'unchanged' | { refused: ActiveRefusal } {
  const before = stateOf(member);
  if (active) {
    if (member.active) return 'unchanged';
    if (member.inactiveReason === 'vanished') return { refused: 'vanished' };
    if (member.psaActive === false) return { refused: 'psa_inactive' };
    if (member.inactiveReason === 'out_of_scope') return { refused: 'out_of_scope' };
    if (!seats.take()) return { refused: 'seat_limit' };
    return { after: { ...before, active: true, adminInactive: false, inactiveReason: null } };
  }
  if (member.adminInactive && !member.active) return 'unchanged';
  if (member.active && admins?.isAdmin(member.id) && !admins.release()) return { refused: 'last_admin' };
  if (member.active) seats.release();
  return { after: { ...before, active: false, adminInactive: true, inactiveReason: member.list === 'staff' ? 'admin' : before.inactiveReason } };
}

/** The refusal in words a person can act on. */
export function refusalWords(reason: ActiveRefusal, name: string, psa: string, seats: Seats): string {
  if (reason === 'vanished') return `member ${name} is no longer returned by ${psa}, so they cannot be made Active`;
  if (reason === 'psa_inactive') return `member ${name} is inactive in ${psa}, so they cannot be made Active`;
  if (reason === 'out_of_scope') return `member ${name} is outside this account's sync scope, so they cannot be made Active; widen the scope (Settings → Sync scope) to bring them back`;
  if (reason === 'last_admin') return LastAdmin.words(`member ${name}`);
  return seats.refusal();
}
