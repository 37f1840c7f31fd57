// The account's sync scope in planning (product.md §2 "Sync scope"): which remote members count as
// staff, and the hold for a scope that matches nobody. Pure (no I/O). The PSA is always read in
// full and the scope applied here, never by the PSA: a server-side filter the PSA ignored, or
// applied differently, must not change who is staff.
import type { Connector, RemoteMember } from '../connector/contract.js';
import { everyone, isNarrowed, scopeFilter, scopeInWords, SYNC_SCOPE_DIMENSIONS, type SyncScope, type SyncScopeDimension } from '../domain/scope.js';
import type { Plan } from './types.js';

/** The dimensions of the account's PSA that a scope may narrow (none for HaloPSA and the snippet). */
export function scopeDimensionsOf(connector: Connector): readonly SyncScopeDimension[] {
  return (connector.scopeDimensions ?? []).filter((d): d is SyncScopeDimension => (SYNC_SCOPE_DIMENSIONS as readonly string[]).includes(d));
}

/** The scope that applies to the account: its stored choices, in the dimensions its PSA has. */
export function effectiveScope(connector: Connector, stored: SyncScope): SyncScope {
  const scope = everyone();
  for (const d of scopeDimensionsOf(connector)) scope[d] = stored[d];
  return scope;
}

/** The scope as a test of a remote member; undefined when it is everyone. */
export function remoteInScope(scope: SyncScope): ((r: RemoteMember) => boolean) | undefined {
  const filter = scopeFilter(scope);
  return filter && ((r) => filter(r.scopeKeys));
}

/** How the PSA's active members fall against the scope, across a whole read. */
export interface ScopeTally {
  /** Members the PSA reports active. */
  active: number;
  /** Of those, outside the scope. */
  outOfScope: number;
}

export function tallyScope(remote: readonly RemoteMember[], test: ((r: RemoteMember) => boolean) | undefined): ScopeTally {
  let active = 0;
  let outOfScope = 0;
  for (const r of remote) {
    if (!r.active) continue;
    active++;
    if (test && !test(r)) outOfScope++;
  }
  return { active, outOfScope };
}

/**
 * A narrowed scope that leaves none of the PSA's active members in is held, never applied: it is
 * far likelier a wrong choice (or a PSA that renumbered its departments) than an account with no
 * staff. Its approval is refused (held-runs.ts); the admin changes the scope instead.
 */
export function holdIfScopeMatchesNobody(plan: Plan, scope: SyncScope, tally: ScopeTally, connector: Connector): Plan {
  if (!isNarrowed(scope) || tally.active === 0 || tally.outOfScope < tally.active) return plan;
  const words = scopeInWords(scope, null, scopeDimensionsOf(connector));
  return {
    ...plan,
    hold: `the sync scope (${words}) matches none of the ${tally.active} members active in ${connector.displayName}, so this run would move them all to Inactive Synced; it is never applied. Change the scope (Settings → Sync scope, or psa-sync accounts scope), then reject this run`,
    holdKind: 'scope_matches_nobody',
  };
}
