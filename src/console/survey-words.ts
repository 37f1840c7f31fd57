import type { SkippedRecord, SurveyEventView } from '../db/survey-repository.js';

/**
 * A survey event's matching in words: how a rating was credited, and why one was not, from the
 * codes the survey service records (`matchedBy`, `unmatchedReason`). Pure: data in, words out.
 */

const PSA_NAMES: Record<string, string> = { connectwise: 'ConnectWise', autotask: 'Autotask', halopsa: 'HaloPSA' };

const MATCHED_BY: Record<string, string> = {
  id: 'matched by PSA id',
  identifier: 'matched by identifier',
  email: 'matched by email',
  name: 'matched by name',
  added: 'added to the members by this rating',
};

const UNMATCHED: Record<string, string> = {
  unassigned_agent: 'The link names HaloPSA’s placeholder agent (“unassigned”, id 1), not a person, so no one is credited.',
  auto_add_cap_reached: 'No member matches this agent, and today’s limit of members added from survey ratings was already reached. Raise the limit in Settings, or add the person.',
  ambiguous_agent: 'Several members share this agent’s name or email, so psa-sync could not tell whom to credit.',
};

/** How a credited rating found its member, in words ("matched by email"). */
export const matchedByWords = (code: string | null): string => (code ? (MATCHED_BY[code] ?? `matched by ${code.replace(/_/g, ' ')}`) : '');

/**
 * Why no member was credited, as a sentence. `<integration>_is_source_of_truth`: the PSA's roster
 * decides who is a member, so a rating never adds one; the agent is not among the members.
 */
export function unmatchedWords(reason: string | null): string {
  if (!reason) return 'No member matches the agent in the link.';
  const known = UNMATCHED[reason];
  if (known) return known;
  const authority = /^(\w+)_is_source_of_truth$/.exec(reason);
  if (authority) {
    const psa = PSA_NAMES[authority[1]!] ?? authority[1]!;
    const article = /^[aeiou]/i.test(psa) ? 'an' : 'a';
    return `No member has this agent’s id, identifier, email or name. Only a sync adds members to ${article} ${psa} account, so the rating waits unmatched; if the agent should be a member, check them in ${psa}.`;
  }
  return `Not matched: ${reason.replace(/_/g, ' ')}.`;
}

const SKIP_WORDS: Record<string, string> = {
  api_member: 'an API member',
  api_user: 'an API user',
  unassigned_agent: 'the placeholder agent',
};

/**
 * The record the latest sync skipped that an event's agent is, if the data says so: the same PSA
 * id, identifier, or name (case and spacing aside). Null when none matches.
 */
export function skippedAgent(agent: SurveyEventView['agent'], skipped: readonly SkippedRecord[]): SkippedRecord | null {
  const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  return (
    skipped.find(
      (r) =>
        (agent.id !== null && r.externalId !== null && agent.id === r.externalId) ||
        (norm(agent.identifier) !== '' && norm(agent.identifier) === norm(r.identifier)) ||
        (norm(agent.name) !== '' && norm(agent.name) === norm(r.name)),
    ) ?? null
  );
}

/** A skipped record as a note beside the reason: "The PSA lists this agent as an API member: sync skips them, so they are no member." */
export const skippedWords = (r: SkippedRecord): string => `The PSA lists ${r.name} as ${SKIP_WORDS[r.reason] ?? r.reason.replace(/_/g, ' ')}, which a sync skips: they are no member, so their ratings stay unmatched.`;
