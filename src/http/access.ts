import { NotFoundError } from '../core/errors.js';
import type { Principal } from '../services/tokens.js';
import { ForbiddenError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths are UUIDs; anything else names nothing (404, not a database error). */
export function requireId(kind: string, id: string): string {
  if (!UUID.test(id)) throw new NotFoundError(`${kind} ${id} not found`);
  return id;
}

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
