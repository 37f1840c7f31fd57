import type { Logger } from '../core/logger.js';
import type { HttpObserver, HttpPolicy } from './http.js';
import type { ThrottleBudget } from './throttle.js';

/** The integrations an account can have (product.md §1). */
export const INTEGRATIONS = ['connectwise', 'autotask', 'halopsa', 'snippet'] as const;
export type Integration = (typeof INTEGRATIONS)[number];

/** A staff member as the PSA reports it, already mapped to psa-sync's vocabulary. */
export interface RemoteMember {
  /** The PSA's stable id (ConnectWise member id, Autotask resource id, Halo agent id), as a string. */
  externalId: string;
  /** The PSA login name, which can be renamed; never used to match. */
  identifier: string | null;
  name: string;
  email: string | null;
  /** Whether the PSA reports the member as active. */
  active: boolean;
  /** When the PSA last changed the record, if it says (for logs; matching never depends on it). */
  modifiedAt?: Date;
  /** Profile fields the PSA reports (product.md §2 "Sync scope and profile fields"); absent when it has none. */
  profile?: MemberProfile;
  /** Where the member sits in the PSA, for the account's sync scope; absent when the PSA has no scope. */
  scopeKeys?: ScopeKeys;
}

/** Profile fields shown in the console and filterable in the members list (names, not ids). */
export interface MemberProfile {
  department: string | null;
  /** The member's work role (position). */
  workRole: string | null;
  location: string | null;
  title: string | null;
  /** `YYYY-MM-DD`, or null when unknown (ConnectWise's `1800-01-01` placeholder is unknown). */
  hireDate: string | null;
}

/** The PSA ids (as strings) that decide whether a member is in the account's sync scope. */
export interface ScopeKeys {
  memberType?: string | null;
  /** Every department the member belongs to (Autotask resources may have several). */
  departments?: string[];
  location?: string | null;
}

/** What an account's sync scope can narrow by. */
export const SCOPE_DIMENSIONS = ['memberTypes', 'departments', 'locations'] as const;
export type ScopeDimension = (typeof SCOPE_DIMENSIONS)[number];

/** One choice of a scope picker, read live from the PSA. */
export interface ScopeChoice {
  id: string;
  name: string;
}

/** The scope pickers' choices, for the dimensions the PSA supports. */
export type ScopeChoices = Partial<Record<ScopeDimension, ScopeChoice[]>>;

/** A record the PSA returned that is not staff (an API member or API-only user, the Unassigned agent). */
export interface SkippedRemote {
  externalId: string;
  identifier: string | null;
  name: string;
  reason: 'api_member' | 'api_user' | 'unassigned_agent';
}

/** One page of a roster read. */
export interface RosterPage {
  members: RemoteMember[];
  skipped: SkippedRemote[];
  /**
   * The response the page was mapped from, as the PSA sent it. When given, the roster fingerprint
   * covers this text instead of serialising the mapped records (see reconcile/roster-hash.ts).
   */
  source?: string;
}

/**
 * Reads a PSA's full staff roster. The engine consumes every page and then asks for the expected
 * count; only when both agree is the read complete enough to deactivate anyone (product.md §4).
 */
export interface RosterReader {
  /** Yields the roster page by page; throws a SyncError on any failure. */
  pages(signal?: AbortSignal): AsyncIterable<RosterPage>;
  /**
   * How many records (staff and skipped) the PSA says the roster holds, or `undefined` when the
   * PSA has no way to tell (then a read is complete when paging ended normally).
   */
  expectedCount(signal?: AbortSignal): Promise<number | undefined>;
}

/**
 * How the PSA's roster governs our member lists (product.md §2):
 * - `authoritative`: the PSA is the source of truth (ConnectWise, Autotask): add, update, move to inactive.
 * - `directory`: the first sync imports active staff; later syncs only refresh known members'
 *   details and report those the PSA disabled (HaloPSA). Nobody is added or deactivated.
 * - `none`: no roster to read (the survey snippet); members come from imports and survey activity.
 */
export type RosterPolicy = 'authoritative' | 'directory' | 'none';

/** What a connector gets from the host when it builds a reader. */
export interface ConnectorContext {
  logger: Logger;
  policy: HttpPolicy;
  observer?: HttpObserver;
  /** The run's throttle budget: every request the run makes draws on it (see connector/throttle.ts). */
  throttle?: ThrottleBudget;
}

/**
 * A pluggable integration. Each connector owns its settings schema, auth, paging and quirks;
 * the engine never sees HTTP.
 */
export interface Connector<Settings = unknown> {
  integration: Integration;
  /** Product name used in messages, e.g. "ConnectWise". */
  displayName: string;
  rosterPolicy: RosterPolicy;
  /** Validates `--config` JSON; throws InputError naming every problem (never echoing secrets). */
  parseSettings(raw: unknown): Settings;
  /** The settings with every secret removed, safe to print. */
  publicSettings(settings: Settings): Record<string, unknown>;
  /** With policy `none` this throws a `config` SyncError: there is no roster to read. */
  createReader(settings: Settings, context: ConnectorContext): RosterReader;
  /** Which survey merge fields the PSA fills in, for `accounts snippet` (product.md §3). */
  mergeFields: SurveyMergeFields;
  /** The scope dimensions this PSA supports (product.md §2); absent or empty: no sync scope. */
  scopeDimensions?: readonly ScopeDimension[];
  /** Reads the scope pickers' choices live from the PSA (names and ids). */
  scopeChoices?(settings: Settings, context: ConnectorContext, signal?: AbortSignal): Promise<ScopeChoices>;
  /** Near-real-time callbacks (product.md §11), where the PSA has them (ConnectWise). */
  callbacks?(settings: Settings, context: ConnectorContext): CallbackApi;
}

/** A callback registration in the PSA. */
export interface PsaCallback {
  id: number;
  url: string;
  description: string;
  type: string;
  level: string;
  inactive: boolean;
}

/** What psa-sync needs of a PSA's callbacks: its own registrations, and one member re-read. */
export interface CallbackApi {
  list(signal?: AbortSignal): Promise<PsaCallback[]>;
  create(input: { url: string; description: string }, signal?: AbortSignal): Promise<PsaCallback>;
  remove(id: number, signal?: AbortSignal): Promise<void>;
  /** One member, as a full read would see it; `null` when it cannot be read (deleted, gone, refused). */
  readMember(externalId: string, signal?: AbortSignal): Promise<{ member: RemoteMember } | { skipped: SkippedRemote } | null>;
}

/** How a PSA's email templates name the values a survey link needs. */
export interface SurveyMergeFields {
  ticket: string;
  agentId?: string;
  agentIdentifier?: string;
  agentEmail?: string;
  agentName?: string;
  /** What a person should check before using the snippet (unconfirmed field names). */
  note?: string;
}
