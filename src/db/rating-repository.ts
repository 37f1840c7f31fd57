import type { EntityManager } from '@mikro-orm/postgresql';
import type { RatingSelection } from '../domain/rating-query.js';
import { sentimentOf, type RatingGroupBy, type RatingView } from '../domain/ratings.js';
import { clientListCondition, eventClientKey } from './scope-sql.js';
import { exec } from './sql.js';
import { iso } from './views.js';

type Row = Record<string, any>;

/** Sums of one group as the rollup holds them. */
export interface RatingSums {
  key: string;
  label: string;
  count: number;
  sum: number;
  positive: number;
  neutral: number;
  negative: number;
}

/**
 * The pending lines (rating_pending: ratings recorded since the last fold) as rollup rows, bucketed
 * in the account's time zone now; reports read them with the rollups, so figures are current.
 */
const PENDING = `select p.account_id, (p.created_at at time zone a.timezone)::date as day, p.member_id, coalesce(p.client, '') as client,
         p.n as count, p.n * p.rating as sum, case when p.rating >= 7 then p.n else 0 end as positive,
         case when p.rating between 4 and 6 then p.n else 0 end as neutral, case when p.rating <= 3 then p.n else 0 end as negative
    from rating_pending p join account a on a.id = p.account_id`;

/** The rollup by engineer, client and day, with the pending lines. */
const DAY_ROWS = `(select account_id, day, member_id, client, client_key, count, sum, positive, neutral, negative from rating_day
   union all select x.account_id, x.day, x.member_id, x.client, psa_client_key(x.client), x.count, x.sum, x.positive, x.neutral, x.negative from (${PENDING}) x)`;

/** The rollup by engineer and day, with the pending lines. */
const MEMBER_DAY_ROWS = `(select account_id, day, member_id, count, sum, positive, neutral, negative from rating_member_day
   union all select x.account_id, x.day, x.member_id, x.count, x.sum, x.positive, x.neutral, x.negative from (${PENDING}) x)`;

const ROWS = { rating_day: DAY_ROWS, rating_member_day: MEMBER_DAY_ROWS } as const;

/**
 * The WHERE conditions (and their values) of a selection, for the rollup (`d`) or events (`e`).
 * Clients compare by key (`psa_client_key`); a rating without a client has the key ''.
 */
function conditions(alias: 'd' | 'e', s: RatingSelection, params: unknown[]): string {
  const parts: string[] = [];
  const add = (condition: string, value: unknown) => {
    parts.push(condition);
    params.push(value);
  };
  const client = alias === 'd' ? 'd.client_key' : eventClientKey('e.');
  if (s.memberIn?.length === 1) add(`${alias}.member_id = ?::uuid`, s.memberIn[0]);
  else if (s.memberIn) add(`${alias}.member_id = any(?::uuid[])`, s.memberIn);
  if (s.memberNotIn.length > 0) add(`${alias}.member_id <> all(?::uuid[])`, s.memberNotIn);
  if (s.clientIn) add(clientListCondition(client, 'in'), s.clientIn);
  if (s.clientNotIn.length > 0) add(clientListCondition(client, 'not in'), s.clientNotIn);
  return parts.map((p) => ` and ${p}`).join('');
}

const GROUP_KEY: Record<RatingGroupBy, { key: string; label: string }> = {
  member: { key: 'd.member_id', label: 'null' },
  client: { key: 'd.client_key', label: 'client' },
  day: { key: 'd.day::text', label: 'null' },
  week: { key: "date_trunc('week', d.day::timestamp)::date::text", label: 'null' },
};

/** Whether a read names clients (keeps or leaves out some). */
const namesClients = (s: Pick<RatingSelection, 'clientIn' | 'clientNotIn'>) => s.clientIn !== null || s.clientNotIn.length > 0;

/**
 * Sums per group over the selection's local days, from the rollups: by engineer and day when no
 * client is named; by client when the report groups by client or keeps only some clients (those
 * clients' rows, by index); and when some clients are left out, the engineer-and-day sums minus
 * those clients' (their rows alone), so hiding a client or two never reads every client's rows.
 */
