import type { RemoteMember, SkippedRemote } from '../connector/contract.js';
import type { LocalMember, PlanEntry, RunCounts } from '../domain/member.js';

export type { ChangeAction, ChangeReason, FieldChange, InactiveReason, LocalMember, MemberList, MemberSource, MemberState, PlanEntry, RunCounts } from '../domain/member.js';

export interface BreakerSettings {
  /** Hold when deactivations exceed this percentage of members Active before the run… */
  percent: number;
  /** …and also exceed this many members. */
  minMembers: number;
}

export interface PlanInput {
  remote: RemoteMember[];
  skipped: SkippedRemote[];
  local: LocalMember[];
  seatLimit: number | null;
  breaker: BreakerSettings;
  newId: () => string;
  /**
   * The account's sync scope as a test of a remote member (product.md §2); absent: everyone.
   * Members the PSA reports active that fail it are planned like inactive ones (`out_of_scope`).
   */
  inScope?: (r: RemoteMember) => boolean;
  /**
   * Set when the caller already knows which members need no change (an unchanged roster, see
   * `roster-hash.ts`): `remote` and `local` then hold only the rest, and these are the whole
   * roster's figures. Without it, `remote` and `local` are complete.
   */
  setAside?: {
    /** Remote staff records in the whole read. */
    remoteTotal: number;
    /** Members already known to be unchanged (left out of `remote` and `local`). */
    unchanged: number;
    /** Members Active before the run, across the account. */
    activeBefore: number;
    /** Remote members active in the PSA and outside the sync scope, in the whole read. */
    outOfScope?: number;
  };
}

/** Input of the directory planner (HaloPSA): no deactivations, additions only at setup. */
export interface DirectoryPlanInput {
  remote: RemoteMember[];
  skipped: SkippedRemote[];
  local: LocalMember[];
  seatLimit: number | null;
  /** The account's first sync: import the PSA's active staff. */
  setup: boolean;
  newId: () => string;
}

/**
 * Why a plan is held: the circuit breaker (too many deactivations), an empty roster while members
 * are Active, or a sync scope that matches none of the PSA's active members, which is never applied.
 */
export type HoldKind = 'breaker' | 'empty_roster' | 'scope_matches_nobody';

export interface Plan {
  entries: PlanEntry[];
  counts: RunCounts;
  /** When set, the plan must not be applied without an admin's approval. */
  hold: string | null;
  /** Set with `hold`. */
  holdKind?: HoldKind;
}
