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
    const parts: string[] = [];
    for (const m of page.members) parts.push(`M\x1f${m.externalId}\x1f${m.identifier ?? '\0'}\x1f${m.name}\x1f${m.email ?? '\0'}\x1f${m.active ? 1 : 0}\x1e`);
    for (const s of page.skipped) parts.push(`S\x1f${s.externalId}\x1f${s.identifier ?? '\0'}\x1f${s.name}\x1f${s.reason}\x1e`);
    this.#hash.update(parts.join(''));
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}
