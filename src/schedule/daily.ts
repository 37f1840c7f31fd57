import { createHash } from 'node:crypto';

const WINDOW_START_MIN = 60; // 01:00
const WINDOW_MINUTES = 4 * 60; // …to 05:00

/**
 * The default daily sync time of an account: stable (a hash of its id) and spread over
 * 01:00–04:59, so a fleet of accounts does not hit the PSAs in the same minute.
 */
export function defaultSyncAt(accountId: string): string {
  const n = createHash('sha256').update(accountId).digest().readUInt32BE(0);
  const minutes = WINDOW_START_MIN + (n % WINDOW_MINUTES);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Offset of `timeZone` from UTC at instant `at`, in minutes (e.g. +60 for Europe/Paris in winter). */
function offsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The local calendar date (y, m, d) in `timeZone` at instant `at`. */
function localDate(timeZone: string, at: Date): { y: number; m: number; d: number } {
  const local = new Date(at.getTime() + offsetMinutes(timeZone, at) * 60_000);
  return { y: local.getUTCFullYear(), m: local.getUTCMonth(), d: local.getUTCDate() };
}

/** The instant at which wall-clock `hh:mm` occurs on local date (y, m, d) in `timeZone`. */
function instantOf(timeZone: string, y: number, m: number, d: number, hh: number, mm: number): Date {
  const naive = Date.UTC(y, m, d, hh, mm);
  // Two passes settle the offset around DST changes; a time skipped by DST lands just after the gap.
  let guess = naive - offsetMinutes(timeZone, new Date(naive)) * 60_000;
  guess = naive - offsetMinutes(timeZone, new Date(guess)) * 60_000;
  return new Date(guess);
}

/**
 * The first occurrence of the daily time `syncAt` (HH:MM, in `timeZone`) strictly after `after`.
 * Pure: the scheduler stores this as the account's next due time.
 */
export function nextOccurrence(syncAt: string, timeZone: string, after: Date): Date {
  const [hh, mm] = syncAt.split(':').map(Number) as [number, number];
  const { y, m, d } = localDate(timeZone, after);
  for (let day = -1; day <= 2; day++) {
    const candidate = instantOf(timeZone, y, m, d + day, hh, mm);
    if (candidate.getTime() > after.getTime()) return candidate;
  }
  throw new Error(`no occurrence of ${syncAt} in ${timeZone} after ${after.toISOString()}`);
}

/** The next daily sync of an account after `now`: its own time, or its stable default. */
export function nextDailySync(account: { id: string; syncAt: string | null; timezone: string }, now: Date): Date {
  return nextOccurrence(account.syncAt ?? defaultSyncAt(account.id), account.timezone, now);
}
