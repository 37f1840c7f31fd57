import type { SyncErrorKind } from '../core/errors.js';

/** Waits after 1, 2 and 3+ consecutive failures (product.md §4: back off instead of hammering). */
export const BACKOFF_STEPS_MS = [60 * 60_000, 6 * 60 * 60_000, 24 * 60 * 60_000] as const;

/** How an account waits after a run, decided from its consecutive failures and the last error. */
export interface AccountHealth {
  consecutiveFailures: number;
  /** No scheduled run before this time. */
  backoffUntil: Date | null;
  /** Set when only a configuration change or a manual sync can help (bad credentials, bad settings). */
  blockedReason: string | null;
}

/** Pure: the health of an account after a run ended with `outcome`. */
export function healthAfter(
  previousFailures: number,
  outcome: { ok: true } | { ok: false; kind: SyncErrorKind; message: string },
  now: Date,
): AccountHealth {
  if (outcome.ok) return { consecutiveFailures: 0, backoffUntil: null, blockedReason: null };
  const failures = previousFailures + 1;
  if (outcome.kind === 'auth' || outcome.kind === 'config') {
    return { consecutiveFailures: failures, backoffUntil: null, blockedReason: `${outcome.kind}: ${outcome.message}` };
  }
  const wait = BACKOFF_STEPS_MS[Math.min(failures, BACKOFF_STEPS_MS.length) - 1]!;
  return { consecutiveFailures: failures, backoffUntil: new Date(now.getTime() + wait), blockedReason: null };
}

/** An account's scheduling state as shown by `accounts list`. */
export type ScheduleState = 'ok' | 'backing_off' | 'waiting_for_configuration' | 'not_scheduled';

export function scheduleState(h: AccountHealth, now: Date): ScheduleState {
  if (h.blockedReason) return 'waiting_for_configuration';
  if (h.backoffUntil && h.backoffUntil.getTime() > now.getTime()) return 'backing_off';
  return 'ok';
}

/** An account whose PSA has not been read completely for this long is "stale" (an alarm, anchors.md §7). */
export const STALE_AFTER_MS = 48 * 60 * 60_000;

/**
 * True when a scheduled account has gone too long without a complete read: since its last complete
 * read, or since it was created if it never had one.
 */
export function isStale(a: { lastFullReadAt: Date | null; createdAt: Date }, now: Date): boolean {
  return now.getTime() - (a.lastFullReadAt ?? a.createdAt).getTime() > STALE_AFTER_MS;
}
