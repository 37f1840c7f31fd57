import type { RemoteMember, SkippedRemote } from '../connector/contract.js';

export type MemberList = 'staff' | 'inactive_synced';
export type MemberSource = 'psa' | 'import' | 'survey' | 'manual';

/** Why a member is not Active, when it is not. */
export type InactiveReason = 'psa_inactive' | 'vanished' | 'admin' | 'seat_limit';

/** The fields of a member that a sync or an admin can change. */
export interface MemberState {
  externalId: string | null;
  identifier: string | null;
  name: string;
  email: string | null;
  active: boolean;
  list: MemberList;
  psaActive: boolean | null;
  inactiveReason: InactiveReason | null;
  /** An admin unchecked Active: sticky, never undone by a sync (product.md §2 CW rule 6). */
  adminInactive: boolean;
}

/** A member as stored, as the planner needs it. */
export interface LocalMember extends MemberState {
  id: string;
  source: MemberSource;
}

export type ChangeAction =
  | 'added'
  | 'updated'
  | 'moved_to_inactive'
  | 'reactivated'
  | 'kept_inactive_by_admin'
  | 'skipped'
  | 'admin_checked'
  | 'admin_unchecked'
  | 'flagged';

/** Reason codes a support person can read in a run or a member's history. */
export type ChangeReason =
  | 'new_in_psa'
  | 'new_inactive_in_psa'
  | 'seat_limit_reached'
  | 'details_changed_in_psa'
  | 'inactive_in_psa'
  | 'vanished'
  | 'active_again_in_psa'
  | 'kept_inactive_by_admin'
  | 'api_member'
  | 'unassigned_agent'
  | 'set_by_admin'
  | 'imported_at_setup'
  | 'disabled_in_psa'
  | 'imported_from_file'
  | 'seen_in_survey';

export interface FieldChange {
  field: keyof MemberState;
  before: unknown;
  after: unknown;
}

/** One member's planned or applied change, identified by our id and the PSA's id, identifier, name and email. */
export interface PlanEntry {
  /** Our member id; null only for skipped PSA records, which are not members. */
  memberId: string | null;
  externalId: string | null;
  identifier: string | null;
  name: string;
  email: string | null;
  action: ChangeAction;
  reason: ChangeReason;
  changes: FieldChange[];
  /** Full state after the change (absent for skipped and kept-inactive entries that change nothing). */
  after?: MemberState;
  /** Set when the entry creates the member. */
  isNew?: boolean;
}

/** Counts of a run, derived from its entries (product.md §5). */
export interface RunCounts {
  fetched: number;
  added: number;
  updated: number;
  deactivated: number;
  movedToInactive: number;
  reactivated: number;
  unchanged: number;
  keptInactiveByAdmin: number;
  skipped: number;
  /** Members the PSA disabled that stay Active here until an admin decides (HaloPSA). */
  flaggedDisabled: number;
}

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

export interface Plan {
  entries: PlanEntry[];
  counts: RunCounts;
  /** When set, the plan must not be applied without an admin's approval. */
  hold: string | null;
}
