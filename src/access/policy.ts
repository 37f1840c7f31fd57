import { seesMember, type Principal } from './principal.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';

export { requireId } from '../core/ids.js';

/**
 * What a route reads, for the checks below. `name` is the account's name alone; `account` its whole
 * record (settings, seats, schedule, notification recipients, survey key). Employees read only the
 * account's name, their own member, its history and ratings (product.md §7); a narrowed account
 * manager reads only chosen members (and runs, whose changes are filtered to them); neither reads
 * the audit trail or the people list.
 */
export type Reading = 'name' | 'account' | 'members' | 'runs' | 'audit' | 'survey';

const EMPLOYEE_READS: ReadonlySet<Reading> = new Set(['name', 'members', 'survey']);
const NARROWED_READS: ReadonlySet<Reading> = new Set(['name', 'account', 'members', 'survey', 'runs']);

/** Whether the caller's role reads this kind of data of its own account (which account: see assertCanRead). */
export function roleReads(p: Principal, reading: Reading): boolean {
  if (p.role === 'employee') return EMPLOYEE_READS.has(reading);
  if (p.role === 'account_manager' && p.memberScope !== null) return NARROWED_READS.has(reading);
  return true;
}

/** A role as a person reads it in a refusal ("an account manager"), never its code. */
const ROLE_WORDS: Record<Principal['role'], string> = { admin: 'an admin', account_manager: 'an account manager', employee: 'an employee', support: 'support' };
const who = (p: Principal) => `${ROLE_WORDS[p.role] ?? p.role}${p.kind === 'token' ? ' token' : ''}`;

/**
 * Read access (product.md §7): support reads every account; everyone else only their own.
 * Another account's resources are reported as not found, so a caller cannot even learn they exist.
 */
export function assertCanRead(p: Principal, accountId: string, what: string, reading: Reading = 'account'): void {
  if (p.role === 'support') return;
  if (p.accountId !== accountId) throw new NotFoundError(`${what} not found`);
  if (roleReads(p, reading)) return;
  if (p.role === 'employee') throw new ForbiddenError('an employee sees only their own member record and ratings');
  throw new ForbiddenError('this account manager sees only chosen members; an admin can widen that');
}

/** Reading one member: as above, and the member must be in the caller's scope (else not found). */
export function assertCanReadMember(p: Principal, accountId: string, memberId: string): void {
  assertCanRead(p, accountId, `account ${accountId}`, 'members');
  if (!seesMember(p.memberScope, memberId)) throw new NotFoundError(`member ${memberId} not found in account ${accountId}`);
}

/** Change access: only an admin, and only on its own account. */
export function assertCanChange(p: Principal, accountId: string, what: string, action: string): void {
  assertCanRead(p, accountId, what, 'name');
  if (p.role !== 'admin') throw new ForbiddenError(`${who(p)} may not ${action}; an admin of this account is needed`);
}
