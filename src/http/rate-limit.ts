/**
 * Fixed-window request counters per key, in this process's memory. Bounds the cost of the public
 * survey routes per IP and per account; each replica counts on its own.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key`; returns how long to wait when the key is over its limit. */
  take(key: string, cost = 1): { ok: true } | { ok: false; retryAfterS: number } {
    const now = this.now();
    if (this.#windows.size > 50_000) this.#prune(now);
    let w = this.#windows.get(key);
    if (!w || now - w.start >= this.windowMs) this.#windows.set(key, (w = { start: now, count: 0 }));
    if (w.count + cost > this.limit) return { ok: false, retryAfterS: Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) };
    w.count += cost;
    return { ok: true };
  }

  #prune(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.start >= this.windowMs) this.#windows.delete(key);
  }
}
