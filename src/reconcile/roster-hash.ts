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

/** Resolves in a later turn of the event loop, once pending I/O callbacks have had theirs. */
const idle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The fingerprint of a run's read, taken where it costs the run nothing. Pages with their response
 * text are hashed as they come (cheap, and the text need not be kept). Others, and any page after
 * them, wait until the read is complete: Autotask's pages all arrive at once at its end, when their
 * lookups are in, and serialising them then held the run up; they are fingerprinted instead in
 * idle turns of the event loop, one page a turn, while the run waits on PostgreSQL.
 */
export class IdleRosterHasher {
  readonly #hasher: RosterHasher;
  readonly #waiting: RosterPage[] = [];
  #digest: Promise<string> | undefined;

  constructor(code: string) {
    this.#hasher = new RosterHasher(code);
  }

  add(page: RosterPage): void {
    if (this.#digest) throw new Error('a page was added to a roster fingerprint already taken');
    if (this.#waiting.length === 0 && page.source !== undefined) this.#hasher.add(page);
    else this.#waiting.push(page);
  }

  /** The fingerprint of every page added (call once the read is complete), finished in idle turns. */
  digest(): Promise<string> {
    if (!this.#digest) {
      this.#digest = (async () => {
        for (const page of this.#waiting.splice(0)) {
          await idle();
          this.#hasher.add(page);
        }
        return this.#hasher.digest();
      })();
      // A run held or failed before it needs the fingerprint leaves it unread.
      this.#digest.catch(() => undefined);
    }
    return this.#digest;
  }
}
