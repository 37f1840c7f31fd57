import type { PlanEntry, RunCounts } from './types.js';

function changed(entry: PlanEntry, field: string, before: unknown, after: unknown): boolean {
  return entry.changes.some((c) => c.field === field && c.before === before && c.after === after);
}

/**
 * Derives a run's counts from its entries, so counts and change records cannot disagree.
 * `unchanged` members have no entry; their number is passed in.
 */
export function deriveCounts(entries: readonly PlanEntry[], unchanged: number): RunCounts {
  const counts: RunCounts = {
    fetched: 0,
    added: 0,
    updated: 0,
    deactivated: 0,
    movedToInactive: 0,
    reactivated: 0,
    unchanged,
    keptInactiveByAdmin: 0,
    skipped: 0,
    flaggedDisabled: 0,
  };
  for (const e of entries) {
    if (e.action === 'added') counts.added++;
    else if (e.action === 'updated') counts.updated++;
    else if (e.action === 'moved_to_inactive') counts.movedToInactive++;
    else if (e.action === 'reactivated') counts.reactivated++;
    else if (e.action === 'kept_inactive_by_admin') counts.keptInactiveByAdmin++;
    else if (e.action === 'skipped') counts.skipped++;
    else if (e.action === 'flagged') counts.flaggedDisabled++;
    // A new member has no "before", so only existing members can be deactivated.
    if (!e.isNew && changed(e, 'active', true, false)) counts.deactivated++;
  }
  return counts;
}
