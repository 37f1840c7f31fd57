/**
 * Ratings (product.md §12): the survey events matched to a member, their sentiment, and the
 * shapes reports, lists, the employee dashboard and imports answer with. Pure: no I/O.
 */

/** 7–10 positive, 4–6 neutral, 0–3 negative (a 3-face snippet uses 10, 5 and 0). */
export type Sentiment = 'positive' | 'neutral' | 'negative';

export function sentimentOf(rating: number): Sentiment {
  return rating >= 7 ? 'positive' : rating >= 4 ? 'neutral' : 'negative';
}

/** What a report groups by: engineer (member), client, or the account's local day or ISO week (Monday). */
export const RATING_GROUP_BYS = ['member', 'client', 'day', 'week'] as const;
export type RatingGroupBy = (typeof RATING_GROUP_BYS)[number];

/** An include or an exclude list: `include` keeps only these; `exclude` keeps everything else. */
export interface ScopeList {
  mode: 'include' | 'exclude';
  /** Member ids, or client names (client names compare case-insensitively). */
  values: readonly string[];
}

/**
 * What one caller may see of an account's ratings, resolved from its Principal: member ids (null:
 * every member) and clients (null: every client). An employee's members are their own one.
 */
export interface RatingScope {
  members: ScopeList | null;
  clients: ScopeList | null;
}

/**
 * The filters of a report or list, as URL values (the API's query string, the console's form, the
 * CLI's flags). Dates are the account's local days, `YYYY-MM-DD`, both ends included; lists are
 * comma-separated (member ids; client names). Absent `to`: today; absent `from`: 29 days before `to`.
 */
export interface RatingQueryInput {
  from?: string;
  to?: string;
  groupBy?: string;
  /** Lists: comma-separated, or (a query string's repeated parameter) several values. */
  members?: string | string[];
  clients?: string | string[];
  excludeMembers?: string | string[];
  excludeClients?: string | string[];
  limit?: string;
  cursor?: string;
}

/** Validated filters: the caller's own choice, before its scope is applied. */
export interface RatingFilter {
  from: string;
  to: string;
  members: string[] | null;
  excludeMembers: string[];
  clients: string[] | null;
  excludeClients: string[];
}

/** Count, average (0–10, two decimals) and positive share (0–1, four decimals); null figures when count is 0. */
export interface RatingFigures {
  count: number;
  average: number | null;
  positiveShare: number | null;
}

/**
 * One group of a report. `key`: a member id, a client name ('' for ratings naming no client), a
 * day `YYYY-MM-DD`, or a week's Monday `YYYY-MM-DD`; `label`: the member's name, the client
 * ("(no client)"), the day, or the ISO week (`2026-W49`).
 */
export interface RatingGroup extends RatingFigures {
  key: string;
  label: string;
  /** Positive, neutral and negative counts (they add up to `count`). */
  positive: number;
  neutral: number;
  negative: number;
}

/**
 * `GET …/ratings/summary`: the figures over the range and per group. Member and client groups hold
 * those with ratings, by label; day and week groups cover the whole range in order, empty ones
 * with count 0.
 */
export interface RatingSummary {
  from: string;
  to: string;
  groupBy: RatingGroupBy;
  overall: RatingFigures & { positive: number; neutral: number; negative: number };
  groups: RatingGroup[];
}

/** One rating as lists and exports show it. `at`: when it was first given (ISO); `ticket` null when the link had none. */
export interface RatingView {
  id: string;
  at: string;
  rating: number;
  sentiment: Sentiment;
  memberId: string;
  memberName: string;
  client: string | null;
  ticket: string | null;
  comment: string | null;
}

/** A page of ratings, newest first; `nextCursor` null on the last page. */
export interface RatingPage {
  from: string;
  to: string;
  ratings: RatingView[];
  nextCursor: string | null;
}

/**
 * The employee dashboard (`/me`): their own figures of all time and of the last 90 days, the
 * 90-day trend by day (90 groups, oldest first, today last), and their ratings newest first.
 */
export interface EmployeeDashboard {
  member: { id: string; name: string };
  /** Today in the account's time zone, the trend's last day. */
  today: string;
  overall: RatingFigures;
  last90Days: RatingFigures;
  trend: RatingGroup[];
  ratings: RatingView[];
  nextCursor: string | null;
}

/** A history row (product.md §12): the CSV header `at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name`. */
export interface RatingImportRow {
  /** ISO 8601 instant, or a `YYYY-MM-DD` day (midnight in the account's time zone). */
  at: string;
  rating: number | string;
  ticket?: string | null;
  respondent?: string | null;
  client?: string | null;
  comment?: string | null;
  agentId?: string | null;
  agentEmail?: string | null;
  agentName?: string | null;
}

/** What an import did: rows stored as new events, of which matched to a member, and unmatched. Re-importing the same rows answers 0 imported. */
export interface RatingImportResult {
  imported: number;
  matched: number;
  unmatched: number;
  /**
   * Rows whose ticket and respondent the account already has an event for (an earlier import of
   * the same rows, or a live click): left as they are.
   */
  unchanged: number;
  /** Members added for unknown agents (halopsa and snippet accounts, as live events add them). */
  membersAdded: number;
}

/** Positive share and average from sums, rounded as reports show them. */
export function figures(count: number, sum: number, positive: number): RatingFigures {
  if (count === 0) return { count: 0, average: null, positiveShare: null };
  return { count, average: Math.round((sum / count) * 100) / 100, positiveShare: Math.round((positive / count) * 10_000) / 10_000 };
}
