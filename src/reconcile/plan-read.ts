// Which plan a read gets: the one place that turns what was read from a PSA, and what we hold, into
// a Plan. Pure (no I/O): reading is in sync-run.ts, writing a plan in apply-run.ts.
import { randomUUID } from 'node:crypto';
import type { Connector, RemoteMember, SkippedRemote } from '../connector/contract.js';
import { SyncError } from '../core/errors.js';
import type { AccountRecord } from '../db/account-repository.js';
import { planAuthoritative } from './plan.js';
import { planDirectory } from './plan-directory.js';
import { effectiveScope, holdIfScopeMatchesNobody, remoteInScope, tallyScope } from './plan-scope.js';
import type { RosterRead } from './read-roster.js';
import type { LocalMember, Plan } from './types.js';

/** What planning an unchanged roster needs from our side: members an admin unchecked, and the totals. */
export interface UnchangedRosterState {
  kept: LocalMember[];
  summary: { withPsaId: number; active: number };
}

/** The plan for a complete read against all of the account's members, by the connector's roster policy. */
export function planRead(connector: Connector, account: AccountRecord, read: RosterRead, local: LocalMember[]): Plan {
  if (connector.rosterPolicy === 'directory') {
    const setup = account.lastFullReadAt === null;
    // Setup happens once and for good, so it needs proof: a complete read (counted where the PSA
    // reports a count, see read-roster.ts) that found someone to import. An empty answer is far
    // more likely a PSA or permission fault than a help desk with no agents.
    if (setup && !read.remote.some((r) => r.active)) {
      throw new SyncError(
        'incomplete_read',
        `${connector.displayName} returned no enabled agents on the setup sync, so nothing was imported; check that the API application may read agents. Setup is tried again at the next sync`,
      );
    }
    return planDirectory({ remote: read.remote, skipped: read.skipped, local, seatLimit: account.seatLimit, setup, newId: randomUUID });
  }
  const scope = effectiveScope(connector, account.syncScope);
  const inScope = remoteInScope(scope);
  const plan = planAuthoritative({
    remote: read.remote,
    skipped: read.skipped,
    local,
    seatLimit: account.seatLimit,
    breaker: { percent: account.breakerPercent, minMembers: account.breakerMinMembers },
    newId: randomUUID,
    inScope,
  });
  return holdIfScopeMatchesNobody(plan, scope, tallyScope(read.remote, inScope), connector);
}

/**
 * The plan for a roster identical to the one the last applied sync read, with no member written
 * since: every member is unchanged except those an admin unchecked, which each run reports. Only
 * those are loaded (`unchanged`); the planner gets the roster's totals for its counts and safety checks.
 */
export function planUnchangedRoster(connector: Connector, account: AccountRecord, read: RosterRead, { kept, summary }: UnchangedRosterState): Plan {
  const keptIds = new Set(kept.map((m) => m.externalId));
  const scope = effectiveScope(connector, account.syncScope);
  const inScope = remoteInScope(scope);
  const tally = tallyScope(read.remote, inScope);
  const plan = planAuthoritative({
    remote: read.remote.filter((r) => keptIds.has(r.externalId)),
    skipped: read.skipped,
    local: kept,
    seatLimit: account.seatLimit,
    breaker: { percent: account.breakerPercent, minMembers: account.breakerMinMembers },
    newId: randomUUID,
    inScope,
    setAside: { remoteTotal: read.remote.length, unchanged: summary.withPsaId - kept.length, activeBefore: summary.active, outOfScope: tally.outOfScope },
  });
  return holdIfScopeMatchesNobody(plan, scope, tally, connector);
}

/**
 * The plan of a callback run: the named members alone, with the whole account's seat count,
 * breaker and sync scope (a member outside it moves to Inactive Synced as in a full sync).
 */
export function planCallbackRead(connector: Connector, account: AccountRecord, remote: RemoteMember[], skipped: SkippedRemote[], local: LocalMember[], activeBefore: number): Plan {
  const inScope = remoteInScope(effectiveScope(connector, account.syncScope));
  return planAuthoritative({
    remote,
    skipped,
    local,
    seatLimit: account.seatLimit,
    breaker: { percent: account.breakerPercent, minMembers: account.breakerMinMembers },
    newId: randomUUID,
    inScope,
    setAside: { remoteTotal: remote.length, unchanged: 0, activeBefore, outOfScope: tallyScope(remote, inScope).outOfScope },
  });
}
