import type { AuditEntry } from '../db/audit-repository.js';
import type { ChangeView } from '../db/views.js';

/** An admin's Active box change and its audit entry are written in one transaction: at most this far apart. */
const SAME_ACTION_MS = 5_000;

/** A member's change entry, with the reason the admin typed when the audit entry of the same action holds one. */
export type ExplainedChange = ChangeView & { adminReason: string | null };

/**
 * One admin action, shown once. Pressing the Active box writes a change entry (what changed, by
 * whom) and an audit entry (the same, with the reason typed): the timeline keeps the change entry
 * and takes the audit entry's reason into it. An audit entry without its change entry stays, as
 * do every other audit entry. Pure; each audit entry merges into at most one change, the nearest.
 */
export function mergeAdminActions(history: readonly ChangeView[], audit: readonly AuditEntry[]): { history: ExplainedChange[]; audit: AuditEntry[] } {
  const merged: ExplainedChange[] = history.map((c) => ({ ...c, adminReason: null }));
  const taken = new Set<number>();
  const rest: AuditEntry[] = [];
  for (const a of audit) {
    const active = a.action === 'member.active' && a.after && typeof a.after === 'object' ? (a.after as { active?: unknown }).active : undefined;
    const action = active === true ? 'admin_checked' : active === false ? 'admin_unchecked' : null;
    const at = Date.parse(a.createdAt);
    let best = -1;
    if (action) {
      merged.forEach((c, i) => {
        if (taken.has(i) || c.action !== action || c.actor !== a.actor) return;
        const gap = Math.abs(Date.parse(c.createdAt) - at);
        if (gap <= SAME_ACTION_MS && (best === -1 || gap < Math.abs(Date.parse(merged[best]!.createdAt) - at))) best = i;
      });
    }
    if (best === -1) {
      rest.push(a);
      continue;
    }
    taken.add(best);
    merged[best]!.adminReason = a.reason;
  }
  return { history: merged, audit: rest };
}
