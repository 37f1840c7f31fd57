import { createHash, type Hash } from 'node:crypto';
import type { RosterPage } from '../connector/contract.js';

/**
 * A fingerprint of everything a roster read returned, in order. When a resync reads the same
 * fingerprint that the last applied sync stored, and no member has been written since, planning
 * against our members cannot find a change (the planner is idempotent), so the engine can skip
 * loading them. Any difference, however small, falls back to the full plan.
 */
export class RosterHasher {
  readonly #hash: Hash = createHash('sha256').update('roster-v1\n');

  add(page: RosterPage): void {
    // The connector builds every record with the same fields in the same order, so the JSON text
    // is a faithful serialisation; any difference it does show only costs the shortcut.
    this.#hash.update(JSON.stringify(page.members)).update('\n').update(JSON.stringify(page.skipped)).update('\n');
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}
