import type { RunTally } from '../db/views.js';
import { plural, stamp } from './words.js';

/**
 * A member's changes as a person reads them ("Active: yes → no", "unchecked by ada@acme.test"),
 * never as field names (`adminInactive`, `psaActive`, `externalId`). Pure: data in, words out; the
 * pages escape and place them.
 */

const FIELD_LABELS: Record<string, string> = {
  externalId: 'PSA id',
  identifier: 'Identifier',
  name: 'Name',
  email: 'Email',
  active: 'Active',
  list: 'List',
  psaActive: 'In the PSA',
  inactiveReason: 'Why not Active',
  adminInactive: 'Kept unchecked by an admin',
  department: 'Department',
  workRole: 'Work role',
  location: 'Location',
  title: 'Title',
  hireDate: 'Hire date',
  role: 'Role',
  memberScope: 'Members they see',
  failures: 'Failed sign-ins',
  since: 'Since',
  lastAt: 'Last one',
  state: 'State',
};

const LIST_WORDS: Record<string, string> = { staff: 'All Staff', inactive_synced: 'Inactive Synced Members' };
const INACTIVE_WORDS: Record<string, string> = { psa_inactive: 'inactive in the PSA', vanished: 'no longer in the PSA', admin: 'unchecked by an admin', seat_limit: 'over the seat limit', out_of_scope: 'outside the sync scope' };
const ROLE_WORDS: Record<string, string> = { admin: 'admin', account_manager: 'account manager', employee: 'employee', support: 'support' };

const ACTION_WORDS: Record<string, string> = {
  added: 'added',
  updated: 'details updated',
  moved_to_inactive: 'moved to Inactive Synced Members',
  reactivated: 'made Active again',
  kept_inactive_by_admin: 'kept unchecked',
  skipped: 'skipped',
  admin_checked: 'checked',
  admin_unchecked: 'unchecked',
  flagged: 'flagged for an admin',
};

const REASON_WORDS: Record<string, string> = {
  new_in_psa: 'new in the PSA',
  new_inactive_in_psa: 'new, and inactive in the PSA',
  seat_limit_reached: 'the seat limit was reached',
  details_changed_in_psa: 'details changed in the PSA',
  inactive_in_psa: 'inactive in the PSA',
  vanished: 'no longer in the PSA',
  active_again_in_psa: 'active again in the PSA',
  out_of_scope: 'outside the sync scope (Settings → Sync scope)',
  new_out_of_scope: 'new, and outside the sync scope',
  back_in_scope: 'inside the sync scope again',
  kept_inactive_by_admin: "an admin's choice, kept across syncs",
  api_member: 'an API member, not a person',
  unassigned_agent: "the PSA's placeholder agent",
  set_by_admin: 'set by an admin',
  imported_at_setup: 'imported at setup',
  disabled_in_psa: 'disabled in the PSA; an admin decides',
  imported_from_file: 'imported from a file',
  seen_in_survey: 'seen in a survey rating',
};

