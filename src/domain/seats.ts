/**
 * The seat limit (product.md §2): at most `limit` members Active at once, the plan's limit. One
 * rule, used wherever a member can become Active: a sync's additions and reactivations, the
 * HaloPSA setup import, a file import, an agent added from survey activity, and the Active box.
 */
export class Seats {
  #active: number;

  /** `active`: members Active now; `limit`: the account's seat limit, or null for none. */
  constructor(
    readonly limit: number | null,
    active: number,
  ) {
    this.#active = active;
  }

  get active(): number {
    return this.#active;
  }

  /** Takes a seat for a member becoming Active; false, taking nothing, when the limit is reached. */
  take(): boolean {
    if (this.limit !== null && this.#active >= this.limit) return false;
    this.#active++;
    return true;
  }

  /** Gives back the seat of a member leaving Active. */
  release(): void {
    this.#active--;
  }

  /** The refusal a person reads when a member cannot be made Active. */
  refusal(): string {
    return `seat limit of ${this.limit} Active members reached; uncheck another member or raise the plan's limit`;
  }
}
