import { RATING_GROUP_BYS, type RatingFilter, type RatingGroupBy, type RatingScope } from './ratings.js';
import { CLIENT_MAX, clientKey, cleanClient } from './person-scope.js';

/** Longest range a report covers (day groups are listed for every day of it). */
export const MAX_RANGE_DAYS = 3_700;
/** Default range: the last 30 days, today included. */
export const DEFAULT_RANGE_DAYS = 30;
/** Most member ids or client names one filter may list. */
export const MAX_FILTER_VALUES = 1_000;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `YYYY-MM-DD` as a UTC midnight instant (day arithmetic only), or undefined when not a real date. */
export function dayValue(day: string): number | undefined {
  const m = DAY.exec(day);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === day ? t : undefined;
}

export function addDays(day: string, n: number): string {
  return new Date(dayValue(day)! + n * 86_400_000).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((dayValue(to)! - dayValue(from)!) / 86_400_000);
}

/** The local day of an instant in an IANA time zone, `YYYY-MM-DD`. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The Monday of a day's ISO week. */
export function weekOf(day: string): string {
  const weekday = (new Date(dayValue(day)!).getUTCDay() + 6) % 7;
  return addDays(day, -weekday);
}

/** ISO week label of a Monday: `2026-W49`. */
export function isoWeekLabel(monday: string): string {
  const thursday = addDays(monday, 3);
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor(daysBetween(`${year}-01-01`, thursday) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** A list parameter: comma-separated (a literal comma in a client name is written `\,`), or repeated. */
function listValues(raw: unknown): string[] {
  const parts = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
  return parts.flatMap((p) => p.split(/(?<!\\),/).map((v) => v.replace(/\\,/g, ',').trim())).filter((v) => v !== '');
}

function memberList(name: string, raw: unknown, problems: string[]): string[] {
  const values = listValues(raw);
  if (values.length > MAX_FILTER_VALUES) problems.push(`${name} lists more than ${MAX_FILTER_VALUES} members`);
  const bad = values.filter((v) => !UUID.test(v));
  if (bad.length > 0) problems.push(`${name}: "${bad[0]!.slice(0, 60)}" is not a member id (ids look like 3f2a9c1e-…)`);
  return [...new Set(values.map((v) => v.toLowerCase()))];
}

/**
 * How a client filter names the ratings that name no client: the label their group carries in a
 * report grouped by client. Stored as '' (the key of that group), which the reads already compare.
 */
export const NO_CLIENT = '(no client)';

function clientList(name: string, raw: unknown, problems: string[]): string[] {
  const values = listValues(raw);
  if (values.length > MAX_FILTER_VALUES) problems.push(`${name} lists more than ${MAX_FILTER_VALUES} clients`);
  const long = values.find((v) => [...v].length > CLIENT_MAX);
  if (long) problems.push(`${name}: a client name is longer than ${CLIENT_MAX} characters`);
  return [...new Set(values.map((v) => (v === NO_CLIENT ? '' : cleanClient(v)!)))];
}

/** The filters every ratings read shares (summary, list, CSV). */
export const FILTER_PARAMS = ['from', 'to', 'members', 'clients', 'excludeMembers', 'excludeClients'] as const;

/**
 * Reads a report's filters from URL values (`today` is the account's local day). Every problem is
 * named in `problems`; the result is only meaningful when there are none.
 */
export function parseRatingFilter(raw: Record<string, unknown>, today: string, problems: string[]): RatingFilter {
  const day = (name: 'from' | 'to'): string | undefined => {
    const v = raw[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || dayValue(v) === undefined) {
      problems.push(`${name} must be a date YYYY-MM-DD (got "${String(v).slice(0, 20)}")`);
      return undefined;
    }
    return v;
  };
  const to = day('to') ?? today;
  const from = day('from') ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (dayValue(from) !== undefined && dayValue(to) !== undefined) {
    if (from > to) problems.push(`from (${from}) is after to (${to})`);
    else if (daysBetween(from, to) >= MAX_RANGE_DAYS) problems.push(`the range is longer than ${MAX_RANGE_DAYS} days`);
  }
  const has = (name: string) => raw[name] !== undefined && raw[name] !== '';
  return {
    from,
    to,
    members: has('members') ? memberList('members', raw.members, problems) : null,
    excludeMembers: memberList('excludeMembers', raw.excludeMembers, problems),
    clients: has('clients') ? clientList('clients', raw.clients, problems) : null,
    excludeClients: clientList('excludeClients', raw.excludeClients, problems),
  };
}

export function parseGroupBy(raw: unknown, problems: string[]): RatingGroupBy {
  if (raw === undefined || raw === '') return 'member';
  if (typeof raw === 'string' && (RATING_GROUP_BYS as readonly string[]).includes(raw)) return raw as RatingGroupBy;
  problems.push(`groupBy must be one of ${RATING_GROUP_BYS.join(', ')} (got "${String(raw).slice(0, 20)}")`);
  return 'member';
}

/**
 * What a read selects once the caller's scope and its own filters are combined: filters narrow
 * within the scope, never beyond it. `null` include lists mean "no restriction"; client names are
 * compared by `clientKey` (case-insensitive).
 */
export interface RatingSelection {
  from: string;
  to: string;
  memberIn: string[] | null;
  memberNotIn: string[];
  clientIn: string[] | null;
  clientNotIn: string[];
}

const intersect = (a: string[] | null, b: readonly string[] | null): string[] | null => (a === null ? (b === null ? null : [...b]) : b === null ? a : a.filter((v) => b.includes(v)));

export function selectionOf(filter: RatingFilter, scope: RatingScope): RatingSelection {
  const scopeMembersIn = scope.members?.mode === 'include' ? scope.members.values.map((v) => v.toLowerCase()) : null;
  const scopeMembersOut = scope.members?.mode === 'exclude' ? scope.members.values.map((v) => v.toLowerCase()) : [];
  const scopeClientsIn = scope.clients?.mode === 'include' ? scope.clients.values.map(clientKey) : null;
  const scopeClientsOut = scope.clients?.mode === 'exclude' ? scope.clients.values.map(clientKey) : [];
  return {
    from: filter.from,
    to: filter.to,
    memberIn: intersect(filter.members, scopeMembersIn),
    memberNotIn: [...new Set([...filter.excludeMembers, ...scopeMembersOut])],
    clientIn: intersect(filter.clients?.map(clientKey) ?? null, scopeClientsIn),
    clientNotIn: [...new Set([...filter.excludeClients.map(clientKey), ...scopeClientsOut])],
  };
}

/** True when the selection can hold nothing (an empty include list): reads skip the database. */
export function selectsNothing(s: RatingSelection): boolean {
  return (s.memberIn !== null && s.memberIn.length === 0) || (s.clientIn !== null && s.clientIn.length === 0);
}
