import type { RemoteMember } from '../connector/contract.js';
import { deriveCounts } from './counts.js';
import { addedEntry, diffState, NO_PROFILE, stateOf, type ChangeAction, type ChangeReason, type FieldChange, type InactiveReason, type LocalMember, type MemberState, type PlanEntry } from '../domain/member.js';
import { Seats } from '../domain/seats.js';
import type { Plan, PlanInput } from './types.js';

export { addedEntry, diffState, stateOf } from '../domain/member.js';

/**
 * Builds a state as one literal, so every state has the same shape (spreads made this the hot spot).
 * Profile fields come from the PSA when it reports them, else stay as they were.
 */
function makeState(base: MemberState | null, r: Pick<RemoteMember, 'externalId' | 'identifier' | 'name' | 'email' | 'profile'> | null, over: Partial<MemberState>): MemberState {
  const src = r ?? base!;
  const profile = r?.profile ?? base ?? NO_PROFILE;
  return {
    externalId: src.externalId,
    identifier: src.identifier,
    name: src.name,
    email: src.email,
    active: over.active ?? base!.active,
    list: over.list ?? base!.list,
    psaActive: 'psaActive' in over ? over.psaActive! : base!.psaActive,
    inactiveReason: 'inactiveReason' in over ? over.inactiveReason! : base!.inactiveReason,
    adminInactive: over.adminInactive ?? base!.adminInactive,
    department: profile.department,
    workRole: profile.workRole,
    location: profile.location,
    title: profile.title,
    hireDate: profile.hireDate,
  };
}

function entry(memberId: string, after: MemberState, action: ChangeAction, reason: ChangeReason, changes: FieldChange[]): PlanEntry {
  return {
    memberId,
    externalId: after.externalId,
    identifier: after.identifier,
    name: after.name,
    email: after.email,
    action,
    reason,
    changes,
    after,
  };
}

/**
 * True when a sync changes nothing for this member and records nothing about it. `outOfScope`:
 * the member is active in the PSA but outside the account's sync scope.
 */
export function isUnchanged(l: MemberState, r: RemoteMember, outOfScope = false): boolean {
  if (l.identifier !== r.identifier || l.name !== r.name || l.email !== r.email) return false;
  const p = r.profile;
  if (p !== undefined && (l.department !== p.department || l.workRole !== p.workRole || l.location !== p.location || l.title !== p.title || l.hireDate !== p.hireDate)) return false;
  if (!r.active) return l.list === 'inactive_synced' && l.psaActive === false && l.inactiveReason === 'psa_inactive';
  if (outOfScope) return l.list === 'inactive_synced' && l.psaActive === true && l.inactiveReason === 'out_of_scope';
  return l.list === 'staff' && l.psaActive === true && !l.adminInactive;
}

/**
 * Plans a sync of an authoritative roster (ConnectWise, product.md §2) against our members.
 * Pure: no I/O, no clock. The caller guarantees `remote` is a complete read; members missing
 * from it are treated as vanished. Members active in the PSA but outside the sync scope
 * (`input.inScope`) are treated like inactive ones, with reason `out_of_scope`.
 */
