import type { CallbackApi, ConnectorContext, PsaCallback } from '../../src/connector/contract.js';
import { SyncError } from '../../src/core/errors.js';
import { ConnectWiseReader, MEMBER_FIELDS } from './client.js';
import type { ConnectWiseSettings } from './types.js';

function toCallback(raw: unknown): PsaCallback {
  const c = raw as Record<string, unknown>;
  if (!c || typeof c.id !== 'number') throw new SyncError('bad_response', 'ConnectWise answered a callback without a numeric id');
  return { id: c.id, url: String(c.url ?? ''), description: String(c.description ?? ''), type: String(c.type ?? ''), level: String(c.level ?? ''), inactive: c.inactiveFlag === true };
}

/**
 * ConnectWise member callbacks (psa-api-facts §1.7): `type member`, `level owner`, `objectId 1`,
 * and one member re-read by id, mapped exactly as a full read maps it.
 */
export class ConnectWiseCallbacks implements CallbackApi {
  readonly #reader: ConnectWiseReader;

  constructor(settings: ConnectWiseSettings, ctx: ConnectorContext) {
    this.#reader = new ConnectWiseReader(settings, ctx);
  }

  async list(signal?: AbortSignal): Promise<PsaCallback[]> {
    const api = await this.#reader.client(signal);
    const res = await api.getJson('/system/callbacks', { pageSize: 1000 }, undefined, signal);
    if (!Array.isArray(res.body)) throw new SyncError('bad_response', 'ConnectWise answered GET /system/callbacks with something other than a list');
    return res.body.map(toCallback);
  }

  async create(input: { url: string; description: string }, signal?: AbortSignal): Promise<PsaCallback> {
    const api = await this.#reader.client(signal);
    const res = await api.postJson('/system/callbacks', { type: 'member', level: 'owner', objectId: 1, url: input.url, description: input.description.slice(0, 100), inactiveFlag: false }, signal);
    return toCallback(res.body);
  }

  async remove(id: number, signal?: AbortSignal): Promise<void> {
    const api = await this.#reader.client(signal);
    await api.delete(`/system/callbacks/${id}`, signal);
  }

  async readMember(externalId: string, signal?: AbortSignal) {
    if (!/^\d{1,12}$/.test(externalId)) return null;
    const api = await this.#reader.client(signal);
    try {
      const path = `/system/members/${externalId}`;
      const res = await api.getJson(path, { fields: MEMBER_FIELDS }, undefined, signal);
      const page = await this.#reader.mapMembers([res.body], undefined, path, signal);
      if (page.members[0]) return { member: page.members[0] };
      if (page.skipped[0]) return { skipped: page.skipped[0] };
      return null;
    } catch (err) {
      // Deleted, or not readable with these keys: a callback never decides that a member vanished.
      if (err instanceof SyncError && (err.kind === 'auth' || err.kind === 'bad_response')) return null;
      throw err;
    }
  }
}
