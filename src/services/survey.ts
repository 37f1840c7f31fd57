import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientScope, MemberScope } from '../access/principal.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ForbiddenError, InputError, NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import { bumpMembersVersion, getAccount, getAccountByPublicKey, lockAccount, type AccountRecord } from '../db/account-repository.js';
import { insertChanges } from '../db/change-repository.js';
import { countActive, insertMembers } from '../db/member-repository.js';
import type { Orm } from '../db/orm.js';
import { attachComment, countSurveyAddsSince, latestSkipped, listEvents, memberNames, memberNamesById, pageEvents, ratingSummary, upsertEvent, upsertEventId, upsertMatchedEvent, upsertMatchedEventId, type SkippedRecord, type SurveyEventView } from '../db/survey-repository.js';
import { parsePageRequest, unknownParams } from '../db/paging.js';
import { addedEntry, NO_PROFILE, type MemberState } from '../domain/member.js';
import { Seats } from '../domain/seats.js';
import { normaliseName, signLink, validSignature, type SurveyInput } from './survey-input.js';
import { requireId } from '../core/ids.js';

/** What recording a survey event did. */
export interface SurveyOutcome {
  event: SurveyEventView;
  /** The credited member's id and name, if any. */
  member: { id: string; name: string } | null;
  /** True when this event added the member (halopsa and snippet accounts). */
  addedMember: boolean;
}

/** What recording a rating link's click did: what its thank-you page says. */
export interface ClickOutcome {
  eventId: string;
  /** The credited member's id and name, if any. */
  member: { id: string; name: string } | null;
  /** The agent's name as the link gave it, if it did. */
  agentName: string | null;
}

/** An event whose account key and signature were checked (`authorize`). */
export interface AuthorizedInput {
  input: SurveyInput;
  account: AccountRecord;
  signed: boolean;
}

/** How long an account looked up by its survey key is reused (see SurveyService). */
export const ACCOUNT_CACHE_MS = 2_000;

/**
 * How long the member an agent matched is reused at most. It is dropped sooner, as soon as the
 * account's members version moves (any member written: a sync, an import, an admin's change, an
 * agent added), which a replica sees within ACCOUNT_CACHE_MS.
 */
export const MATCH_CACHE_MS = 10 * 60_000;