export async function ratingSums(em: EntityManager, accountId: string, s: RatingSelection, groupBy: RatingGroupBy): Promise<RatingSums[]> {
  const g = GROUP_KEY[groupBy];
  const params: unknown[] = [];
  const part = (table: 'rating_day' | 'rating_member_day', sign: '' | '-', selection: RatingSelection) => {
    params.push(accountId, selection.from, selection.to);
    const where = conditions('d', selection, params);
    return `select ${g.key} as key, ${g.label === 'null' ? 'null' : 'd.client'} as label, ${sign}d.count as count, ${sign}d.sum as sum, ${sign}d.positive as positive, ${sign}d.neutral as neutral, ${sign}d.negative as negative
              from ${ROWS[table]} d where d.account_id = ? and d.day between ?::date and ?::date${where}`;
  };
  let rows: string;
  if (groupBy === 'client' || s.clientIn !== null) rows = part('rating_day', '', s);
  else if (s.clientNotIn.length === 0) rows = part('rating_member_day', '', s);
  else rows = `${part('rating_member_day', '', { ...s, clientNotIn: [] })} union all ${part('rating_day', '-', { ...s, clientIn: s.clientNotIn, clientNotIn: [] })}`;
  const label = g.label === 'null' ? 'null' : 'min(x.label collate "C")';
  const found: Row[] = await exec(
    em,
    `select x.key, ${label} as label, sum(x.count)::int as count, sum(x.sum)::int as sum, sum(x.positive)::int as positive, sum(x.neutral)::int as neutral, sum(x.negative)::int as negative
       from (${rows}) x group by x.key having sum(x.count) > 0`,
    params,
  );
  return found.map((r) => ({ key: r.key, label: r.label ?? r.key, count: r.count, sum: r.sum, positive: r.positive, neutral: r.neutral, negative: r.negative }));
}

/**
 * One member's sums per local day, all time: from the rollup by engineer and day, or, when clients
 * are named (a manager narrowed by client), from the member's own events (a few thousand at most).
 */
export async function memberDaySums(em: EntityManager, accountId: string, memberId: string, timeZone: string, s: Pick<RatingSelection, 'clientIn' | 'clientNotIn'>): Promise<RatingSums[]> {
  const sums = (x: string) => `sum(${x}.count)::int as count, sum(${x}.sum)::int as sum, sum(${x}.positive)::int as positive, sum(${x}.neutral)::int as neutral, sum(${x}.negative)::int as negative`;
  let rows: Row[];
  if (!namesClients(s)) {
    rows = await exec(em, `select d.day::text as key, ${sums('d')} from ${MEMBER_DAY_ROWS} d where d.member_id = ? and d.account_id = ? group by 1 having sum(d.count) > 0`, [memberId, accountId]);
  } else {
    const params: unknown[] = [timeZone, memberId, accountId];
    const where = conditions('e', { from: '', to: '', memberIn: null, memberNotIn: [], ...s }, params);
    rows = await exec(
      em,
      `select (e.created_at at time zone ?)::date::text as key, count(*)::int as count, sum(e.rating)::int as sum, (count(*) filter (where e.rating >= 7))::int as positive,
              (count(*) filter (where e.rating between 4 and 6))::int as neutral, (count(*) filter (where e.rating <= 3))::int as negative
         from survey_event e where e.member_id = ? and e.account_id = ?${where} group by 1`,
      params,
    );
  }
  return rows.map((r) => ({ key: r.key, label: r.key, count: r.count, sum: r.sum, positive: r.positive, neutral: r.neutral, negative: r.negative }));
}

