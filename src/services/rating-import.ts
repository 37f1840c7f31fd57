import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../access/principal.js';
import { assertCanChange } from '../access/policy.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { InputError, NotFoundError } from '../core/errors.js';
import { bumpMembersVersion, lockAccount, type AccountRecord } from '../db/account-repository.js';
import { recordAudit } from '../db/audit-repository.js';
import { insertChanges } from '../db/change-repository.js';
import { countActive, insertMembers } from '../db/member-repository.js';
import type { Orm } from '../db/orm.js';
import { NO_TICKET_PREFIX } from '../db/rating-repository.js';
import { exec, inChunks } from '../db/sql.js';
import { addedEntry, NO_PROFILE, type MemberState, type PlanEntry } from '../domain/member.js';
import { csvRecords, ImportFormatError, MAX_IMPORT_ROWS, rowKeyText, validateRow, type ImportedRating } from '../domain/rating-rows.js';
import type { RatingImportResult } from '../domain/ratings.js';
import { Seats } from '../domain/seats.js';
import { parseCsv } from './member-file.js';
import { normaliseName } from './survey-input.js';

/** An import's body: JSON rows, or CSV text with the header `at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name`. */
export type RatingImportBody = { format: 'json'; rows: readonly unknown[] } | { format: 'csv'; text: string };

type Matched = { memberId: string | null; matchedBy: 'id' | 'email' | 'name' | 'added' | null; unmatchedReason: string | null };

/** The rows of a body, numbered as a person sees them, before validation. */
function rawRows(body: RatingImportBody): { row: number; values: Record<string, unknown> }[] {
  try {
    if (body.format === 'csv') return csvRecords(parseCsv(body.text.replace(/^\uFEFF/, '')));
  } catch (err) {
    throw new InputError(`nothing was imported: ${(err as Error).message}`, { cause: err });
  }
  return (body as { rows: readonly unknown[] }).rows.map((values, i) => ({ row: i + 1, values: values && typeof values === 'object' && !Array.isArray(values) ? (values as Record<string, unknown>) : { 'not an object': values } }));
}

/** Validates every row; the first bad one (row number and field) fails the whole import. */
export function validateRows(body: RatingImportBody, timeZone: string, now: Date): ImportedRating[] {
  const raw = rawRows(body);
  if (raw.length === 0) throw new InputError('nothing was imported: there are no rows');
  if (raw.length > MAX_IMPORT_ROWS) throw new InputError(`nothing was imported: ${raw.length} rows; at most ${MAX_IMPORT_ROWS.toLocaleString('en')} per import`);
  const rows: ImportedRating[] = [];
  const seen = new Map<string, number>();
  for (const { row, values } of raw) {
    const { rating, problems } = validateRow(row, values, timeZone, now);
    if (rating && rating.ticket !== '') {
      const key = JSON.stringify([rating.ticket, rating.respondent]);
      if (seen.has(key)) problems.push(`${rating.respondent ? `ticket ${rating.ticket} and respondent ${rating.respondent} are` : `ticket ${rating.ticket} is`} also on row ${seen.get(key)} (one rating per ticket and respondent)`);
      else seen.set(key, row);
    }
    if (problems.length > 0) throw new InputError(`nothing was imported: row ${row}: ${problems.join('; ')}`);
    rows.push(rating!);
  }
  return rows;
}

/**
 * Matches rows to members like live events (PSA id → email → normalised name, each naming exactly
 * one member). An unknown agent stays unmatched where the PSA is the source of truth (ConnectWise,
 * Autotask) and is added otherwise (halopsa, snippet), once, with the seat limit applied. (The daily
 * cap on survey additions guards the public link, not an admin's import.)
 */
class Matcher {
  readonly #byId = new Map<string, string[]>();
  readonly #byEmail = new Map<string, string[]>();
  readonly #byName = new Map<string, string[]>();
  readonly added: { id: string; state: MemberState }[] = [];

