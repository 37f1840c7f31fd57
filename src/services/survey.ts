import { randomUUID } from 'node:crypto';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import { bumpMembersVersion, getAccount, getAccountByPublicKey, lockAccount, type AccountRecord } from '../db/account-repository.js';
import { insertChanges } from '../db/change-repository.js';
import { countActive, getMember, insertMembers } from '../db/member-repository.js';
import type { Orm } from '../db/orm.js';
import { countSurveyAddsSince, findMemberBy, listEvents, memberNames, upsertEvent, type SurveyEventView } from '../db/survey-repository.js';
import type { MemberView } from '../db/views.js';
import { addedEntry } from '../reconcile/plan.js';
import type { MemberState } from '../reconcile/types.js';
import { normaliseName, signLink, validSignature, type SurveyInput } from './survey-input.js';
import { requireId } from '../core/ids.js';

/** What recording a survey event did. */
export interface SurveyOutcome {
  event: SurveyEventView;
  /** The credited member, if any. */
  member: MemberView | null;
  /** True when this event added the member (halopsa and snippet accounts). */
  addedMember: boolean;
  accountName: string;
}

const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/**
 * Survey events (product.md §3): checks the account key and signature, matches the agent
 * (PSA id → identifier → email → normalised name), adds unknown agents on halopsa and snippet
 * accounts (never on connectwise ones), and keeps one event per ticket and respondent.
 */
export class SurveyService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly secretBox: () => SecretBox,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Checks the account key and the link signature; throws NotFound or Forbidden, storing nothing. */
  async authorize(input: SurveyInput): Promise<{ account: AccountRecord; signed: boolean }> {
    const account = await getAccountByPublicKey(this.orm.em.fork(), input.accountKey);
    if (!account) throw new NotFoundError('unknown survey link: no account has this key');
    const secret = account.surveySecretSealed ? this.secretBox().open(account.surveySecretSealed) : null;
    const signed = secret !== null && input.sig !== null && validSignature(secret, input);
    if (input.sig !== null && !signed) throw new ForbiddenError('the survey link signature does not match; the link was changed or is not from this account');
    if (account.requireSignedLinks && !signed) throw new ForbiddenError('this account accepts signed survey links only, and this link is not signed');
    return { account, signed };
  }

  /** Records an event; `authorized` is the result of `authorize` when the caller already checked it. */
  async record(input: SurveyInput, channel: 'link' | 'api', authorized?: { account: AccountRecord; signed: boolean }): Promise<SurveyOutcome> {
    const em = this.orm.em.fork();
    const { account: found, signed } = authorized ?? (await this.authorize(input));

    // The account row lock serialises events per account, so 50 identical clicks add one member.
    const outcome = await em.fork().transactional(async (tem) => {
      const account = (await lockAccount(tem, found.id))!;
      const now = this.clock.now();
      let memberId: string | null = null;
      let matchedBy: SurveyEventView['matchedBy'] = null;
      const tries: ['id' | 'identifier' | 'email', 'external_id' | 'identifier' | 'email', string | null][] = [
        ['id', 'external_id', input.agentId],
        ['identifier', 'identifier', input.agentIdentifier],
        ['email', 'email', input.agentEmail],
      ];
      for (const [how, column, value] of tries) {
        if (memberId || !value) continue;
        const id = await findMemberBy(tem, account.id, column, value);
        if (id) [memberId, matchedBy] = [id, how];
      }
      if (!memberId && input.agentName) {
        const wanted = normaliseName(input.agentName);
        const hits = (await memberNames(tem, account.id)).filter((m) => normaliseName(m.name) === wanted);
        if (hits.length === 1) [memberId, matchedBy] = [hits[0]!.id, 'name'];
      }

      let unmatchedReason: string | null = null;
      let newMember: { id: string; state: MemberState } | null = null;
      if (!memberId) {
        unmatchedReason = await this.#whyNotAdd(tem, account, input, now);
        if (!unmatchedReason) {
          newMember = await this.#newMemberState(tem, account, input);
          memberId = newMember.id;
          matchedBy = 'added';
          await insertMembers(tem, account.id, 'survey', [newMember], now);
        }
      }
      const { event } = await upsertEvent(tem, {
        id: randomUUID(),
        accountId: account.id,
        ticket: input.ticket === '' ? `no-ticket:${randomUUID()}` : input.ticket,
        respondent: input.respondent,
        rating: input.rating,
        agentId: input.agentId,
        agentIdentifier: input.agentIdentifier,
        agentEmail: input.agentEmail,
        agentName: input.agentName,
        memberId,
        matchedBy,
        unmatchedReason,
        channel,
        signed,
        now,
      });
      if (newMember) {
        const s = newMember.state;
        await insertChanges(
          tem,
          account.id,
          null,
          [addedEntry(newMember.id, s, s.active ? 'seen_in_survey' : 'seat_limit_reached')],
          'applied',
          `survey:${channel}`,
          now,
          event.id,
        );
        await bumpMembersVersion(tem, account.id, now);
      }
      return { event, memberId, added: newMember !== null, account };
    });

    const member = outcome.memberId ? ((await getMember(em, outcome.account.id, outcome.memberId)) ?? null) : null;
    const log = this.logger.child({ accountId: outcome.account.id, surveyEventId: outcome.event.id });
    if (outcome.added) log.info({ memberId: outcome.memberId }, 'added a member seen in survey activity');
    else if (!outcome.memberId) log.warn({ reason: outcome.event.unmatchedReason }, 'survey event matched no member');
    return { event: outcome.event, member, addedMember: outcome.added, accountName: outcome.account.name };
  }

  /** Null when an unknown agent may be added to this account; otherwise the recorded reason. */
  async #whyNotAdd(tem: Parameters<typeof lockAccount>[0], account: AccountRecord, input: SurveyInput, now: Date): Promise<string | null> {
    if (account.integration === 'connectwise') return 'connectwise_is_source_of_truth';
    if (account.integration === 'halopsa' && input.agentId === '1') return 'unassigned_agent';
    if ((await countSurveyAddsSince(tem, account.id, startOfUtcDay(now))) >= account.surveyAutoAddCap) return 'auto_add_cap_reached';
    return null;
  }

  async #newMemberState(tem: Parameters<typeof lockAccount>[0], account: AccountRecord, input: SurveyInput): Promise<{ id: string; state: MemberState }> {
    const name = input.agentName ?? input.agentEmail?.split('@')[0] ?? input.agentIdentifier ?? `Agent ${input.agentId}`;
    const active = account.seatLimit === null || (await countActive(tem, account.id)) < account.seatLimit;
    return {
      id: randomUUID(),
      state: { externalId: input.agentId, identifier: input.agentIdentifier, name, email: input.agentEmail, active, list: 'staff', psaActive: null, inactiveReason: active ? null : 'seat_limit', adminInactive: false },
    };
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
    const sig = fixed && account.surveySecretSealed ? signLink(this.secretBox().open(account.surveySecretSealed), { accountKey: account.publicKey, ...agent }) : null;
    const params = (rating: number) => {
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
    return { html, note: fixed ? null : (merge.note ?? null), signed: sig !== null };
  }
}
