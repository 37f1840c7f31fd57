/**
 * The member vocabulary every layer shares (product.md §1, §5): a member's state, the change
 * entries that record how it changed, and a run's counts. Pure data and pure functions; imports
 * nothing from the rest of psa-sync, so the database, the planner and the services all depend on
 * it and never on each other for it.
 */
export type MemberList = 'staff' | 'inactive_synced';
export type MemberSource = 'psa' | 'import' | 'survey' | 'manual';

/** Why a member is not Active, when it is not. */
export type InactiveReason = 'psa_inactive' | 'vanished' | 'admin' | 'seat_limit' | 'out_of_scope';

/**
 * The PSA's profile fields (product.md §2 "Sync scope and profile fields"): names as the PSA shows
 * them, and the hire date as `YYYY-MM-DD`; null when the PSA has none.
 */
export interface ProfileState {
  department: string | null;
  workRole: string | null;
  location: string | null;
  title: string | null;
  hireDate: string | null;
}

export const PROFILE_FIELDS = ['department', 'workRole', 'location', 'title', 'hireDate'] as const satisfies readonly (keyof ProfileState)[];

/** A member without profile fields (the survey snippet, imports, HaloPSA). */
export const NO_PROFILE: Readonly<ProfileState> = Object.freeze({ department: null, workRole: null, location: null, title: null, hireDate: null });

/** The fields of a member that a sync or an admin can change. */
export interface MemberState extends ProfileState {
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
  /** Active in the PSA but outside the account's sync scope (product.md §2). */
  | 'out_of_scope'
  /** New, active in the PSA, and outside the sync scope: recorded straight onto Inactive Synced. */
  | 'new_out_of_scope'
  /** Inside the sync scope again (it was widened, or the member moved in the PSA): rule 7. */
  | 'back_in_scope'
  | 'kept_inactive_by_admin'
  | 'api_member'
  | 'api_user'
  | 'unassigned_agent'
  | 'set_by_admin'
  | 'imported_at_setup'
  | 'disabled_in_psa'
  | 'imported_from_file'
  | 'seen_in_survey'
  | 'seen_in_imported_ratings';

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
  /**
   * Members the PSA reports active that are outside the account's sync scope, whether this run
   * moved them to Inactive Synced or they were there already (absent in runs from before scopes).
   */
  outOfScope?: number;
}

const STATE_FIELDS: (keyof MemberState)[] = [
  'externalId',
  'identifier',
  'name',
  'email',
  'active',
  'list',
  'psaActive',
  'inactiveReason',
  'adminInactive',
  ...PROFILE_FIELDS,
];

/**
 * The field-by-field difference between two states. A field a state lacks counts as null: states
 * stored before the profile fields existed read as members without them.
 */
export function diffState(before: MemberState | null, after: MemberState): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of STATE_FIELDS) {
    const b = before ? (before[field] ?? null) : null;
    const a = after[field] ?? null;
    if (b !== a) changes.push({ field, before: b, after: a });
  }
  return changes;
}

/** The changeable state of a member (its id and source left out). */
export function stateOf(m: MemberState): MemberState {
  return {
    externalId: m.externalId,
    identifier: m.identifier,
    name: m.name,
    email: m.email,
    active: m.active,
    list: m.list,
    psaActive: m.psaActive,
    inactiveReason: m.inactiveReason,
    adminInactive: m.adminInactive,
    department: m.department ?? null,
    workRole: m.workRole ?? null,
    location: m.location ?? null,
    title: m.title ?? null,
    hireDate: m.hireDate ?? null,
  };
}

/**
 * The entry that creates a member. Its field changes are the new state's non-null fields, computed
 * when read rather than held: a first sync of 100,000 members would otherwise keep 900,000 small
 * objects alive until the run ends. A class, so the getter lives once on the prototype.
 */
class AddedEntry implements PlanEntry {
  readonly action = 'added' as const;
  readonly isNew = true;
  readonly externalId: string | null;
  readonly identifier: string | null;
  readonly name: string;
  readonly email: string | null;
  constructor(
    readonly memberId: string,
    readonly after: MemberState,
    readonly reason: ChangeReason,
  ) {
    this.externalId = after.externalId;
    this.identifier = after.identifier;
    this.name = after.name;
    this.email = after.email;
  }
  get changes(): FieldChange[] {
    return diffState(null, this.after);
  }
  /** Plain data for JSON (dry-run output), with the field list spelled out. */
  toJSON(): PlanEntry {
    const { memberId, externalId, identifier, name, email, action, reason, changes, after, isNew } = this;
    return { memberId, externalId, identifier, name, email, action, reason, changes, after, isNew };
  }
}

export function addedEntry(memberId: string, after: MemberState, reason: ChangeReason): PlanEntry {
  return new AddedEntry(memberId, after, reason);
}