/** "adminInactive" → "Admin inactive": the last resort for a field this file does not know yet. */
const humanise = (key: string): string => {
  const words = key.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** A snake_case code as words, for codes this file has no words for. */
const codeWords = (code: string): string => code.replace(/_/g, ' ');

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export const fieldLabel = (field: string): string => FIELD_LABELS[field] ?? humanise(field);

/** One value of a field as a person reads it: yes/no, the list's name, a reason in words, a time (in `timeZone`, else UTC). */
export function valueWords(field: string, value: unknown, timeZone?: string): string {
  if (value === null || value === undefined || value === '') return '—';
  if (field === 'psaActive' && typeof value === 'boolean') return value ? 'active' : 'inactive';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (field === 'list') return LIST_WORDS[String(value)] ?? codeWords(String(value));
  if (field === 'inactiveReason') return INACTIVE_WORDS[String(value)] ?? codeWords(String(value));
  if (field === 'role') return ROLE_WORDS[String(value)] ?? codeWords(String(value));
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((v) => valueWords(field, v, timeZone)).join(', ');
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) return stamp(value, timeZone);
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${fieldLabel(k).toLowerCase()} ${valueWords(k, v, timeZone)}`).join(', ');
  return String(value);
}

/** "Active: yes → no"; a value that had none before (a new member) reads "Active: yes". */
export function fieldChangeWords(field: string, before: unknown, after: unknown, isNew = false, timeZone?: string): string {
  const label = fieldLabel(field);
  return isNew ? `${label}: ${valueWords(field, after, timeZone)}` : `${label}: ${valueWords(field, before, timeZone)} → ${valueWords(field, after, timeZone)}`;
}

/** A change entry (by a run or a person) in words. */
export interface ChangeWords {
  /** What happened, to be followed by who: "Unchecked", "Moved to Inactive Synced Members". */
  what: string;
  /** Why, in words: "inactive in the PSA". */
  why: string;
  /** Each field that changed: "Active: yes → no". */
  fields: string[];
}

/** The part of a change entry its words are made of. */
export interface ChangeLike {
  action: string;
  reason: string;
  changes: { field: string; before: unknown; after: unknown }[];
}

/** The entry makes the member Active (a new one included: its field list then says "Active: yes"). */
export const makesActive = (c: ChangeLike): boolean => c.changes.some((f) => f.field === 'active' && f.after === true);

/**
 * What an entry did. Back in All Staff is not always Active: with every seat taken, or unchecked
 * by an admin, the member returns to the list without the box, and the words say so.
 */
function whatWords(c: ChangeLike): string {
  if (c.action === 'reactivated' && !makesActive(c)) return c.reason === 'seat_limit_reached' ? 'Back in All Staff, not Active (seat limit reached)' : 'Back in All Staff, kept unchecked by an admin';
  if (c.action === 'added' && c.reason === 'seat_limit_reached') return 'Added, not Active (seat limit reached)';
  if (c.action === 'added' && (c.reason === 'new_inactive_in_psa' || c.reason === 'new_out_of_scope')) return 'Added to Inactive Synced Members';
  return capital(ACTION_WORDS[c.action] ?? codeWords(c.action));
}

function whyWords(c: ChangeLike): string {
  if (c.reason === 'seat_limit_reached') return c.action === 'reactivated' ? 'active again in the PSA, but every seat is taken' : 'every seat is taken';
  return REASON_WORDS[c.reason] ?? codeWords(c.reason);
}

export function changeWords(c: ChangeLike, timeZone?: string): ChangeWords {
  const isNew = c.action === 'added';
  return {
    what: whatWords(c),
    why: whyWords(c),
    fields: c.changes.map((f) => fieldChangeWords(f.field, f.before, f.after, isNew, timeZone)),
  };
}

/** The order a summary lists actions in: what a sync does first, what it leaves alone last. */
const SUMMARY_ORDER = ['added', 'updated', 'moved_to_inactive', 'reactivated', 'kept_inactive_by_admin', 'flagged', 'admin_checked', 'admin_unchecked', 'skipped'];

/** A list of entries as counts of what they do, in the words of their rows: "109 added; 7 added to Inactive Synced Members; 4 skipped". */
export function changeSummary(changes: readonly ChangeLike[]): string {
  const groups = new Map<string, { n: number; rank: number }>();
  for (const c of changes) {
    const what = whatWords(c);
    const order = SUMMARY_ORDER.indexOf(c.action);
    // Within an action, its plain words ("Added") before its variants ("Added to Inactive Synced Members").
    const rank = (order === -1 ? SUMMARY_ORDER.length : order) * 2 + (what === capital(ACTION_WORDS[c.action] ?? '') ? 0 : 1);
    groups.set(what, { n: (groups.get(what)?.n ?? 0) + 1, rank });
  }
  return [...groups]
    .sort((a, b) => a[1].rank - b[1].rank)
    .map(([what, { n }]) => `${n} ${what.charAt(0).toLowerCase()}${what.slice(1)}`)
    .join('; ');
}

/** What entries do to the Active box (`RunTally`); `runTallies` in change-repository.ts counts stored runs the same way. */
export function tallyChanges(changes: readonly ChangeLike[]): RunTally {
  const t: RunTally = { changes: 0, madeActive: 0, waitingForSeat: 0, keptUncheckedByAdmin: 0 };
  for (const c of changes) {
    if (c.action !== 'skipped') t.changes++;
    if (makesActive(c)) t.madeActive++;
    else if (c.reason === 'seat_limit_reached') t.waitingForSeat++;
    else if (c.action === 'reactivated') t.keptUncheckedByAdmin++;
  }
  return t;
}

/**
 * A tally as the outcome line's second sentence: "45 became Active; 9 wait for a seat (the seat
 * limit is reached)". A held run or a preview says what would happen. Empty when nothing took or
 * waited for a seat.
 */
export function tallyWords(t: RunTally, planned = false): string {
  const parts = [
    t.madeActive > 0 ? `${plural(t.madeActive, 'member')} ${planned ? 'would become' : 'became'} Active` : '',
    t.waitingForSeat > 0 ? `${t.waitingForSeat} ${planned ? 'would wait' : t.waitingForSeat === 1 ? 'waits' : 'wait'} for a seat (the seat limit is reached)` : '',
    t.keptUncheckedByAdmin > 0 ? `${t.keptUncheckedByAdmin} ${planned ? 'would stay' : t.keptUncheckedByAdmin === 1 ? 'stays' : 'stay'} unchecked by an admin` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join('; ')}.` : '';
}

/** Ids say nothing to a person (the entry links what it concerns). */
const HIDDEN = /(^id$|Ids?$)/;

/** An audit entry's before and after as fields in words ("Role: employee → admin"). */
export function auditFieldWords(before: unknown, after: unknown, timeZone?: string): string[] {
  const b = (before && typeof before === 'object' ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !HIDDEN.test(k));
  if (!before) return keys.map((k) => fieldChangeWords(k, undefined, a[k], true, timeZone));
  if (!after) return keys.map((k) => `${fieldLabel(k)} was ${valueWords(k, b[k], timeZone)}`);
  return keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).map((k) => fieldChangeWords(k, b[k], a[k], false, timeZone));
}
