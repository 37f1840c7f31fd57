import type { EntityManager } from '@mikro-orm/postgresql';
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
  channel: 'link' | 'api';
  signed: boolean;
  clicks: number;
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
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

export async function memberNames(em: EntityManager, accountId: string): Promise<{ id: string; name: string }[]> {
  return exec(em, 'select id, name from member where account_id = ?', [accountId]);
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
  now: Date;
}

const EVENT_COLUMNS = `id, account_id, ticket, respondent, rating, agent_external_id, agent_identifier, agent_email, agent_name,
                       member_id, matched_by, unmatched_reason, channel, signed, clicks, created_at, updated_at`;

/** A repeated click updates the rating (and counts the click) instead of adding an event. */
const ON_REPEAT = `on conflict (account_id, ticket, respondent) do update set
       rating = excluded.rating, updated_at = excluded.updated_at, clicks = survey_event.clicks + 1,
       agent_external_id = excluded.agent_external_id, agent_identifier = excluded.agent_identifier,
       agent_email = excluded.agent_email, agent_name = excluded.agent_name, signed = excluded.signed,
       member_id = coalesce(excluded.member_id, survey_event.member_id),
       matched_by = case when excluded.member_id is null then survey_event.matched_by
                         when survey_event.member_id = excluded.member_id and survey_event.matched_by = 'added' then 'added'
                         else excluded.matched_by end,
       unmatched_reason = case when coalesce(excluded.member_id, survey_event.member_id) is null then excluded.unmatched_reason end
     returning *, (xmax = 0) as inserted`;

/**
 * One event per account, ticket and respondent: a repeated click updates the rating (and counts
 * the click) instead of adding an event. Returns the stored event and whether it is new.
 */
export async function upsertEvent(em: EntityManager, e: EventWrite): Promise<{ event: SurveyEventView; inserted: boolean }> {
  const [row]: Row[] = await execPrepared(
    em,
    'psa_sync_survey_event',
    `insert into survey_event (${EVENT_COLUMNS})
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15)
     ${ON_REPEAT}`,
    [e.id, e.accountId, e.ticket, e.respondent, e.rating, e.agentId, e.agentIdentifier, e.agentEmail, e.agentName, e.memberId, e.matchedBy, e.unmatchedReason, e.channel, e.signed, e.now],
  );
  return { event: toView(row!), inserted: row!.inserted === true };
}

/**
 * The common click, in one statement: when exactly one member matches the agent by PSA id, else
 * by identifier, else by email (the first of these that names exactly one member), the event is
 * stored crediting that member. Undefined when none does (nothing is written): the caller then
 * matches by name or adds the agent, under the account's lock.
 */
export async function upsertMatchedEvent(em: EntityManager, e: Omit<EventWrite, 'memberId' | 'matchedBy' | 'unmatchedReason'>): Promise<{ event: SurveyEventView; memberName: string } | undefined> {
  const rows: Row[] = await execPrepared(
    em,
    'psa_sync_survey_matched_event',
    `with hits as (
       select id, 1 as pri from member where $6::text is not null and account_id = $2 and external_id = $6::text
       union all select id, 2 from member where $7::text is not null and account_id = $2 and lower(identifier) = lower($7::text)
       union all select id, 3 from member where $8::text is not null and account_id = $2 and lower(email) = lower($8::text)),
     chosen as (select (array_agg(id))[1] as id, pri from hits group by pri having count(*) = 1 order by pri limit 1),
     stored as (
       insert into survey_event (${EVENT_COLUMNS})
       select $1, $2, $3, $4, $5, $6, $7, $8, $9, chosen.id, (array['id', 'identifier', 'email'])[chosen.pri], null, $10, $11, 1, $12, $12 from chosen
       ${ON_REPEAT})
     select stored.*, m.name as member_name from stored join member m on m.id = stored.member_id`,
    [e.id, e.accountId, e.ticket, e.respondent, e.rating, e.agentId, e.agentIdentifier, e.agentEmail, e.agentName, e.channel, e.signed, e.now],
  );
  return rows[0] ? { event: toView(rows[0]), memberName: rows[0].member_name } : undefined;
}

/** A page of an account's survey events, newest first, by keyset on (created_at, id). */
/** An account's survey events in pages; `memberScope` keeps only those matched to members a caller may see. */
export async function pageEvents(em: EntityManager, accountId: string, opts: { unmatchedOnly: boolean; memberScope?: readonly string[] | null }, page: PageRequest): Promise<{ events: SurveyEventView[]; nextCursor: string | null }> {
  const params: unknown[] = [accountId];
  let scope = '';
  if (opts.memberScope) ((scope = 'and member_id = any(?::uuid[])'), params.push(opts.memberScope));
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
export async function ratingSummary(em: EntityManager, accountId: string, memberId: string): Promise<{ count: number; average: number | null }> {
  const [row] = await exec<{ count: number; average: string | null }>(em, 'select count(*)::int as count, avg(rating)::numeric(6,2)::text as average from survey_event where account_id = ? and member_id = ?', [accountId, memberId]);
  return { count: row?.count ?? 0, average: row?.average == null ? null : Number(row.average) };
}