/** How long SurveyService reuses what it looked up. */
export interface SurveyCaching {
  accountMs: number;
  matchMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/**
 * Survey events (product.md §3): checks the account key and signature, matches the agent
 * (PSA id → identifier → email → normalised name), adds unknown agents on halopsa and snippet
 * accounts (never on connectwise or autotask ones), and keeps one event per ticket and respondent.
 */
export class SurveyService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly secretBox: () => SecretBox,
    private readonly clock: Clock,
    private readonly logger: Logger,
    caching: Partial<SurveyCaching> = {},
  ) {
    this.caching = { accountMs: caching.accountMs ?? ACCOUNT_CACHE_MS, matchMs: caching.matchMs ?? MATCH_CACHE_MS };
  }

  private readonly caching: SurveyCaching;

  /**
   * Accounts by survey key, with their opened link secret, for a couple of seconds: a burst of
   * clicks (a help desk closing many tickets) needs one lookup, and a settings change (signed
   * links required) takes effect within that time on every replica.
   */
  #statements: EntityManager | undefined;
  readonly #byKey = new Map<string, { account: AccountRecord; secret: string | null; until: number }>();
  /**
   * Which member an agent's id, identifier and email matched, while the account's members are as
   * they were (its members version): a click of an agent seen before is one plain INSERT instead of
   * three member lookups and a join. Matching reads only members, and every member write bumps
   * the version, so an entry is never older than the account record it is checked against.
   */
  readonly #matched = new Map<string, { id: string; name: string; matchedBy: SurveyEventView['matchedBy']; membersVersion: number; until: number }>();

  async #accountByKey(key: string): Promise<{ account: AccountRecord; secret: string | null } | undefined> {
    const now = Date.now();
    const cached = this.#byKey.get(key);
    if (cached && cached.until > now) return cached;
    const account = await getAccountByPublicKey((this.#statements ??= this.orm.em.fork()), key);
    if (!account) return undefined;
    if (this.#byKey.size >= 10_000) this.#byKey.clear();
    const entry = { account, secret: account.surveySecretSealed ? this.secretBox().open(account.surveySecretSealed) : null, until: now + this.caching.accountMs };
    this.#byKey.set(key, entry);
    return entry;
  }

  /** Checks the account key and the link signature; throws NotFound or Forbidden, storing nothing. */
  async authorize(input: SurveyInput): Promise<AuthorizedInput> {
    const found = await this.#accountByKey(input.accountKey);
    if (!found) throw new NotFoundError('unknown survey link: no account has this key');
    const { account, secret } = found;
    const signed = secret !== null && input.sig !== null && validSignature(secret, input);
    if (input.sig !== null && !signed) throw new ForbiddenError('the survey link signature does not match; the link was changed or is not from this account');
    if (account.requireSignedLinks && !signed) throw new ForbiddenError('this account accepts signed survey links only, and this link is not signed');
    return { input, account, signed };
  }

  /**
   * Records one checked event. The usual click (an agent we know by id, identifier or email) is a
   * single statement; anything else is matched by name or added under the account's lock.
   */
  async record(checked: AuthorizedInput, channel: 'link' | 'api'): Promise<ClickOutcome> {
    // Single statements outside a transaction: no unit of work, so one entity manager serves every click.
    const em = (this.#statements ??= this.orm.em.fork());
    const write = this.#eventWrite(checked, channel, this.clock.now());
    const { input } = checked;
    const agentKey = [checked.account.id, input.agentId, input.agentIdentifier, input.agentEmail?.toLowerCase()].join('\n');
    const known = this.#matched.get(agentKey);
    if (known && known.membersVersion === checked.account.membersVersion && known.until > Date.now()) {
      const eventId = await upsertEventId(em, { ...write, memberId: known.id, matchedBy: known.matchedBy, unmatchedReason: null });
      return { eventId, member: { id: known.id, name: known.name }, agentName: input.agentName };
    }
    const quick = await upsertMatchedEventId(em, write);
    if (quick) {
      if (this.#matched.size >= 10_000) this.#matched.clear();
      this.#matched.set(agentKey, { id: quick.memberId, name: quick.memberName, matchedBy: quick.matchedBy, membersVersion: checked.account.membersVersion, until: Date.now() + this.caching.matchMs });
      return { eventId: quick.id, member: { id: quick.memberId, name: quick.memberName }, agentName: input.agentName };
    }
    const [outcome] = await this.recordAll([checked], channel);
    return { eventId: outcome!.event.id, member: outcome!.member, agentName: outcome!.event.agent.name };
  }

  /** Records checked events all or nothing, in one transaction (a batch from `POST /api/v1/survey-events`). */
  async recordAll(batch: readonly AuthorizedInput[], channel: 'link' | 'api'): Promise<SurveyOutcome[]> {
    const outcomes = await this.orm.em.fork().transactional(async (tem) => {
      // Account rows are locked in one order, so two batches naming the same accounts cannot deadlock.
      const locked = new Map<string, AccountRecord>();
      for (const id of [...new Set(batch.map((b) => b.account.id))].sort()) locked.set(id, (await lockAccount(tem, id))!);
      const results: SurveyOutcome[] = [];
      for (const checked of batch) results.push(await this.#recordLocked(tem, locked.get(checked.account.id)!, checked, channel));
      return results;
    });
    for (const o of outcomes) {
      const log = this.logger.child({ accountId: o.event.accountId, surveyEventId: o.event.id });
      if (o.addedMember) log.info({ memberId: o.member?.id }, 'added a member seen in survey activity');
      else if (!o.member) log.warn({ reason: o.event.unmatchedReason }, 'survey event matched no member');
    }
    return outcomes;
  }

  #eventWrite(checked: AuthorizedInput, channel: 'link' | 'api', now: Date) {
    const { input, account, signed } = checked;
    return {
      id: randomUUID(),
      accountId: account.id,
      // Without a ticket every click is its own event.
      ticket: input.ticket === '' ? `no-ticket:${randomUUID()}` : input.ticket,
      respondent: input.respondent,
      rating: input.rating,
      agentId: input.agentId,
      agentIdentifier: input.agentIdentifier,
      agentEmail: input.agentEmail,
      agentName: input.agentName,
      channel,
      signed,
      client: input.client,
      comment: input.comment,
      now,
    };
  }

  /**
   * The thank-you page's comment form (`POST /s/:key?…` with `comment`): attaches the comment to
   * the event the link's click recorded — the same ticket and respondent, or, for a link without a
   * ticket, the event the page named (`eventId`). Not a click: the rating and click count stay. When
   * there is no such event yet (the form was posted without the click), the link is recorded with
   * the comment.
   */
  async comment(checked: AuthorizedInput, comment: string | null, eventId: string | null): Promise<ClickOutcome> {
    const { input, account } = checked;
    const em = (this.#statements ??= this.orm.em.fork());
    const target = input.ticket !== '' ? { ticket: input.ticket, respondent: input.respondent } : eventId && UUID.test(eventId) ? { eventId } : null;
    const found = target ? await attachComment(em, account.id, target, comment, this.clock.now()) : undefined;
    if (found) return { eventId: found.event.id, member: found.event.memberId ? { id: found.event.memberId, name: found.memberName! } : null, agentName: found.event.agent.name };
    return this.record({ ...checked, input: { ...input, comment } }, 'link');
  }

  /** Records one event with its account row locked by the caller: the lock serialises additions, so 50 identical clicks add one member. */
  async #recordLocked(tem: EntityManager, account: AccountRecord, checked: AuthorizedInput, channel: 'link' | 'api'): Promise<SurveyOutcome> {
    const { input } = checked;
    const now = this.clock.now();
    const write = this.#eventWrite(checked, channel, now);
    const quick = await upsertMatchedEvent(tem, write);
    if (quick) return { event: quick.event, member: { id: quick.event.memberId!, name: quick.memberName }, addedMember: false };

    let member: { id: string; name: string } | null = null;
    let matchedBy: SurveyEventView['matchedBy'] = null;
    if (input.agentName) {
      const wanted = normaliseName(input.agentName);
      const hits = (await memberNames(tem, account.id)).filter((m) => normaliseName(m.name) === wanted);
      if (hits.length === 1) [member, matchedBy] = [hits[0]!, 'name'];
    }
    let unmatchedReason: string | null = null;
    let newMember: { id: string; state: MemberState } | null = null;
    if (!member) {
      unmatchedReason = await this.#whyNotAdd(tem, account, input, now);
      if (!unmatchedReason) {
        newMember = await this.#newMemberState(tem, account, input);
        member = { id: newMember.id, name: newMember.state.name };
        matchedBy = 'added';
        await insertMembers(tem, account.id, 'survey', [newMember], now);
      }
    }
    const { event } = await upsertEvent(tem, { ...write, memberId: member?.id ?? null, matchedBy, unmatchedReason });
    if (newMember) {
      const s = newMember.state;
      await insertChanges(tem, account.id, null, [addedEntry(newMember.id, s, s.active ? 'seen_in_survey' : 'seat_limit_reached')], 'applied', `survey:${channel}`, now, event.id);
      await bumpMembersVersion(tem, account.id, now);
    }
    return { event, member, addedMember: newMember !== null };
  }

  /** Null when an unknown agent may be added to this account; otherwise the recorded reason. */
  async #whyNotAdd(tem: EntityManager, account: AccountRecord, input: SurveyInput, now: Date): Promise<string | null> {
    // Where the PSA is the source of truth (ConnectWise, Autotask), only a sync adds members.
    if (this.registry.get(account.integration).rosterPolicy === 'authoritative') return `${account.integration}_is_source_of_truth`;
    if (account.integration === 'halopsa' && input.agentId === '1') return 'unassigned_agent';
    if ((await countSurveyAddsSince(tem, account.id, startOfUtcDay(now))) >= account.surveyAutoAddCap) return 'auto_add_cap_reached';
    return null;
  }

  async #newMemberState(tem: EntityManager, account: AccountRecord, input: SurveyInput): Promise<{ id: string; state: MemberState }> {
    const name = input.agentName ?? input.agentEmail?.split('@')[0] ?? input.agentIdentifier ?? `Agent ${input.agentId}`;
    const active = account.seatLimit === null || new Seats(account.seatLimit, await countActive(tem, account.id)).take();
    return {
      id: randomUUID(),
      state: { externalId: input.agentId, identifier: input.agentIdentifier, name, email: input.agentEmail, active, list: 'staff', psaActive: null, inactiveReason: active ? null : 'seat_limit', adminInactive: false, ...NO_PROFILE },
    };
  }

  /** A page of survey events, newest first (`unmatched`, `limit`, `cursor` as URL values). */
  async page(accountId: string, raw: Record<string, string | undefined>, memberScope: MemberScope | null = null, clientScope: ClientScope | null = null): Promise<{ events: SurveyEventView[]; nextCursor: string | null }> {
    requireId('account', accountId);
    const problems: string[] = [];
    unknownParams(raw, ['unmatched', 'limit', 'cursor'], problems);
    if (raw.unmatched !== undefined && raw.unmatched !== 'true' && raw.unmatched !== 'false') problems.push(`unmatched must be true or false (got "${raw.unmatched.slice(0, 20)}")`);
    const page = parsePageRequest(raw, 2, problems);
    if (problems.length > 0) throw new InputError(problems.join('; '));
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    return pageEvents(em, accountId, { unmatchedOnly: raw.unmatched === 'true', memberScope, clientScope }, page);
  }

  /**
   * What a page of events needs besides the events: the names of the members they are credited
   * to, and (when some are unmatched) the PSA records the latest sync skipped, which an unmatched
   * agent may be (an API member is no person, so never a member).
   */
  async eventContext(accountId: string, events: readonly SurveyEventView[]): Promise<{ names: Map<string, string>; skipped: SkippedRecord[] }> {
    requireId('account', accountId);
    const em = this.orm.em.fork();
    const credited = events.flatMap((e) => (e.memberId ? [e.memberId] : []));
    const [names, skipped] = await Promise.all([memberNamesById(em, accountId, credited), events.some((e) => !e.memberId) ? latestSkipped(em, accountId) : Promise.resolve([])]);
    return { names, skipped };
  }

  /** A member's ratings: how many, and their average. */
  async summary(accountId: string, memberId: string, clientScope: ClientScope | null = null): Promise<{ count: number; average: number | null }> {
    return ratingSummary(this.orm.em.fork(), requireId('account', accountId), requireId('member', memberId), clientScope);
  }

  async list(accountId: string, unmatchedOnly: boolean, limit = 100): Promise<SurveyEventView[]> {
    requireId('account', accountId);
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    return listEvents(em, accountId, { unmatchedOnly, limit });
  }

  /** The HTML rating row for an account, with its PSA's merge fields (`psa-sync accounts snippet`). */
  async snippet(accountId: string, baseUrl: string, fixedAgent?: { id?: string; email?: string; name?: string }): Promise<{ html: string; note: string | null; signed: boolean }> {
    requireId('account', accountId);
    const account = await getAccount(this.orm.em.fork(), accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    const merge = this.registry.get(account.integration).mergeFields;
    const fixed = fixedAgent && (fixedAgent.id || fixedAgent.email || fixedAgent.name) ? fixedAgent : undefined;
    const agent = fixed
      ? { agentId: fixed.id ?? null, agentIdentifier: null, agentEmail: fixed.email ?? null, agentName: fixed.name ?? null }
      : { agentId: merge.agentId ?? null, agentIdentifier: merge.agentIdentifier ?? null, agentEmail: merge.agentEmail ?? null, agentName: merge.agentName ?? null };
    // Only a fixed agent (an email-signature snippet) can be signed ahead of time: merge fields are filled in later by the PSA.
    const secret = fixed && account.surveySecretSealed ? this.secretBox().open(account.surveySecretSealed) : null;
    // Each face is signed for its own rating; a fixed-agent snippet carries no ticket or respondent.
    const sigFor = (rating: number) => (secret ? signLink(secret, { accountKey: account.publicKey, rating, ticket: '', respondent: '', ...agent }) : null);
    const params = (rating: number) => {
      const sig = sigFor(rating);
      const parts = [`rating=${rating}`, ...(fixed ? [] : [`ticket=${merge.ticket}`])];
      if (agent.agentId) parts.push(`agent_id=${agent.agentId}`);
      if (agent.agentIdentifier) parts.push(`agent_identifier=${agent.agentIdentifier}`);
      if (agent.agentEmail) parts.push(`agent_email=${fixed ? encodeURIComponent(agent.agentEmail) : agent.agentEmail}`);
      if (agent.agentName) parts.push(`agent_name=${fixed ? encodeURIComponent(agent.agentName) : agent.agentName}`);
      if (sig) parts.push(`sig=${sig}`);
      return parts.join('&amp;');
    };
    const faces: [number, string, string][] = [
      [10, '#2e7d32', 'Great'],
      [5, '#f9a825', 'OK'],
      [0, '#c62828', 'Not good'],
    ];
    const link = (rating: number, colour: string, label: string) =>
      `<a href="${baseUrl.replace(/\/+$/, '')}/s/${account.publicKey}?${params(rating)}" style="display:inline-block;padding:6px 14px;margin-right:6px;border-radius:4px;background:${colour};color:#fff;text-decoration:none;font-family:sans-serif">${label}</a>`;
    const html = [
      `<!-- psa-sync survey snippet for ${account.integration} account ${account.id} -->`,
      '<p style="font-family:sans-serif;margin:0 0 6px">How did we do?</p>',
      `<p style="margin:0">${faces.map(([r, c, l]) => link(r, c, l)).join('')}</p>`,
    ].join('\n');
    return { html, note: fixed ? null : (merge.note ?? null), signed: secret !== null };
  }
}
