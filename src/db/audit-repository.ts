import type { EntityManager } from '@mikro-orm/postgresql';
import { pageOf, type PageRequest } from './paging.js';
import { AuditEntrySchema, type AuditEntryEntity } from './entities.js';

/** What admins can do, as recorded (product.md §7). */
export type AuditAction =
  | 'member.active'
  | 'members.bulk_active'
  | 'run.approved'
  | 'run.rejected'
  | 'account.updated'
  | 'account.sync_scope'
  | 'token.created'
  | 'token.revoked'
  | 'person.invited'
  | 'person.invitation_resent'
  | 'person.role_changed'
  | 'person.scope_changed'
  | 'person.removed'
  | 'person.activated'
  | 'person.password_reset'
  | 'auth.signin_failed'
  | 'webhook.added'
  | 'webhook.removed'
  | 'account.notifications'
  | 'callback.registered'
  | 'callback.unregistered'
  | 'ratings.imported';

/** One recorded admin action. */
export interface AuditEntry {
  id: string;
  accountId: string | null;
  actor: string;
  action: AuditAction;
  target: { type: 'member' | 'members' | 'run' | 'account' | 'token' | 'person' | 'webhook'; id: string | null };
  before: unknown;
  after: unknown;
  reason: string | null;
  createdAt: string;
}

const toEntry = (r: AuditEntryEntity): AuditEntry => ({
  id: r.id,
  accountId: r.accountId ?? null,
  actor: r.actor,
  action: r.action as AuditAction,
  target: { type: r.targetType as AuditEntry['target']['type'], id: r.targetId ?? null },
  before: r.before ?? null,
  after: r.after ?? null,
  reason: r.reason ?? null,
  createdAt: r.createdAt.toISOString(),
});

/** Records an admin action; call it in the transaction that makes the change, so both happen or neither. */
export async function recordAudit(em: EntityManager, e: Omit<AuditEntry, 'id' | 'createdAt'>, now: Date): Promise<string> {
  const id = await em.insert(AuditEntrySchema, {
    accountId: e.accountId,
    actor: e.actor,
    action: e.action,
    targetType: e.target.type,
    targetId: e.target.id,
    before: e.before ?? null,
    after: e.after ?? null,
    reason: e.reason,
    createdAt: now,
  });
  return String(id);
}

/** An account's audit trail, newest first, in keyset pages. */
export async function pageAudit(em: EntityManager, accountId: string, page: PageRequest): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const rows = await em.find(
    AuditEntrySchema,
    page.cursor ? { accountId, id: { $lt: page.cursor[0]! } } : { accountId },
    { orderBy: { id: 'desc' }, limit: page.limit + 1 },
  );
  const { rows: shown, nextCursor } = pageOf(rows, page.limit, (r) => [r.id]);
  return { entries: shown.map(toEntry), nextCursor };
}

/** The entries that concern one member (Active box, role, sign-in), oldest first (for "explain this member"). */
export async function memberAudit(em: EntityManager, memberId: string): Promise<AuditEntry[]> {
  const rows = await em.find(AuditEntrySchema, { targetType: 'member', targetId: memberId }, { orderBy: { id: 'asc' } });
  return rows.map(toEntry);
}
