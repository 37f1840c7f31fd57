import type { RemoteMember, RosterPage } from '../../src/connector/contract.js';
import { SyncError } from '../../src/core/errors.js';
import type { HaloAgent } from './types.js';

/** Halo's built-in "Unassigned" pseudo-agent. */
export const UNASSIGNED_AGENT_ID = 1;

/**
 * Halo sends naive timestamps ("2026-02-10T00:00:00") meaning UTC; years up to 1980
 * ("1900-01-01") mean "no date" (psa-api-facts §2.3).
 */
export function parseHaloDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const naive = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value.trim());
  const date = new Date(naive ? `${value.trim()}${value.includes('T') ? '' : 'T00:00:00'}Z` : value);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() <= 1980) return null;
  return date;
}

/** Both response shapes of `/api/Agent`: a bare array, or a page object with `results` (or `agents`). */
export function agentsOf(body: unknown): { agents: unknown[]; paged: boolean; recordCount?: number } {
  if (Array.isArray(body)) return { agents: body, paged: false };
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const list = o.results ?? o.agents;
    if (Array.isArray(list)) {
      return { agents: list, paged: true, recordCount: typeof o.record_count === 'number' ? o.record_count : undefined };
    }
  }
  throw new SyncError('bad_response', 'HaloPSA answered GET /api/Agent with neither a list of agents nor a page of results');
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

function toAgent(raw: unknown): HaloAgent {
  const a = raw as HaloAgent;
  if (!a || typeof a !== 'object' || typeof a.id !== 'number' || !Number.isInteger(a.id)) {
    throw new SyncError('bad_response', 'HaloPSA returned an agent without a numeric id');
  }
  return a;
}

/** Maps agents to our vocabulary, skipping Unassigned (id 1) and API agents. */
export function mapAgents(raw: unknown[]): RosterPage & { ids: number[] } {
  const page: RosterPage & { ids: number[] } = { members: [], skipped: [], ids: [] };
  for (const item of raw) {
    const a = toAgent(item);
    page.ids.push(a.id);
    const name = text(a.name) ?? ([text(a.firstname), text(a.surname)].filter(Boolean).join(' ') || `Agent ${a.id}`);
    if (a.id === UNASSIGNED_AGENT_ID) {
      page.skipped.push({ externalId: String(a.id), identifier: null, name, reason: 'unassigned_agent' });
      continue;
    }
    if (a.isapiagent === true) {
      page.skipped.push({ externalId: String(a.id), identifier: null, name, reason: 'api_member' });
      continue;
    }
    const member: RemoteMember = { externalId: String(a.id), identifier: null, name, email: text(a.email), active: a.isdisabled !== true };
    const modified = parseHaloDate(a.last_modified);
    if (modified) member.modifiedAt = modified;
    page.members.push(member);
  }
  return page;
}
