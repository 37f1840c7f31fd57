import { createHash, type Hash } from 'node:crypto';
import type { RosterPage } from '../connector/contract.js';

/**
 * A fingerprint of everything a roster read returned, in order. When a resync reads the same
 * fingerprint that the last applied sync stored, and no member has been written since, planning
 * against our members cannot find a change (the planner is idempotent), so the engine can skip
 * loading them. Any difference, however small, falls back to the full plan.
 *
 * The same PSA response means the same plan only under the same code, so the fingerprint is
 * seeded with the connector and the psa-sync version: after an upgrade every account is planned
 * in full once. Pages that carry their response text are fingerprinted by it (hashing text is far
 * cheaper than serialising ten thousand records); others by their mapped records.
 */
export class RosterHasher {
  readonly #hash: Hash;

  /**
   * `code` names what turns a response into a plan: connector and psa-sync version. The prefix
   * changes when planning does within one version: v3 plans the profile fields, which a roster
   * fingerprinted before (Autotask's records already carried them) would otherwise skip.
   */
  constructor(code: string) {
    this.#hash = createHash('sha256').update(`roster-v3\n${code}\n`);
  }

  add(page: RosterPage): void {
    if (page.source !== undefined) {
      this.#hash.update(`T${page.source.length}\n`).update(page.source);
    } else {
      // The connector builds every record with the same fields in the same order, so the JSON text
      // is a faithful serialisation; any difference it does show only costs the shortcut.
      const json = JSON.stringify([page.members, page.skipped]);
      this.#hash.update(`J${json.length}\n`).update(json);
    }
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}
