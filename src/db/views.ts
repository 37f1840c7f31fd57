import type { RunCounts } from '../domain/member.js';

/** A member as printed by the CLI and returned by the API (product.md §8). */
export interface MemberView {
  id: string;
  accountId: string;
  externalId: string | null;
  identifier: string | null;
  name: string;
  email: string | null;
  source: string;
  active: boolean;
  list: 'staff' | 'inactive_synced';
  psaActive: boolean | null;
  inactiveReason: string | null;
  adminInactive: boolean;
  /** The PSA's profile fields (product.md §2); null when it has none. */
  department: string | null;
  workRole: string | null;
  location: string | null;
  title: string | null;
  /** `YYYY-MM-DD`. */
  hireDate: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  updatedAt: string;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'held' | 'rejected' | 'expired';
export type RunTrigger = 'schedule' | 'manual' | 'setup' | 'retry' | 'callback';

/** A sync run (product.md §5). */
export interface RunView {
  id: string | null;
  accountId: string;
  trigger: RunTrigger;
  status: RunStatus;
  requestedBy: string;
  dryRun: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  counts: RunCounts | null;
  error: { kind: string; message: string } | null;
  holdReason: string | null;
  /**
   * Why a held run is held: `breaker` (too many deactivations), `empty_roster`, or
   * `scope_matches_nobody` (a sync scope that leaves nobody in; such a run is never approved).
   */
  holdKind: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
}

/**
 * What a run's change entries do to the Active box, beside its counts (and, like them, derived
 * from the entries): how many change something, how many become Active, how many are back in All
 * Staff without a seat (the seat limit) or kept unchecked by an admin.
 */
export interface RunTally {
  /** Entries that change a member (skipped PSA records left out). */
  changes: number;
  madeActive: number;
  waitingForSeat: number;
  keptUncheckedByAdmin: number;
}

/** A per-member change entry, planned (held run), applied or discarded. */
export interface ChangeView {
  id: string | null;
  runId: string | null;
  memberId: string | null;
  externalId: string | null;
  identifier: string | null;
  name: string;
  email: string | null;
  action: string;
  reason: string;
  changes: { field: string; before: unknown; after: unknown }[];
  state: 'planned' | 'applied' | 'discarded';
  actor: string;
  /** The survey event that revealed the member, for members added from survey activity. */
  surveyEventId?: string | null;
  createdAt: string;
}

export interface AccountView {
  id: string;
  name: string;
  integration: string;
  settings: Record<string, unknown>;
  seatLimit: number | null;
  /** Seats in use: members Active now, of the limit (null: no limit). */
  seats: { active: number; limit: number | null } | null;
  syncAt: string | null;
  timezone: string;
  breaker: { percent: number; minMembers: number };
  /** The key in this account's public survey links (`/s/:accountKey`); not a secret. */
  publicKey: string;
  requireSignedLinks: boolean;
  surveyAutoAddCap: number;
  createdAt: string;
  /** Who gets notification emails; null: the account's admins (product.md §10). */
  notificationEmails: string[] | null;
  /** The ConnectWise callback psa-sync registered (product.md §11), and when one last arrived. */
  callback: { registered: boolean; url: string | null; lastReceivedAt: string | null };
  /** Admins who can sign in: activated (a password set) and not suspended. */
  admins: number;
  /** Admins invited who have not set a password yet: pending invitations, not counted in `admins`. */
  pendingAdmins: number;
  /** "no admin": no admin can sign in (new, its last admin left, or its admins are only invited); support names a first admin. */
  noAdmin: boolean;
  /** Scheduling state (product.md §4, §6): `nextAttemptAt` is null while waiting for new settings. */
  schedule: {
    /** `not_scheduled`: a snippet account, which has no PSA to sync. */
    state: 'ok' | 'backing_off' | 'waiting_for_configuration' | 'not_scheduled';
    nextAttemptAt: string | null;
    consecutiveFailures: number;
    backoffUntil: string | null;
    blockedReason: string | null;
    /** When the PSA was last read completely (null: never). */
    lastCompleteSyncAt: string | null;
    /** No complete read for more than 48 hours: someone should look. */
    stale: boolean;
  };
  lastRun: { id: string; status: string; finishedAt: string | null; error: { kind: string; message: string } | null } | null;
}

export const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());
