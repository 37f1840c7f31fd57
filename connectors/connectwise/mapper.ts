import type { RosterPage } from '../../src/connector/contract.js';
import { SyncError } from '../../src/core/errors.js';
import type { CwMember } from './types.js';

function isCwMember(v: unknown): v is CwMember {
  if (!v || typeof v !== 'object') return false;
  const m = v as Record<string, unknown>;
  return typeof m.id === 'number' && Number.isInteger(m.id) && typeof m.identifier === 'string';
}

/** Maps one page of ConnectWise members; API members (licenseClass "A") are not staff. */
export function mapMemberPage(body: unknown, path: string): { page: RosterPage; lastId: number | undefined; size: number } {
  if (!Array.isArray(body)) {
    throw new SyncError('bad_response', `ConnectWise answered GET ${path} with something other than a member list`);
  }
  const page: RosterPage = { members: [], skipped: [] };
  let lastId: number | undefined;
  for (const item of body) {
    if (!isCwMember(item)) {
      throw new SyncError('bad_response', `ConnectWise returned a member without a numeric id and identifier on GET ${path}`);
    }
    const name = [item.firstName, item.lastName].filter((p) => typeof p === 'string' && p.trim() !== '').join(' ').trim();
    const externalId = String(item.id);
    if (item.licenseClass === 'A') {
      page.skipped.push({ externalId, identifier: item.identifier, name: name || item.identifier, reason: 'api_member' });
    } else {
      page.members.push({
        externalId,
        identifier: item.identifier,
        name: name || item.identifier,
        email: typeof item.officeEmail === 'string' && item.officeEmail.trim() !== '' ? item.officeEmail.trim() : null,
        active: item.inactiveFlag !== true,
      });
    }
    lastId = item.id;
  }
  return { page, lastId, size: body.length };
}
