import { NotFoundError } from '../core/errors.js';
import type { Principal } from '../services/tokens.js';
import { ForbiddenError } from './errors.js';

export { requireId } from '../core/ids.js';

/**
 * Read access (product.md §7): support reads every account; admin and account_manager only their
 * own. Another account's resources are reported as not found, so a token cannot even learn they exist.
 */
export function assertCanRead(p: Principal, accountId: string, what: string): void {
  if (p.role === 'support') return;
  if (p.accountId !== accountId) throw new NotFoundError(`${what} not found`);
}

/** Change access: only an admin, and only on its own account. */
export function assertCanChange(p: Principal, accountId: string, what: string, action: string): void {
  assertCanRead(p, accountId, what);
  if (p.role !== 'admin') throw new ForbiddenError(`a ${p.role} token may not ${action}; an admin token of this account is needed`);
}
