import { createHmac, timingSafeEqual } from 'node:crypto';
import { InputError } from '../core/errors.js';
import { EMAIL } from './member-file.js';
import { CLIENT_MAX, COMMENT_MAX, cleanClient } from '../domain/person-scope.js';

/** Ratings are whole numbers 0–10: stars (1–5), faces (e.g. 0/5/10) and NPS-style scales fit. */
export const RATING_MIN = 0;
export const RATING_MAX = 10;

/** A survey click or submission, validated and trimmed. */
export interface SurveyInput {
  accountKey: string;
  rating: number;
  /** Empty when the link carries no ticket (e.g. an email-signature survey). */
  ticket: string;
  respondent: string;
  agentId: string | null;
  agentIdentifier: string | null;
  agentEmail: string | null;
  agentName: string | null;
  /** The customer company the rating is about (link `client=`, API `client`); at most 200 characters. */
  client: string | null;
  /** The respondent's words (API `comment`, the thank-you page's form); at most 2,000 characters. */
  comment: string | null;
  sig: string | null;
}

const LIMITS = { accountKey: 64, ticket: 64, respondent: 320, agentId: 64, agentIdentifier: 100, agentEmail: 320, agentName: 200, client: CLIENT_MAX, sig: 128 } as const;

function field(raw: Record<string, unknown>, names: string[], label: keyof typeof LIMITS, problems: string[]): string | null {
  const name = names.find((n) => raw[n] !== undefined && raw[n] !== null);
  if (!name) return null;
  const value = raw[name];
  if (typeof value !== 'string' && typeof value !== 'number') {
    problems.push(`${name} must be text`);
    return null;
  }
  const text = String(value).trim();
  if ([...text].length > LIMITS[label]) {
    problems.push(`${name} is longer than ${LIMITS[label]} characters`);
    return null;
  }
  return text === '' ? null : text;
}

/**
 * Validates a survey event from a link's query (snake_case) or a JSON body (camelCase). Throws an
 * InputError naming every problem; nothing is stored for a rejected event.
 */
export function parseSurveyInput(raw: Record<string, unknown>, accountKeyFromPath?: string): SurveyInput {
  const problems: string[] = [];
  const accountKey = accountKeyFromPath ?? field(raw, ['accountKey', 'account_key'], 'accountKey', problems);
  const ratingRaw = raw.rating;
  let rating = Number.NaN;
  if (ratingRaw === undefined || ratingRaw === null || ratingRaw === '') problems.push('rating is missing');
  else {
    rating = typeof ratingRaw === 'number' ? ratingRaw : /^-?\d+$/.test(String(ratingRaw).trim()) ? Number(String(ratingRaw).trim()) : Number.NaN;
    if (!Number.isInteger(rating) || rating < RATING_MIN || rating > RATING_MAX) problems.push(`rating must be a whole number from ${RATING_MIN} to ${RATING_MAX} (got "${String(ratingRaw).slice(0, 20)}")`);
  }
  const ticket = field(raw, ['ticket'], 'ticket', problems) ?? '';
  const respondent = field(raw, ['respondent'], 'respondent', problems) ?? '';
  const agentId = field(raw, ['agent_id', 'agentId'], 'agentId', problems);
  const agentIdentifier = field(raw, ['agent_identifier', 'agentIdentifier'], 'agentIdentifier', problems);
  const agentEmail = field(raw, ['agent_email', 'agentEmail'], 'agentEmail', problems);
  const agentName = field(raw, ['agent_name', 'agentName'], 'agentName', problems);
  const sig = field(raw, ['sig'], 'sig', problems);
  const client = cleanClient(field(raw, ['client'], 'client', problems));
  const comment = parseComment(raw.comment, problems);
  if (!accountKey) problems.push('the account key is missing');
  if (!agentId && !agentIdentifier && !agentEmail && !agentName && !problems.some((p) => p.startsWith('agent'))) {
    problems.push('the agent is missing: give agent_id, agent_identifier, agent_email or agent_name');
  }
  if (agentEmail && !EMAIL.test(agentEmail)) problems.push('agent_email is not an email address');
  if (agentId && /[{}[\]$]/.test(agentId)) problems.push('agent_id looks like an unfilled merge field');
  if (problems.length > 0) throw new InputError(`survey event rejected: ${problems.join('; ')}`);
  return { accountKey: accountKey!, rating, ticket, respondent, agentId, agentIdentifier, agentEmail, agentName, client, comment, sig };
}

/** Control characters other than tab and line breaks (PostgreSQL text cannot hold NUL; the rest only hide text). */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * A comment: text of at most 2,000 characters (counted as characters, not bytes), trimmed, line
 * breaks kept, other control characters dropped; null when empty. An oversized one is a problem
 * named `comment`.
 */
export function parseComment(value: unknown, problems: string[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems.push('comment must be text');
    return null;
  }
  const text = value.replace(/\r\n?/g, '\n').replace(CONTROL, '').trim();
  if ([...text].length > COMMENT_MAX) {
    problems.push(`comment is longer than ${COMMENT_MAX} characters`);
    return null;
  }
  return text === '' ? null : text;
}

/** The values a link carries, all of which its signature covers. */
export type SignedValues = Pick<SurveyInput, 'accountKey' | 'rating' | 'ticket' | 'respondent' | 'agentId' | 'agentIdentifier' | 'agentEmail' | 'agentName'> & { client?: string | null };

/**
 * The signed text: every value the link carries (account, rating, ticket, respondent, agent and,
 * when it names one, the client), so a signed link cannot be replayed with another rating, ticket,
 * agent or client. Values are JSON-encoded, so no value can imitate a field boundary. (A link
 * without a client signs the same text as before clients existed, so older links stay valid.)
 */
export function signedText(i: SignedValues): string {
  const values: (string | number)[] = ['v2', i.accountKey, i.rating, i.ticket, i.respondent, i.agentId ?? '', i.agentIdentifier ?? '', i.agentEmail ?? '', i.agentName ?? ''];
  if (i.client) values.push(i.client);
  return JSON.stringify(values);
}

export function signLink(secret: string, i: Parameters<typeof signedText>[0]): string {
  return createHmac('sha256', secret).update(signedText(i)).digest('hex');
}

/** Constant-time check of a link signature. */
export function validSignature(secret: string, input: SurveyInput): boolean {
  if (!input.sig || !/^[0-9a-f]{64}$/i.test(input.sig)) return false;
  return timingSafeEqual(Buffer.from(signLink(secret, input), 'hex'), Buffer.from(input.sig.toLowerCase(), 'hex'));
}

/** Names compared case- and spacing-insensitively, accents folded ("José  Díaz" = "jose diaz"). */
export function normaliseName(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}
