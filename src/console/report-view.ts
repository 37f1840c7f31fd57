import { addDays, daysBetween, dayValue } from '../domain/rating-query.js';
import { RATING_GROUP_BYS, type RatingGroupBy, type RatingQueryInput } from '../domain/ratings.js';

/**
 * The reports page's view as its URL holds it (a view is a link): the range, the breakdown and
 * the engineer and client pickers, each "only the checked" or "all but the checked". Pure.
 *
 * Query: `from`, `to` (`YYYY-MM-DD`, the account's days; default the last 90 days), `groupBy`
 * (member | client | day | week), `member` and `client` (repeated, one per checked box),
 * `memberMode` and `clientMode` (`only` | `except`), `cursor` (the ratings list's page).
 */
export interface ReportView {
  from: string;
  to: string;
  groupBy: RatingGroupBy;
  members: string[];
  membersExcept: boolean;
  clients: string[];
  clientsExcept: boolean;
  cursor?: string;
}

/** The reports page opens on the last 90 days, today (in the account's time zone) included. */
export const REPORT_DEFAULT_DAYS = 90;
/** A trend longer than this is drawn per week unless days are asked for. */
const DAILY_TREND_MAX_DAYS = 45;

type Raw = Record<string, unknown>;

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
const many = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter((x) => x !== '');

/** Reads the page's query; wrong values are left for the ratings service to name (it checks every read). */
export function parseReportView(raw: Raw, today: string): ReportView {
  const to = one(raw.to) || today;
  const from = one(raw.from) || (dayValue(to) === undefined ? addDays(today, -(REPORT_DEFAULT_DAYS - 1)) : addDays(to, -(REPORT_DEFAULT_DAYS - 1)));
  const groupBy = one(raw.groupBy);
  return {
    from,
    to,
    groupBy: groupBy && (RATING_GROUP_BYS as readonly string[]).includes(groupBy) ? (groupBy as RatingGroupBy) : 'member',
    members: [...new Set(many(raw.member))],
    membersExcept: one(raw.memberMode) === 'except',
    clients: [...new Set(many(raw.client))],
    clientsExcept: one(raw.clientMode) === 'except',
    cursor: one(raw.cursor) || undefined,
  };
}

/** What the page's own parameters get wrong (dates and ids are checked by the ratings service), each named. */
export function viewProblems(raw: Raw): string[] {
  const problems: string[] = [];
  const groupBy = one(raw.groupBy);
  if (groupBy && !(RATING_GROUP_BYS as readonly string[]).includes(groupBy)) problems.push(`groupBy must be one of ${RATING_GROUP_BYS.join(', ')} (got "${groupBy.slice(0, 20)}")`);
  for (const name of ['memberMode', 'clientMode']) {
    const mode = one(raw[name]);
    if (mode && mode !== 'only' && mode !== 'except') problems.push(`${name} must be only or except (got "${mode.slice(0, 20)}")`);
  }
  return problems;
}

/** A list filter value: comma-separated, a comma inside a client name written `\,` (as the API reads it). */
const listParam = (values: readonly string[]): string | undefined => (values.length === 0 ? undefined : values.map((v) => v.replace(/,/g, '\\,')).join(','));

/** The view as the ratings service and the API read it (summary, list and CSV share these filters). */
export function filterInput(v: ReportView): RatingQueryInput {
  const input: RatingQueryInput = { from: v.from, to: v.to };
  const members = listParam(v.members);
  const clients = listParam(v.clients);
  if (members) input[v.membersExcept ? 'excludeMembers' : 'members'] = members;
  if (clients) input[v.clientsExcept ? 'excludeClients' : 'clients'] = clients;
  return input;
}

/** The page's own URL for a view (repeated keys for the checked boxes). */
export function viewHref(accountId: string, v: ReportView, change: Partial<ReportView> = {}): string {
  const view = { ...v, ...change };
  const q = new URLSearchParams({ from: view.from, to: view.to, groupBy: view.groupBy });
  for (const id of view.members) q.append('member', id);
  if (view.members.length > 0 && view.membersExcept) q.set('memberMode', 'except');
  for (const name of view.clients) q.append('client', name);
  if (view.clients.length > 0 && view.clientsExcept) q.set('clientMode', 'except');
  if (view.cursor) q.set('cursor', view.cursor);
  return `/accounts/${accountId}/reports?${q.toString()}`;
}

/** The API's CSV of the same ratings (the session cookie opens it in a browser). */
export function csvHref(accountId: string, v: ReportView): string {
  const q = new URLSearchParams();
  for (const [k, val] of Object.entries(filterInput(v))) if (val !== undefined) q.set(k, val);
  return `/api/v1/accounts/${accountId}/ratings.csv?${q.toString()}`;
}

/** Day or week steps for the trend: as asked when grouped by day or week; else by the range's length. */
export function trendInterval(v: ReportView): 'day' | 'week' {
  if (v.groupBy === 'day' || v.groupBy === 'week') return v.groupBy;
  const valid = dayValue(v.from) !== undefined && dayValue(v.to) !== undefined;
  return valid && daysBetween(v.from, v.to) < DAILY_TREND_MAX_DAYS ? 'day' : 'week';
}
