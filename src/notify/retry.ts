/** Deliveries are retried for a day, then given up (and a failing webhook endpoint is disabled). */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;

/**
 * Wait before the next attempt after `attempts` failed ones: 30 s doubling, at most 1 hour, with
 * ±20 % jitter so endpoints that failed together are not retried together. `random` in [0, 1).
 */
export function retryDelayMs(attempts: number, random: number): number {
  const base = Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}
