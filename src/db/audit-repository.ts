import type { EntityManager } from '@mikro-orm/postgresql';
import { pageOf, type PageRequest } from './paging.js';
import { exec } from './sql.js';
import { iso } from './views.js';

type Row = Record<string, any>;

/** What admins can do, as recorded (product.md §7). */
export type AuditAction =
  | 'member.active'
  | 'members.bulk_active'
  | 'run.approved'
  | 'run.rejected'
  | 'account.updated'
  | 'token.created'
  | 'token.revoked';

/** One recorded admin action. */
export interface AuditEntry {
  id: string;
  accountId: string | null;
  actor: string;
  action: AuditAction;
  target: { type: 'member' | 'members' | 'run' | 'account' | 'token'; id: string | null };
  before: unknown;
  after: unknown;
  reason: string | null;
  createdAt: string;
}

const toEntry = (r: Row): AuditEntry => ({
  id: String(r.id),
  accountId: r.account_id,
  actor: r.actor,
  action: r.action,
  target: { type: r.target_type, id: r.target_id },
  before: r.before,
  after: r.after,
  reason: r.reason,
  createdAt: iso(r.created_at)!,
});

/** Records an admin action; call it in the transaction that makes the change, so both happen or neither. */
export async function recordAudit(em: EntityManager, e: Omit<AuditEntry, 'id' | 'createdAt'>, now: Date): Promise<void> {
  await exec(
    em,
    'insert into audit_entry (account_id, actor, action, target_type, target_id, before, after, reason, created_at) values (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)',
    [e.accountId, e.actor, e.action, e.target.type, e.target.id, e.before === undefined ? null : JSON.stringify(e.before), e.after === undefined ? null : JSON.stringify(e.after), e.reason, now],
  );
}

/** An account's audit trail, newest first, in keyset pages. */
export async function pageAudit(em: EntityManager, accountId: string, page: PageRequest): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const rows: Row[] = await exec(
    em,
    `select * from audit_entry where account_id = ? ${page.cursor ? 'and id < ?::bigint' : ''} order by id desc limit ?`,
    page.cursor ? [accountId, page.cursor[0], page.limit + 1] : [accountId, page.limit + 1],
  );
  const { rows: shown, nextCursor } = pageOf(rows, page.limit, (r) => [String(r.id)]);
  return { entries: shown.map(toEntry), nextCursor };
}

/** The entries that concern one member: their Active box, oldest first (for "explain this member"). */
export async function memberAudit(em: EntityManager, memberId: string): Promise<AuditEntry[]> {
  const rows: Row[] = await exec(em, `select * from audit_entry where target_type = 'member' and target_id = ? order by id`, [memberId]);
  return rows.map(toEntry);
}
