import { Seats } from '../domain/seats.js';
import { deriveCounts } from './counts.js';
import { NO_PROFILE } from '../domain/member.js';
import { addedEntry, diffState, stateOf } from './plan.js';
import type { DirectoryPlanInput, LocalMember, MemberState, Plan, PlanEntry } from './types.js';

/**
 * Plans a sync of a directory-style PSA (HaloPSA, product.md §2): the setup sync imports the PSA's
 * active staff; every later sync only refreshes the names and emails of members we know and
 * reports those the PSA has disabled. Nobody is added after setup, and nobody is deactivated.
 * A member known only by email (added from a survey) is linked to the PSA record with that email.
 * Pure: no I/O, no clock.
 */
export function planDirectory(input: DirectoryPlanInput): Plan {
  const { remote, local, seatLimit } = input;
  const byExternal = new Map<string, LocalMember>();
  const byEmail = new Map<string, LocalMember>();
  for (const m of local) {
    if (m.externalId !== null) byExternal.set(m.externalId, m);
    else if (m.email) byEmail.set(m.email.toLowerCase(), m);
  }
  const seats = new Seats(seatLimit, local.reduce((n, m) => n + (m.active ? 1 : 0), 0));
  const entries: PlanEntry[] = [];
  let unchanged = 0;

  for (const r of remote) {
    const l = byExternal.get(r.externalId) ?? (r.email ? byEmail.get(r.email.toLowerCase()) : undefined);
    if (!l) {
      if (!input.setup || !r.active) continue;
      const active = seats.take();
      const after: MemberState = {
        externalId: r.externalId,
        identifier: r.identifier,
        name: r.name,
        email: r.email,
        active,
        list: 'staff',
        psaActive: true,
        inactiveReason: active ? null : 'seat_limit',
        adminInactive: false,
        ...(r.profile ?? NO_PROFILE),
      };
      entries.push(addedEntry(input.newId(), after, active ? 'imported_at_setup' : 'seat_limit_reached'));
      continue;
    }
    if (l.externalId === null) byEmail.delete(l.email!.toLowerCase());
    const before = stateOf(l);
    const after: MemberState = { ...before, externalId: r.externalId, identifier: r.identifier ?? l.identifier, name: r.name, email: r.email ?? l.email, ...r.profile };
    const changes = diffState(before, after);
    if (changes.length > 0) {
      entries.push({ memberId: l.id, externalId: after.externalId, identifier: after.identifier, name: after.name, email: after.email, action: 'updated', reason: 'details_changed_in_psa', changes, after });
    }
    if (!r.active && l.active) {
      entries.push({ memberId: l.id, externalId: after.externalId, identifier: after.identifier, name: after.name, email: after.email, action: 'flagged', reason: 'disabled_in_psa', changes: [] });
    } else if (changes.length === 0) {
      unchanged++;
    }
  }

  for (const s of input.skipped) {
    entries.push({ memberId: null, externalId: s.externalId, identifier: s.identifier, name: s.name, email: null, action: 'skipped', reason: s.reason, changes: [] });
  }
  const counts = deriveCounts(entries, unchanged);
  counts.fetched = remote.length + input.skipped.length;
  return { entries, counts, hold: null };
}
