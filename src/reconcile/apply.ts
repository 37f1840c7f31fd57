import type { EntityManager } from '@mikro-orm/postgresql';
import { bumpMembersVersion } from '../db/account-repository.js';
import { insertMembers, updateMembers } from '../db/member-repository.js';
import type { MemberSource, MemberState, PlanEntry } from './types.js';

/**
 * Writes the member side of a plan with bulk statements: one insert for new members, one update
 * for changed ones. Must run inside the caller's transaction, with the account row locked.
 * Entries that change nothing write nothing.
 */
export async function applyMemberStates(
  tem: EntityManager,
  accountId: string,
  source: MemberSource,
  entries: readonly PlanEntry[],
  now: Date,
): Promise<number> {
  const inserts: { id: string; state: MemberState }[] = [];
  const updates: { id: string; state: MemberState }[] = [];
  for (const e of entries) {
    if (!e.memberId || !e.after || (!e.isNew && e.changes.length === 0)) continue;
    (e.isNew ? inserts : updates).push({ id: e.memberId, state: e.after });
  }
  await insertMembers(tem, accountId, source, inserts, now);
  await updateMembers(tem, accountId, updates, now, true);
  const written = inserts.length + updates.length;
  if (written > 0) await bumpMembersVersion(tem, accountId, now);
  return written;
}
