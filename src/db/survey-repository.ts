import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientScope, MemberScope } from '../access/principal.js';
import { clientListCondition, eventClientKey, memberScopeCondition } from './scope-sql.js';
import { exec, execPrepared } from './sql.js';
import { pageOf, type PageRequest } from './paging.js';
import { iso } from './views.js';

type Row = Record<string, any>;

/** A recorded survey event, as listed by the CLI and the API. */
export interface SurveyEventView {
  id: string;
  accountId: string;
  ticket: string;
  respondent: string;
  rating: number;
  agent: { id: string | null; identifier: string | null; email: string | null; name: string | null };
  memberId: string | null;
  matchedBy: 'id' | 'identifier' | 'email' | 'name' | 'added' | null;
  /** Why no member was credited, when none was. */
  unmatchedReason: string | null;
  channel: 'link' | 'api' | 'import';
  signed: boolean;
  clicks: number;
  /** The customer company the rating is about, when the link or submission named one. */
  client: string | null;
  /** What the respondent wrote (the thank-you page's comment form, or the API). */
  comment: string | null;
  createdAt: string;
  updatedAt: string;
}

const toView = (r: Row): SurveyEventView => ({
  id: r.id,
  accountId: r.account_id,
  ticket: r.ticket,
  respondent: r.respondent,
  rating: r.rating,
  agent: { id: r.agent_external_id, identifier: r.agent_identifier, email: r.agent_email, name: r.agent_name },
  memberId: r.member_id,
  matchedBy: r.matched_by,
  unmatchedReason: r.unmatched_reason,
  channel: r.channel,
  signed: r.signed,
  clicks: r.clicks,
  client: r.client ?? null,
  comment: r.comment ?? null,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

export async function memberNames(em: EntityManager, accountId: string): Promise<{ id: string; name: string }[]> {
  return exec(em, 'select id, name from member where account_id = ?', [accountId]);
}

/** The names of an account's members by id, for the ids given (the members ratings are credited to). */
export async function memberNamesById(em: EntityManager, accountId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows: Row[] = await exec(em, 'select id, name from member where account_id = ? and id = any(?::uuid[])', [accountId, [...new Set(ids)]]);
  return new Map(rows.map((r) => [r.id as string, r.name as string]));
}

/** A PSA record the account's latest successful sync skipped (an API member, a placeholder agent), and why. */
export interface SkippedRecord {
  externalId: string | null;
  identifier: string | null;
  name: string;
  reason: string;
}

/** The records the account's latest successful sync skipped (a handful: read by that run's index). */
export async function latestSkipped(em: EntityManager, accountId: string): Promise<SkippedRecord[]> {
  const rows: Row[] = await exec(
    em,
    `select external_id, identifier, name, reason from member_change
      where run_id = (select id from sync_run where account_id = ? and status = 'succeeded' order by created_at desc limit 1) and action = 'skipped'`,
    [accountId],
  );
  return rows.map((r) => ({ externalId: r.external_id, identifier: r.identifier, name: r.name, reason: r.reason }));
}

export async function countSurveyAddsSince(em: EntityManager, accountId: string, since: Date): Promise<number> {
  const [row]: Row[] = await exec(em, `select count(*)::int as n from member where account_id = ? and source = 'survey' and first_seen_at >= ?`, [accountId, since]);
  return row?.n ?? 0;
}

export interface EventWrite {
  id: string;
  accountId: string;
  ticket: string;
  respondent: string;
  rating: number;
  agentId: string | null;
  agentIdentifier: string | null;
  agentEmail: string | null;
  agentName: string | null;
  memberId: string | null;
  matchedBy: SurveyEventView['matchedBy'];
  unmatchedReason: string | null;
  channel: 'link' | 'api';
  signed: boolean;
  client: string | null;
  comment: string | null;
  now: Date;
}

const EVENT_COLUMNS = `id, account_id, ticket, respondent, rating, agent_external_id, agent_identifier, agent_email, agent_name,
                       member_id, matched_by, unmatched_reason, channel, signed, clicks, created_at, updated_at, client, comment`;

/** A repeated click updates the rating (and counts the click) instead of adding an event. */
const ON_REPEAT = `on conflict (account_id, ticket, respondent) do update set
       rating = excluded.rating, updated_at = excluded.updated_at, clicks = survey_event.clicks + 1,
       agent_external_id = excluded.agent_external_id, agent_identifier = excluded.agent_identifier,
       agent_email = excluded.agent_email, agent_name = excluded.agent_name, signed = excluded.signed,
       client = coalesce(excluded.client, survey_event.client), comment = coalesce(excluded.comment, survey_event.comment),
       member_id = coalesce(excluded.member_id, survey_event.member_id),
       matched_by = case when excluded.member_id is null then survey_event.matched_by
                         when survey_event.member_id = excluded.member_id and survey_event.matched_by = 'added' then 'added'
                         else excluded.matched_by end,
       unmatched_reason = case when coalesce(excluded.member_id, survey_event.member_id) is null then excluded.unmatched_reason end`;

/** The stored event, read back whole (an API submission answers with it). */
const RETURNING_VIEW = 'returning *, (xmax = 0) as inserted';

const INSERT_EVENT = `insert into survey_event (${EVENT_COLUMNS})
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15, $16, $17)
     ${ON_REPEAT}`;

const eventParams = (e: EventWrite) => [e.id, e.accountId, e.ticket, e.respondent, e.rating, e.agentId, e.agentIdentifier, e.agentEmail, e.agentName, e.memberId, e.matchedBy, e.unmatchedReason, e.channel, e.signed, e.now, e.client, e.comment];

/**
 * One event per account, ticket and respondent: a repeated click updates the rating (and counts
 * the click) instead of adding an event. Returns the stored event and whether it is new.
 */
export async function upsertEvent(em: EntityManager, e: EventWrite): Promise<{ event: SurveyEventView; inserted: boolean }> {
  const [row]: Row[] = await execPrepared(em, 'psa_sync_survey_event', `${INSERT_EVENT} ${RETURNING_VIEW}`, eventParams(e));
  return { event: toView(row!), inserted: row!.inserted === true };
}

/**
 * The same as `upsertEvent`, returning the event's id alone: all a rating link's thank-you page
 * needs. Reading the whole row back (twenty columns, two timestamps, parsed and converted) cost a
 * click 80–170 µs of the server's CPU, some 15–25% of all it spends on one.
 */
export async function upsertEventId(em: EntityManager, e: EventWrite): Promise<string> {
  const [row]: Row[] = await execPrepared(em, 'psa_sync_survey_click', `${INSERT_EVENT} returning id`, eventParams(e));
  return row!.id;
}

/**
 * The common click, in one statement: when exactly one member matches the agent by PSA id, else
 * by identifier, else by email (the first of these that names exactly one member), the event is
 * stored crediting that member. Undefined when none does (nothing is written): the caller then
 * matches by name or adds the agent, under the account's lock.
 */
export async function upsertMatchedEvent(em: EntityManager, e: Omit<EventWrite, 'memberId' | 'matchedBy' | 'unmatchedReason'>): Promise<{ event: SurveyEventView; memberName: string } | undefined> {
  const rows: Row[] = await execPrepared(em, 'psa_sync_survey_matched_event', matchedInsert(RETURNING_VIEW, 'stored.*'), matchedParams(e));
  return rows[0] ? { event: toView(rows[0]), memberName: rows[0].member_name } : undefined;
}

/**
 * `upsertMatchedEvent`, returning only the event's id, whom it credits and how this click matched
 * them (see upsertEventId). The match is this click's, not the stored event's: a repeated click of
 * a ticket whose event added the member keeps saying `added`, which must not become the way every
 * later ticket of that agent is said to be matched.
 */
export async function upsertMatchedEventId(em: EntityManager, e: Omit<EventWrite, 'memberId' | 'matchedBy' | 'unmatchedReason'>): Promise<{ id: string; memberId: string; matchedBy: 'id' | 'identifier' | 'email'; memberName: string } | undefined> {
  const rows: Row[] = await execPrepared(em, 'psa_sync_survey_matched_click', matchedInsert('returning id, member_id', 'stored.id, stored.member_id'), matchedParams(e));
  return rows[0] ? { id: rows[0].id, memberId: rows[0].member_id, matchedBy: rows[0].match_kind, memberName: rows[0].member_name } : undefined;
}

function matchedInsert(returning: string, columns: string): string {
  return `with hits as (
       select id, 1 as pri from member where $6::text is not null and account_id = $2 and external_id = $6::text
       union all select id, 2 from member where $7::text is not null and account_id = $2 and lower(identifier) = lower($7::text)
       union all select id, 3 from member where $8::text is not null and account_id = $2 and lower(email) = lower($8::text)),
     chosen as (select (array_agg(id))[1] as id, pri from hits group by pri having count(*) = 1 order by pri limit 1),
     stored as (
       insert into survey_event (${EVENT_COLUMNS})
       select $1, $2, $3, $4, $5, $6, $7, $8, $9, chosen.id, (array['id', 'identifier', 'email'])[chosen.pri], null, $10, $11, 1, $12, $12, $13, $14 from chosen
       ${ON_REPEAT}
       ${returning})
     select ${columns}, m.name as member_name, (array['id', 'identifier', 'email'])[chosen.pri] as match_kind
       from stored join member m on m.id = stored.member_id cross join chosen`;
}

const matchedParams = (e: Omit<EventWrite, 'memberId' | 'matchedBy' | 'unmatchedReason'>) => [e.id, e.accountId, e.ticket, e.respondent, e.rating, e.agentId, e.agentIdentifier, e.agentEmail, e.agentName, e.channel, e.signed, e.now, e.client, e.comment];

/**
 * A caller's clients as a condition on survey_event: an include list keeps events naming one of
 * them; an exclude list drops events naming one (events naming no client stay). Names compare by
 * key (`psa_client_key`).
 */
export function clientCondition(scope: ClientScope | null | undefined, params: unknown[]): string {
  if (!scope) return '';
  params.push(scope.names);
  return ` and ${clientListCondition(eventClientKey(''), scope.mode === 'include' ? 'in' : 'not in')}`;
}

/**
 * Sets the comment of an account's event — by ticket and respondent, or (a link without a ticket)
 * by id — without counting a click; an empty one (null) leaves an earlier comment as it is.
 * Undefined when there is no such event.
 */
export async function attachComment(em: EntityManager, accountId: string, target: { ticket: string; respondent: string } | { eventId: string }, comment: string | null, now: Date): Promise<{ event: SurveyEventView; memberName: string | null } | undefined> {
  const where = 'eventId' in target ? "id = ?::uuid and ticket like 'no-ticket:%'" : 'ticket = ? and respondent = ?';
  const rows: Row[] = await exec(
    em,
    `with updated as (update survey_event set comment = coalesce(?::text, comment), updated_at = case when ?::text is null then updated_at else ?::timestamptz end
                       where account_id = ? and ${where} returning *)
     select updated.*, m.name as member_name from updated left join member m on m.id = updated.member_id`,
    [comment, comment, now, accountId, ...('eventId' in target ? [target.eventId] : [target.ticket, target.respondent])],
  );
  return rows[0] ? { event: toView(rows[0]), memberName: rows[0].member_name ?? null } : undefined;
}

/** An account's survey events in pages; `memberScope` keeps only those matched to members a caller may see. */
export async function pageEvents(em: EntityManager, accountId: string, opts: { unmatchedOnly: boolean; memberScope?: MemberScope | null; clientScope?: ClientScope | null }, page: PageRequest): Promise<{ events: SurveyEventView[]; nextCursor: string | null }> {
  const params: unknown[] = [accountId];
  let scope = memberScopeCondition('member_id', opts.memberScope, params);
  scope += clientCondition(opts.clientScope, params);
  let after = '';
  if (page.cursor) ((after = 'and (created_at, id) < (?::timestamptz, ?::uuid)'), params.push(...page.cursor));
  const rows: Row[] = await exec(
    em,
    `select *, created_at::text as created_key from survey_event where account_id = ? ${opts.unmatchedOnly ? 'and member_id is null' : ''} ${scope} ${after}
      order by created_at desc, id desc limit ?`,
    [...params, page.limit + 1],
  );
  const { rows: shown, nextCursor } = pageOf(rows, page.limit, (r) => [r.created_key, r.id]);
  return { events: shown.map(toView), nextCursor };
}

export async function listEvents(em: EntityManager, accountId: string, opts: { unmatchedOnly: boolean; limit: number }): Promise<SurveyEventView[]> {
  const rows: Row[] = await exec(
    em,
    `select * from survey_event where account_id = ? ${opts.unmatchedOnly ? 'and member_id is null' : ''} order by updated_at desc, id limit ?`,
    [accountId, opts.limit],
  );
  return rows.map(toView);
}

/** How many ratings a member has and their average (null with none). */
export async function ratingSummary(em: EntityManager, accountId: string, memberId: string, clientScope: ClientScope | null = null): Promise<{ count: number; average: number | null }> {
  const params: unknown[] = [accountId, memberId];
  const clients = clientCondition(clientScope, params);
  const [row] = await exec<{ count: number; average: string | null }>(em, `select count(*)::int as count, avg(rating)::numeric(6,2)::text as average from survey_event where account_id = ? and member_id = ? ${clients}`, params);
  return { count: row?.count ?? 0, average: row?.average == null ? null : Number(row.average) };
}