/** Member names by id (report labels). */
export async function memberNamesById(em: EntityManager, accountId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows: Row[] = await exec(em, 'select id, name from member where account_id = ? and id = any(?::uuid[])', [accountId, ids]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Survey-link tickets that stand for "no ticket" (each click its own event; imported rows without one). */
export const NO_TICKET_PREFIX = 'no-ticket:';

const toRating = (r: Row): RatingView => ({
  id: r.id,
  at: iso(r.created_at)!,
  rating: r.rating,
  sentiment: sentimentOf(r.rating),
  memberId: r.member_id,
  memberName: r.member_name,
  client: r.client ?? null,
  ticket: typeof r.ticket === 'string' && !r.ticket.startsWith(NO_TICKET_PREFIX) ? r.ticket : null,
  comment: r.comment ?? null,
});

/**
 * Ratings in the selection's local days (in `timeZone`), newest first, by keyset on (created_at,
 * id): `limit + 1` rows, so the caller can tell whether another page follows.
 */
export async function ratingRows(em: EntityManager, accountId: string, timeZone: string, s: RatingSelection, page: { limit: number; cursor?: string[] }): Promise<{ rows: RatingView[]; keys: string[][] }> {
  const params: unknown[] = [accountId, s.from, timeZone, s.to, timeZone];
  const where = conditions('e', s, params);
  let after = '';
  if (page.cursor) {
    after = ' and (e.created_at, e.id) < (?::timestamptz, ?::uuid)';
    params.push(...page.cursor);
  }
  const rows: Row[] = await exec(
    em,
    `select e.id, e.created_at, e.created_at::text as created_key, e.rating, e.member_id, m.name as member_name, e.client, e.ticket, e.comment
       from survey_event e join member m on m.id = e.member_id
      where e.account_id = ? and e.member_id is not null
        and e.created_at >= (?::date::timestamp at time zone ?) and e.created_at < ((?::date + 1)::timestamp at time zone ?)${where}${after}
      order by e.created_at desc, e.id desc limit ?`,
    [...params, page.limit + 1],
  );
  return { rows: rows.map(toRating), keys: rows.map((r) => [r.created_key, r.id]) };
}

/** Every rating of the rollup's source, summed as the rollup would (tests and checks compare the two). */
export async function recomputedRollup(em: EntityManager, accountId: string): Promise<Row[]> {
  const sums = `count(*)::int as count, sum(e.rating)::int as sum, (count(*) filter (where e.rating >= 7))::int as positive,
            (count(*) filter (where e.rating between 4 and 6))::int as neutral, (count(*) filter (where e.rating <= 3))::int as negative`;
  const byClient = await exec(
    em,
    `select (e.created_at at time zone a.timezone)::date::text as day, e.member_id, coalesce(e.client, '') as client, ${sums}
       from survey_event e join account a on a.id = e.account_id
      where e.account_id = ? and e.member_id is not null group by 1, 2, 3 order by 1, 2, 3`,
    [accountId],
  );
  const byMember = await exec(
    em,
    `select (e.created_at at time zone a.timezone)::date::text as day, e.member_id, '*' as client, ${sums}
       from survey_event e join account a on a.id = e.account_id
      where e.account_id = ? and e.member_id is not null group by 1, 2 order by 1, 2`,
    [accountId],
  );
  return [...byClient, ...byMember];
}

/**
 * The rollups of an account as reports read them (folded rows and pending lines together), in the
 * same order as `recomputedRollup`: by client, and (client '*') by engineer and day.
 */
export async function storedRollup(em: EntityManager, accountId: string): Promise<Row[]> {
  const sums = 'sum(count)::int as count, sum(sum)::int as sum, sum(positive)::int as positive, sum(neutral)::int as neutral, sum(negative)::int as negative';
  const byClient = await exec(em, `select day::text as day, member_id, client, ${sums} from ${DAY_ROWS} d where account_id = ? group by 1, 2, 3 having sum(count) <> 0 order by 1, 2, 3`, [accountId]);
  const byMember = await exec(em, `select day::text as day, member_id, '*' as client, ${sums} from ${MEMBER_DAY_ROWS} d where account_id = ? group by 1, 2 having sum(count) <> 0 order by 1, 2`, [accountId]);
  return [...byClient, ...byMember];
}

/** The rollup tables alone (no pending lines), as `storedRollup` shows them. */
export async function foldedRollup(em: EntityManager, accountId: string): Promise<Row[]> {
  const byClient = await exec(em, `select day::text as day, member_id, client, count, sum, positive, neutral, negative from rating_day where account_id = ? and count <> 0 order by 1, 2, 3`, [accountId]);
  const byMember = await exec(em, `select day::text as day, member_id, '*' as client, count, sum, positive, neutral, negative from rating_member_day where account_id = ? and count <> 0 order by 1, 2`, [accountId]);
  return [...byClient, ...byMember];
}

/** Moves pending lines into the rollups (those of `accountIds`, or all); answers how many. */
export async function foldRatings(em: EntityManager, accountIds?: readonly string[]): Promise<number> {
  const [row] = await exec<{ moved: number }>(em, 'select psa_rating_fold(?::uuid[]) as moved', [accountIds ?? null]);
  return row?.moved ?? 0;
}

/** The clients named on an account's ratings (those the selection lets through), with how many ratings each has. */
export async function clientCounts(em: EntityManager, accountId: string, s: Pick<RatingSelection, 'memberIn' | 'memberNotIn' | 'clientIn' | 'clientNotIn'>): Promise<{ name: string; count: number }[]> {
  const params: unknown[] = [accountId];
  const where = conditions('d', { from: '', to: '', ...s }, params);
  return exec(
    em,
    `select min(d.client collate "C") as name, sum(d.count)::int as count from ${DAY_ROWS} d
      where d.account_id = ? and d.client_key <> ''${where} group by d.client_key having sum(d.count) > 0 order by d.client_key`,
    params,
  );
}