  constructor(
    members: { id: string; external_id: string | null; email: string | null; name: string }[],
    private readonly account: AccountRecord,
    private readonly addsMembers: boolean,
    private readonly seats: Seats,
  ) {
    for (const m of members) this.#index(m.id, m.external_id, m.email, m.name);
  }

  #index(id: string, externalId: string | null, email: string | null, name: string): void {
    const put = (map: Map<string, string[]>, key: string | null) => key && map.set(key, [...(map.get(key) ?? []), id]);
    put(this.#byId, externalId);
    put(this.#byEmail, email?.toLowerCase() ?? null);
    put(this.#byName, normaliseName(name));
  }

  match(r: ImportedRating): Matched {
    const one = (map: Map<string, string[]>, key: string | null) => (key ? map.get(key) : undefined)?.length === 1 ? map.get(key!)![0]! : undefined;
    const byId = one(this.#byId, r.agentId);
    if (byId) return { memberId: byId, matchedBy: 'id', unmatchedReason: null };
    const byEmail = one(this.#byEmail, r.agentEmail?.toLowerCase() ?? null);
    if (byEmail) return { memberId: byEmail, matchedBy: 'email', unmatchedReason: null };
    const byName = one(this.#byName, r.agentName ? normaliseName(r.agentName) : null);
    if (byName) return { memberId: byName, matchedBy: 'name', unmatchedReason: null };
    if (!this.addsMembers) return { memberId: null, matchedBy: null, unmatchedReason: `${this.account.integration}_is_source_of_truth` };
    if (this.account.integration === 'halopsa' && r.agentId === '1') return { memberId: null, matchedBy: null, unmatchedReason: 'unassigned_agent' };
    // Every key the row gives names several members: ambiguous (adding one more would only add to it).
    const given: [string | null, Map<string, string[]>][] = [
      [r.agentId, this.#byId],
      [r.agentEmail?.toLowerCase() ?? null, this.#byEmail],
      [r.agentName ? normaliseName(r.agentName) : null, this.#byName],
    ];
    if (given.filter(([key]) => key).every(([key, map]) => map.has(key!))) return { memberId: null, matchedBy: null, unmatchedReason: 'ambiguous_agent' };
    const active = this.seats.take();
    const id = randomUUID();
    const state: MemberState = {
      externalId: r.agentId,
      identifier: null,
      name: r.agentName ?? r.agentEmail?.split('@')[0] ?? `Agent ${r.agentId}`,
      email: r.agentEmail,
      active,
      list: 'staff',
      psaActive: null,
      inactiveReason: active ? null : 'seat_limit',
      adminInactive: false,
      ...NO_PROFILE,
    };
    this.added.push({ id, state });
    this.#index(id, state.externalId, state.email, state.name);
    return { memberId: id, matchedBy: 'added', unmatchedReason: null };
  }
}

const ticketOf = (r: ImportedRating) => r.ticket || `${NO_TICKET_PREFIX}import-${createHash('sha256').update(rowKeyText(r)).digest('hex').slice(0, 32)}`;

/** (ticket, respondent) pairs of the rows that the account already has an event for. */
async function existingKeys(em: EntityManager, accountId: string, rows: ImportedRating[]): Promise<Set<string>> {
  const found = new Set<string>();
  await inChunks(rows, async (chunk) => {
    const hits = await exec<{ ticket: string; respondent: string }>(
      em,
      `select e.ticket, e.respondent from survey_event e join unnest(?::text[], ?::text[]) as k(ticket, respondent)
         on e.account_id = ? and e.ticket = k.ticket and e.respondent = k.respondent`,
      [chunk.map(ticketOf), chunk.map((r) => r.respondent), accountId],
    );
    for (const h of hits) found.add(JSON.stringify([h.ticket, h.respondent]));
  });
  return found;
}

/**
 * History import (product.md §12): validates every row first (the first bad row fails the import,
 * named), then in one transaction under the account's lock matches the rows, adds members where
 * live events would, and stores each row as an event (channel `import`) unless the account already
 * has one for its ticket and respondent — so importing the same rows again changes nothing. The
 * rollup follows by the database's triggers.
 */
export async function importRatings(deps: { orm: Orm; registry: ConnectorRegistry; clock: Clock }, accountId: string, body: RatingImportBody, actor: string, caller?: Principal): Promise<RatingImportResult> {
  if (caller) assertCanChange(caller, accountId, `account ${accountId}`, 'import ratings');
  const now = deps.clock.now();
  return deps.orm.em.fork().transactional(async (tem) => {
    const account = await lockAccount(tem, accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    let rows: ImportedRating[];
    try {
      rows = validateRows(body, account.timezone, now);
    } catch (err) {
      if (err instanceof ImportFormatError) throw new InputError(`nothing was imported: ${err.message}`, { cause: err });
      throw err;
    }
    const present = await existingKeys(tem, accountId, rows);
    const fresh = rows.filter((r) => !present.has(JSON.stringify([ticketOf(r), r.respondent])));
    const addsMembers = deps.registry.get(account.integration).rosterPolicy !== 'authoritative';
    const members = await exec<{ id: string; external_id: string | null; email: string | null; name: string }>(tem, 'select id, external_id, email, name from member where account_id = ?', [accountId]);
    const seats = new Seats(account.seatLimit, account.seatLimit === null ? 0 : await countActive(tem, accountId));
    const matcher = new Matcher(members, account, addsMembers, seats);
    const events = fresh.map((r) => ({ r, m: matcher.match(r) }));

    if (matcher.added.length > 0) {
      await insertMembers(tem, accountId, 'import', matcher.added, now);
      const entries: PlanEntry[] = matcher.added.map((a) => addedEntry(a.id, a.state, a.state.active ? 'seen_in_imported_ratings' : 'seat_limit_reached'));
      await insertChanges(tem, accountId, null, entries, 'applied', actor, now);
      await bumpMembersVersion(tem, accountId, now);
    }
    let imported = 0;
    await inChunks(events, async (chunk) => {
      const stored = await exec<{ n: number }>(
        tem,
        `with stored as (
           insert into survey_event (id, account_id, ticket, respondent, rating, agent_external_id, agent_identifier, agent_email, agent_name,
                                     member_id, matched_by, unmatched_reason, channel, signed, clicks, created_at, updated_at, client, comment)
           select x.id, ?, x.ticket, x.respondent, x.rating, x.agent_id, null, x.agent_email, x.agent_name,
                  x.member_id, x.matched_by, x.unmatched_reason, 'import', false, 1, x.at, x.at, x.client, x.comment
             from jsonb_to_recordset(?::jsonb) as x(id uuid, ticket text, respondent text, rating int, agent_id text, agent_email text, agent_name text,
                                                   member_id uuid, matched_by text, unmatched_reason text, at timestamptz, client text, comment text)
           on conflict (account_id, ticket, respondent) do nothing
           returning 1)
         select count(*)::int as n from stored`,
        [
          accountId,
          JSON.stringify(
            chunk.map(({ r, m }) => ({
              id: randomUUID(),
              ticket: ticketOf(r),
              respondent: r.respondent,
              rating: r.rating,
              agent_id: r.agentId,
              agent_email: r.agentEmail,
              agent_name: r.agentName,
              member_id: m.memberId,
              matched_by: m.matchedBy,
              unmatched_reason: m.unmatchedReason,
              at: r.at.toISOString(),
              client: r.client,
              comment: r.comment,
            })),
          ),
        ],
      );
      imported += stored[0]?.n ?? 0;
    });
    const matched = events.filter((e) => e.m.memberId !== null).length;
    const result: RatingImportResult = { imported, matched, unmatched: imported - matched, unchanged: rows.length - imported, membersAdded: matcher.added.length };
    if (imported > 0) await recordAudit(tem, { accountId, actor, action: 'ratings.imported', target: { type: 'account', id: accountId }, before: null, after: result, reason: null }, now);
    return result;
  });
}
