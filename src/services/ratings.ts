import type { Principal } from '../access/principal.js';
import { assertCanRead, assertCanReadMember } from '../access/policy.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { InputError, NotFoundError } from '../core/errors.js';
import { requireId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { getAccount, type AccountRecord } from '../db/account-repository.js';
import type { Orm } from '../db/orm.js';
import { encodeCursor, parsePageRequest, unknownParams } from '../db/paging.js';
import { clientCounts, foldRatings, memberDaySums, memberNamesById, ratingRows, ratingSums, type RatingSums } from '../db/rating-repository.js';
import { addDays, FILTER_PARAMS, isoWeekLabel, localDay, parseGroupBy, parseRatingFilter, selectionOf, selectsNothing, weekOf, type RatingSelection } from '../domain/rating-query.js';
import { figures, type EmployeeDashboard, type RatingGroup, type RatingGroupBy, type RatingImportResult, type RatingImportRow, type RatingPage, type RatingQueryInput, type RatingScope, type RatingSummary, type RatingView } from '../domain/ratings.js';
import { importRatings, type RatingImportBody } from './rating-import.js';

export type { RatingImportBody, RatingImportRow };

/** How many ratings the dashboard's trend covers, in days (today included). */
export const TREND_DAYS = 90;
/** Rows per query while a CSV export pages through the ratings. */
const CSV_BATCH = 2_000;
export const CSV_HEADER = 'at,rating,sentiment,member_id,member_name,client,ticket,comment';

/** A CSV cell: quoted when needed; a value a spreadsheet would run as a formula gets a leading `'`. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(r: RatingView): string {
  return [r.at, r.rating, r.sentiment, r.memberId, r.memberName, r.client, r.ticket, r.comment].map(csvCell).join(',');
}

/** Groups by label, case- and accent-insensitively (one collator: building one per comparison is slow). */
const LABEL_ORDER = new Intl.Collator('en', { sensitivity: 'base' });

const withSentiments = (s: RatingSums) => ({ ...figures(s.count, s.sum, s.positive), positive: s.positive, neutral: s.neutral, negative: s.negative });
const emptySums = (key: string, label: string): RatingSums => ({ key, label, count: 0, sum: 0, positive: 0, neutral: 0, negative: 0 });

function total(groups: readonly RatingSums[]): RatingSums {
  return groups.reduce((t, g) => ({ ...t, count: t.count + g.count, sum: t.sum + g.sum, positive: t.positive + g.positive, neutral: t.neutral + g.neutral, negative: t.negative + g.negative }), emptySums('', ''));
}

/**
 * Ratings (product.md §12): reports (count, average, positive share per engineer, per client, per
 * day or week), the individual ratings, CSV, the employee dashboard and the history import.
 *
 * Every read takes the caller (`undefined`: the operator's CLI, which sees everything) and applies
 * its scope: an employee sees only their own ratings, a narrowed account manager only the chosen
 * engineers and clients, in every figure, list and export; filters narrow within that, never
 * beyond it. Reports read a per-day rollup kept current by the database in the transaction that
 * records, re-rates, matches or imports an event.
 */
export class RatingsService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** What `caller` may see of `accountId`'s ratings (throws NotFound for another account, Forbidden where its role stops it). */
  scopeOf(accountId: string, caller?: Principal): RatingScope {
    if (!caller) return { members: null, clients: null };
    assertCanRead(caller, accountId, `account ${accountId}`, 'survey');
    // Support and admins see everything; an employee's memberScope is their own member; a narrowed manager's, the members chosen (or all but those).
    const members = caller.memberScope === null ? null : { mode: caller.memberScope.mode, values: caller.memberScope.ids };
    const clients = caller.role === 'account_manager' && caller.clientScope ? { mode: caller.clientScope.mode, values: caller.clientScope.names } : null;
    return { members, clients };
  }

  /** `GET …/ratings/summary`: figures over the range, overall and per group (`groupBy`, default member). */
  async summary(accountId: string, input: RatingQueryInput, caller?: Principal): Promise<RatingSummary> {
    const read = await this.#read(accountId, input, caller, [...FILTER_PARAMS, 'groupBy'], true);
    const { account, selection } = read;
    const groupBy = read.groupBy!;
    const sums = selectsNothing(selection) ? [] : await ratingSums(this.orm.em.fork(), account.id, selection, groupBy);
    const groups = await this.#groups(account.id, sums, groupBy, selection);
    return { from: selection.from, to: selection.to, groupBy, overall: withSentiments(total(sums)), groups };
  }

  /** `GET …/ratings`: the individual ratings in the range, newest first, in pages (`limit` 1–500, default 50; `cursor`). */
  async page(accountId: string, input: RatingQueryInput, caller?: Principal): Promise<RatingPage> {
    const problems: string[] = [];
    const page = parsePageRequest({ limit: input.limit, cursor: input.cursor }, 2, problems);
    if (problems.length > 0) throw new InputError(problems.join('; '));
    const { account, selection } = await this.#read(accountId, input, caller, [...FILTER_PARAMS, 'limit', 'cursor'], false);
    if (selectsNothing(selection)) return { from: selection.from, to: selection.to, ratings: [], nextCursor: null };
    const { rows, keys } = await ratingRows(this.orm.em.fork(), account.id, account.timezone, selection, page);
    const shown = rows.slice(0, page.limit);
    return { from: selection.from, to: selection.to, ratings: shown, nextCursor: rows.length > page.limit ? encodeCursor(keys[page.limit - 1]!) : null };
  }

  /**
   * `GET …/ratings.csv`: every rating the list would show, as CSV text in chunks (header
   * `at,rating,sentiment,member_id,member_name,client,ticket,comment`); cells a spreadsheet would
   * run as a formula (starting with = + - @, tab or carriage return) are prefixed with `'`.
   * Validation and access are checked before the first chunk, so a refusal is an error, not a file.
   */
  async csv(accountId: string, input: RatingQueryInput, caller?: Principal): Promise<{ from: string; to: string; filename: string; chunks: AsyncIterable<string> }> {
    const { account, selection } = await this.#read(accountId, input, caller, FILTER_PARAMS, false);
    const em = this.orm.em.fork();
    const chunks = (async function* () {
      yield `${CSV_HEADER}\n`;
      if (selectsNothing(selection)) return;
      let cursor: string[] | undefined;
      for (;;) {
        const { rows, keys } = await ratingRows(em, account.id, account.timezone, selection, { limit: CSV_BATCH, cursor });
        const batch = rows.slice(0, CSV_BATCH);
        if (batch.length > 0) yield `${batch.map(csvLine).join('\n')}\n`;
        if (rows.length <= CSV_BATCH) return;
        cursor = keys[CSV_BATCH - 1];
      }
    })();
    return { from: selection.from, to: selection.to, filename: `ratings-${selection.from}-to-${selection.to}.csv`, chunks };
  }

  /**
   * The employee dashboard (`/me`): `caller`'s own figures, 90-day trend and ratings newest first.
   * Others (admin, support, an account manager) may name a member in their scope with `memberId`.
   */
  async dashboard(accountId: string, caller: Principal | undefined, options: { memberId?: string; limit?: string; cursor?: string } = {}): Promise<EmployeeDashboard> {
    requireId('account', accountId);
    const own = caller?.role === 'employee' ? caller.memberScope?.ids[0] : undefined;
    if (caller?.role === 'employee' && !own) throw new NotFoundError('this sign-in is not tied to a member yet, so it has no ratings');
    if (!options.memberId && !own) throw new InputError('name the member whose dashboard to show (memberId)');
    const memberId = requireId('member', options.memberId ?? own!);
    if (caller) assertCanReadMember(caller, accountId, memberId);
    const scope = this.scopeOf(accountId, caller);
    const problems: string[] = [];
    const page = parsePageRequest({ limit: options.limit, cursor: options.cursor }, 2, problems);
    if (problems.length > 0) throw new InputError(problems.join('; '));
    const em = this.orm.em.fork();
    const account = await this.#account(accountId);
    const name = (await memberNamesById(em, accountId, [memberId])).get(memberId);
    if (!name) throw new NotFoundError(`member ${memberId} not found in account ${accountId}`);
    const today = localDay(this.clock.now(), account.timezone);
    const first = addDays(today, -(TREND_DAYS - 1));
    const clients = selectionOf({ from: first, to: today, members: null, excludeMembers: [], clients: null, excludeClients: [] }, scope);
    const [days, list] = await Promise.all([
      memberDaySums(em, accountId, memberId, account.timezone, clients),
      ratingRows(this.orm.em.fork(), accountId, account.timezone, { ...clients, from: '1970-01-01', to: today, memberIn: [memberId], memberNotIn: [] }, page),
    ]);
    const byDay = new Map(days.map((d) => [d.key, d]));
    const trend: RatingGroup[] = [];
    for (let day = first; day <= today; day = addDays(day, 1)) trend.push({ ...withSentiments(byDay.get(day) ?? emptySums(day, day)), key: day, label: day });
    const recent = days.filter((d) => d.key >= first && d.key <= today);
    const strip = ({ count, average, positiveShare }: ReturnType<typeof withSentiments>) => ({ count, average, positiveShare });
    return {
      member: { id: memberId, name },
      today,
      overall: strip(withSentiments(total(days))),
      last90Days: strip(withSentiments(total(recent))),
      trend,
      ratings: list.rows.slice(0, page.limit),
      nextCursor: list.rows.length > page.limit ? encodeCursor(list.keys[page.limit - 1]!) : null,
    };
  }

  /** The clients named on the account's ratings that `caller` may see, by name (filter pickers, the People page's scope editor). */
  async clients(accountId: string, caller?: Principal): Promise<{ name: string; count: number }[]> {
    requireId('account', accountId);
    const scope = this.scopeOf(accountId, caller);
    await this.#account(accountId);
    const selection = selectionOf({ from: '', to: '', members: null, excludeMembers: [], clients: null, excludeClients: [] }, scope);
    if (selectsNothing(selection)) return [];
    return clientCounts(this.orm.em.fork(), accountId, selection);
  }

  /**
   * History import (admin; `caller` undefined: the CLI): all rows or none — the first bad row is
   * named (row number and field) and nothing is stored. Rows are matched like live events; the same
   * rows imported again change nothing.
   */
  async import(accountId: string, body: RatingImportBody, actor: string, caller?: Principal): Promise<RatingImportResult> {
    requireId('account', accountId);
    const result = await importRatings({ orm: this.orm, registry: this.registry, clock: this.clock }, accountId, body, actor, caller);
    this.logger.info({ accountId, ...result }, 'ratings imported');
    // Up to 100,000 lines at once: into the rollups now, rather than read beside them until the next tick.
    if (result.imported > 0) await this.fold([accountId]);
    return result;
  }

  /**
   * Moves the ratings recorded since the last fold (rating_pending) into the rollups, grouped, in
   * one statement per call; the daemon does it every tick. Reports are current either way (they
   * read the pending lines too); folding keeps those few. Answers how many lines it moved.
   */
  async fold(accountIds?: readonly string[]): Promise<number> {
    return this.orm.em.fork().transactional((tem) => foldRatings(tem, accountIds));
  }

  async #account(accountId: string): Promise<AccountRecord> {
    const account = await getAccount(this.orm.em.fork(), accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    return account;
  }

  /** Checks the caller and the query (every problem named), and combines the caller's scope with the filters. */
  async #read(accountId: string, input: RatingQueryInput, caller: Principal | undefined, known: readonly string[], grouped: boolean): Promise<{ account: AccountRecord; selection: RatingSelection; groupBy?: RatingGroupBy }> {
    requireId('account', accountId);
    const scope = this.scopeOf(accountId, caller);
    const account = await this.#account(accountId);
    const raw = input as Record<string, unknown>;
    const problems: string[] = [];
    unknownParams(raw, known, problems);
    const filter = parseRatingFilter(raw, localDay(this.clock.now(), account.timezone), problems);
    const groupBy = grouped ? parseGroupBy(raw.groupBy, problems) : undefined;
    if (problems.length > 0) throw new InputError(problems.join('; '));
    return { account, selection: selectionOf(filter, scope), groupBy };
  }

  /** Report groups: labelled (members by name), ordered; day and week groups cover the whole range. */
  async #groups(accountId: string, sums: RatingSums[], groupBy: RatingGroupBy, s: RatingSelection): Promise<RatingGroup[]> {
    const group = (x: RatingSums, label = x.label): RatingGroup => ({ key: x.key, label, ...withSentiments(x) });
    if (groupBy === 'member' || groupBy === 'client') {
      const names = groupBy === 'member' ? await memberNamesById(this.orm.em.fork(), accountId, sums.map((x) => x.key)) : undefined;
      const labelled = sums.map((x) => (names ? group(x, names.get(x.key) ?? x.key) : group({ ...x, key: x.label }, x.label === '' ? '(no client)' : x.label)));
      return labelled.sort((a, b) => LABEL_ORDER.compare(a.label, b.label) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    const byKey = new Map(sums.map((x) => [x.key, x]));
    const out: RatingGroup[] = [];
    const step = groupBy === 'day' ? 1 : 7;
    for (let key = groupBy === 'day' ? s.from : weekOf(s.from); key <= s.to; key = addDays(key, step)) {
      out.push(group(byKey.get(key) ?? emptySums(key, key), groupBy === 'day' ? key : isoWeekLabel(key)));
    }
    return out;
  }
}