export function planAuthoritative(input: PlanInput): Plan {
  const { remote, local, seatLimit } = input;
  const byExternal = new Map<string, LocalMember>();
  for (const m of local) if (m.externalId !== null) byExternal.set(m.externalId, m);

  const activeBefore = input.setAside?.activeBefore ?? local.reduce((n, m) => n + (m.active ? 1 : 0), 0);
  const seats = new Seats(seatLimit, activeBefore);
  const entries: PlanEntry[] = [];
  let unchanged = input.setAside?.unchanged ?? 0;
  let outOfScope = 0;

  // Deactivations first, so seats they free count toward activations in the same run.
  /**
   * A member the PSA's answer keeps off All Staff (inactive there, or outside the scope): moved to
   * Inactive Synced once, with `movedFor`; after that only its details follow, as `updatedFor`.
   */
  const keepOffStaff = (l: LocalMember, before: MemberState, r: RemoteMember, psaActive: boolean, inactiveReason: InactiveReason, movedFor: ChangeReason, updatedFor: ChangeReason): void => {
    if (l.list === 'staff') {
      const after = makeState(before, r, { active: false, list: 'inactive_synced', psaActive, inactiveReason });
      if (l.active) seats.release();
      entries.push(entry(l.id, after, 'moved_to_inactive', movedFor, diffState(before, after)));
      return;
    }
    const after = makeState(before, r, { psaActive, inactiveReason });
    const changes = diffState(before, after);
    if (changes.length > 0) entries.push(entry(l.id, after, 'updated', updatedFor, changes));
    else unchanged++;
  };

  const seen = new Set<string>();
  const pendingActivation: { local: LocalMember | null; remote: RemoteMember }[] = [];

  for (const r of remote) {
    seen.add(r.externalId);
    const l = byExternal.get(r.externalId);
    const out = r.active && input.inScope !== undefined && !input.inScope(r);
    if (out) outOfScope++;

    if (!l) {
      if (out) {
        const after = makeState(null, r, { active: false, list: 'inactive_synced', psaActive: true, inactiveReason: 'out_of_scope', adminInactive: false });
        entries.push(addedEntry(input.newId(), after, 'new_out_of_scope'));
      } else if (r.active) {
        pendingActivation.push({ local: null, remote: r });
      } else {
        const after = makeState(null, r, { active: false, list: 'inactive_synced', psaActive: false, inactiveReason: 'psa_inactive', adminInactive: false });
        entries.push(addedEntry(input.newId(), after, 'new_inactive_in_psa'));
      }
      continue;
    }

    // Fast path for the common case; avoids building states for most members.
    if (isUnchanged(l, r, out)) {
      unchanged++;
      continue;
    }
    const before = stateOf(l);
    if (out) {
      // Active in the PSA, outside the scope: like an inactive member, under the same breaker.
      keepOffStaff(l, before, r, true, 'out_of_scope', 'out_of_scope', l.inactiveReason === 'out_of_scope' ? 'details_changed_in_psa' : 'out_of_scope');
      continue;
    }
    if (r.active) {
      if (l.list === 'inactive_synced') {
        pendingActivation.push({ local: l, remote: r });
        continue;
      }
      const after = makeState(before, r, { psaActive: true });
      const changes = diffState(before, after);
      if (l.adminInactive) {
        entries.push(entry(l.id, after, 'kept_inactive_by_admin', 'kept_inactive_by_admin', changes));
      } else if (changes.length > 0) {
        entries.push(entry(l.id, after, 'updated', 'details_changed_in_psa', changes));
      } else {
        unchanged++;
      }
      continue;
    }

    keepOffStaff(l, before, r, false, 'psa_inactive', 'inactive_in_psa', 'details_changed_in_psa');
  }

  for (const l of local) {
    if (l.externalId === null || seen.has(l.externalId)) continue;
    if (l.list === 'staff') {
      const before = stateOf(l);
      const after = makeState(before, null, { active: false, list: 'inactive_synced', psaActive: null, inactiveReason: 'vanished' });
      if (l.active) seats.release();
      entries.push(entry(l.id, after, 'moved_to_inactive', 'vanished', diffState(before, after)));
    } else {
      unchanged++;
    }
  }

  // Additions and reactivations take seats in PSA order until the plan's limit is reached.
  for (const { local: l, remote: r } of pendingActivation) {
    const adminInactive = l?.adminInactive ?? false;
    const active = !adminInactive && seats.take();
    const after = makeState(null, r, { active, list: 'staff', psaActive: true, inactiveReason: active ? null : adminInactive ? 'admin' : 'seat_limit', adminInactive });
    if (l) {
      const back = l.inactiveReason === 'out_of_scope' ? 'back_in_scope' : 'active_again_in_psa';
      entries.push(entry(l.id, after, 'reactivated', !active && !adminInactive ? 'seat_limit_reached' : back, diffState(stateOf(l), after)));
    } else {
      entries.push(addedEntry(input.newId(), after, active ? 'new_in_psa' : 'seat_limit_reached'));
    }
  }

  for (const s of input.skipped) {
    entries.push({ memberId: null, externalId: s.externalId, identifier: s.identifier, name: s.name, email: null, action: 'skipped', reason: s.reason, changes: [] });
  }

  const counts = deriveCounts(entries, unchanged);
  const remoteTotal = input.setAside?.remoteTotal ?? remote.length;
  counts.fetched = remoteTotal + input.skipped.length;
  counts.outOfScope = input.setAside?.outOfScope ?? outOfScope;
  const hold = holdReason(counts.deactivated, activeBefore, remoteTotal, input.breaker);
  return { entries, counts, hold, ...(hold ? { holdKind: remoteTotal === 0 ? 'empty_roster' : 'breaker' } : {}) };
}

/** The circuit breaker of product.md §4: too many deactivations, or an empty roster, waits for an admin. */
export function holdReason(deactivations: number, activeBefore: number, remoteStaff: number, breaker: PlanInput['breaker']): string | null {
  if (remoteStaff === 0 && activeBefore > 0) {
    return `the PSA returned no staff while ${activeBefore} members are Active; approve to deactivate them all`;
  }
  const share = activeBefore === 0 ? 0 : (deactivations / activeBefore) * 100;
  if (deactivations > breaker.minMembers && share > breaker.percent) {
    return `the sync would deactivate ${deactivations} of ${activeBefore} Active members (${share.toFixed(0)}%), above the limit of ${breaker.percent}% and ${breaker.minMembers} members; an admin must approve or reject it`;
  }
  return null;
}
