import { randomUUID } from 'node:crypto';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { InputError, NotFoundError } from '../core/errors.js';
import { bumpMembersVersion, lockAccount } from '../db/account-repository.js';
import { insertChanges } from '../db/change-repository.js';
import { insertMembers, loadLocalMembers, updateMembers } from '../db/member-repository.js';
import type { Orm } from '../db/orm.js';
import { addedEntry, diffState, NO_PROFILE, type LocalMember, type MemberState, type PlanEntry } from '../domain/member.js';
import { Seats } from '../domain/seats.js';
import { parseMemberFile, type ImportRow } from './member-file.js';
import { requireId } from '../core/ids.js';

export interface ImportResult {
  added: number;
  updated: number;
  unchanged: number;
  /** Members added unchecked because the seat limit was reached. */
  addedUnchecked: number;
}

/** Pure: what an import changes, matching rows to members by agent id, then email. */
export function planImport(rows: ImportRow[], local: LocalMember[], seatLimit: number | null, newId: () => string): { entries: PlanEntry[]; unchanged: number } {
  const byExternal = new Map(local.filter((m) => m.externalId !== null).map((m) => [m.externalId!, m]));
  const byEmail = new Map(local.filter((m) => m.email).map((m) => [m.email!.toLowerCase(), m]));
  const seats = new Seats(seatLimit, local.filter((m) => m.active).length);
  const entries: PlanEntry[] = [];
  let unchanged = 0;
  for (const r of rows) {
    const existing = (r.agentId ? byExternal.get(r.agentId) : undefined) ?? byEmail.get(r.email.toLowerCase());
    if (existing) {
      const before: MemberState = { ...existing };
      const after: MemberState = { ...before, name: r.name, email: r.email, externalId: r.agentId ?? existing.externalId };
      const changes = diffState(before, after).filter((c) => ['name', 'email', 'externalId'].includes(c.field));
      if (changes.length === 0) unchanged++;
      else entries.push({ memberId: existing.id, externalId: after.externalId, identifier: after.identifier, name: after.name, email: after.email, action: 'updated', reason: 'imported_from_file', changes, after });
      continue;
    }
    const isActive = seats.take();
    const after: MemberState = { externalId: r.agentId, identifier: null, name: r.name, email: r.email, active: isActive, list: 'staff', psaActive: null, inactiveReason: isActive ? null : 'seat_limit', adminInactive: false, ...NO_PROFILE };
    entries.push(addedEntry(newId(), after, isActive ? 'imported_from_file' : 'seat_limit_reached'));
  }
  return { entries, unchanged };
}

/** `psa-sync members import`: the setup member list of a snippet account, all rows or none. */
export class MemberImportService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly clock: Clock,
  ) {}

  async import(accountId: string, text: string, format: 'csv' | 'json', actor: string): Promise<ImportResult> {
    requireId('account', accountId);
    const rows = parseMemberFile(text, format);
    return this.orm.em.fork().transactional(async (tem) => {
      const account = await lockAccount(tem, accountId);
      if (!account) throw new NotFoundError(`account ${accountId} not found`);
      if (this.registry.get(account.integration).rosterPolicy !== 'none') {
        const psa = this.registry.get(account.integration).displayName;
        throw new InputError(`account ${accountId} takes its members from ${psa}, not from a file; import is for snippet accounts`);
      }
      const { entries, unchanged } = planImport(rows, await loadLocalMembers(tem, accountId), account.seatLimit, randomUUID);
      const now = this.clock.now();
      await insertMembers(tem, accountId, 'import', entries.filter((e) => e.isNew).map((e) => ({ id: e.memberId!, state: e.after! })), now);
      await updateMembers(tem, accountId, entries.filter((e) => !e.isNew).map((e) => ({ id: e.memberId!, state: e.after! })), now, false);
      await insertChanges(tem, accountId, null, entries, 'applied', actor, now);
      if (entries.length > 0) await bumpMembersVersion(tem, accountId, now);
      const added = entries.filter((e) => e.isNew);
      return { added: added.length, updated: entries.length - added.length, unchanged, addedUnchecked: added.filter((e) => !e.after!.active).length };
    });
  }
}
