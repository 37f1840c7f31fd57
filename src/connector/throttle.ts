import { SyncError } from '../core/errors.js';

/** How a run waits out a PSA's 429 Too Many Requests. */
export interface ThrottlePolicy {
  /** First wait when a 429 carries no usable Retry-After; doubles with each 429 in a row, with jitter. */
  rateLimitBackoffMs: number;
  /** Longest single wait when a 429 carries no usable Retry-After. */
  rateLimitBackoffMaxMs: number;
  /** Total time one run may spend waiting on throttling, across all its requests; beyond it the run fails as `rate_limited`. */
  rateLimitBudgetMs: number;
}

/**
 * Parses Retry-After as delta-seconds or an HTTP date. Undefined when it gives no usable wait:
 * absent, unparseable, zero, or a date already past (a server saying "retry now" while refusing
 * is a server we must not hammer).
 */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Math.round(Number(trimmed) * 1000);
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return ms > 0 ? ms : undefined;
}

/**
 * How long to wait before retrying the `consecutive`-th 429 in a row (1-based): the server's
 * Retry-After when usable, else exponential back-off from `rateLimitBackoffMs`, capped, with
 * "equal jitter" (half fixed, half random) so throttled replicas do not retry in step.
 */
export function throttleWaitMs(retryAfter: number | undefined, consecutive: number, policy: ThrottlePolicy, random: () => number = Math.random): number {
  if (retryAfter !== undefined) return retryAfter;
  const ceiling = Math.min(policy.rateLimitBackoffMaxMs, policy.rateLimitBackoffMs * 2 ** Math.min(30, Math.max(0, consecutive - 1)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The time one run may spend waiting on throttling, shared by every PSA request of the run
 * (token, discovery, pages, count): a run always ends, however the PSA throttles.
 */
export class ThrottleBudget {
  #waitedMs = 0;

  constructor(readonly limitMs: number) {}

  get waitedMs(): number {
    return this.#waitedMs;
  }

  /** Books a wait of `ms`, or throws `rate_limited` when it would exceed the budget (nothing is waited). */
  take(ms: number, psa: string): void {
    if (this.#waitedMs + ms > this.limitMs) {
      throw new SyncError(
        'rate_limited',
        `${psa} kept answering 429 Too Many Requests; this sync waited ${Math.round(this.#waitedMs / 1000)} s of the ${Math.round(this.limitMs / 1000)} s it may spend on throttling${ms > this.limitMs ? ` (the PSA asked for ${Math.round(ms / 1000)} s)` : ''}. Nothing was changed; the next scheduled sync will try again.`,
      );
    }
    this.#waitedMs += ms;
  }
}
