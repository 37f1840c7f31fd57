import type { EntityManager } from '@mikro-orm/postgresql';
import type { RemoteMember, RosterPage, SkippedRemote } from '../connector/contract.js';
import { diffPage, loadLocalMembers, memberTotals, unseenMembers } from '../db/member-repository.js';
import type { LocalMember, PlanInput } from './types.js';

/** A complete read of a PSA roster. */
export interface RosterRead {
  remote: RemoteMember[];
  skipped: SkippedRemote[];
}

/** What the planner is given: the read, and our members (all, or only those that need a look). */
export interface Prepared {
  read: RosterRead;
  /** The remote records to plan: all of them, or only new and changed ones when `setAside` is set. */
  remote: RemoteMember[];
  local: LocalMember[];
  setAside?: PlanInput['setAside'];
}

/** Reads the roster, calling `onPage` for every page as it arrives. */
export type ReadRoster = (onPage?: (page: RosterPage) => void) => Promise<RosterRead>;

/**
 * Reads the roster and, in parallel, gathers what the planner needs. For an authoritative PSA
 * with members already, each page is compared with our members inside PostgreSQL while the next
 * page downloads, so a resync where little changed moves only the changes (and the members the
 * PSA no longer returns) into this process. Otherwise every member is loaded.
 */
export async function prepareForPlan(em: EntityManager, accountId: string, authoritative: boolean, readRoster: ReadRoster): Promise<Prepared> {
  if (!authoritative) {
    const [read, local] = await Promise.all([readRoster(), loadLocalMembers(em, accountId)]);
    return { read, remote: read.remote, local };
  }
  const totals = await memberTotals(em, accountId);
  if (totals.total === 0) {
    const read = await readRoster();
    return { read, remote: read.remote, local: [] };
  }
  const diffs: Promise<Awaited<ReturnType<typeof diffPage>>>[] = [];
  let read: RosterRead;
  try {
    read = await readRoster((page) => {
      if (page.members.length > 0) diffs.push(diffPage(em.fork(), accountId, page.members));
    });
  } catch (err) {
    await Promise.allSettled(diffs);
    throw err;
  }
  const changed = new Set<string>();
  const local: LocalMember[] = [];
  for (const rows of await Promise.all(diffs)) {
    for (const row of rows) {
      changed.add(row.externalId);
      if (row.local) local.push(row.local);
    }
  }
  local.push(...(await unseenMembers(em, accountId, read.remote.map((r) => r.externalId))));
  const remote = read.remote.filter((r) => changed.has(r.externalId));
  return { read, remote, local, setAside: { remoteTotal: read.remote.length, unchanged: read.remote.length - remote.length, activeBefore: totals.active } };
}
