import { describe, expect, it } from 'vitest';
import { healthAfter, scheduleState } from '../../src/schedule/backoff.js';
import { defaultSyncAt, nextOccurrence } from '../../src/schedule/daily.js';

describe('daily schedule', () => {
  it('spreads default sync times over 01:00–04:59, stable per account', () => {
    const times = Array.from({ length: 200 }, (_, i) => defaultSyncAt(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    for (const t of times) expect(t >= '01:00' && t <= '04:59').toBe(true);
    expect(new Set(times).size).toBeGreaterThan(100);
    expect(defaultSyncAt('abc')).toBe(defaultSyncAt('abc'));
  });

  it('finds the next local time in the account time zone, strictly after now', () => {
    // 02:00 in Paris (UTC+1 in November) is 01:00 UTC.
    expect(nextOccurrence('02:00', 'Europe/Paris', new Date('2026-11-20T00:30:00Z')).toISOString()).toBe('2026-11-20T01:00:00.000Z');
    expect(nextOccurrence('02:00', 'Europe/Paris', new Date('2026-11-20T01:00:00Z')).toISOString()).toBe('2026-11-21T01:00:00.000Z');
    // New York is UTC-5 in winter, UTC-4 in summer.
    expect(nextOccurrence('23:30', 'America/New_York', new Date('2026-01-10T12:00:00Z')).toISOString()).toBe('2026-01-11T04:30:00.000Z');
    expect(nextOccurrence('23:30', 'America/New_York', new Date('2026-07-10T12:00:00Z')).toISOString()).toBe('2026-07-11T03:30:00.000Z');
    expect(nextOccurrence('09:15', 'UTC', new Date('2026-03-01T09:15:00.001Z')).toISOString()).toBe('2026-03-02T09:15:00.000Z');
  });

  it('keeps a daily time through a daylight-saving change', () => {
    // Europe/Paris springs forward on 2026-03-29 at 02:00 local; 03:30 is then UTC+2.
    expect(nextOccurrence('03:30', 'Europe/Paris', new Date('2026-03-28T12:00:00Z')).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(nextOccurrence('03:30', 'Europe/Paris', new Date('2026-03-27T12:00:00Z')).toISOString()).toBe('2026-03-28T02:30:00.000Z');
  });
});

describe('back-off', () => {
  const now = new Date('2026-11-20T02:00:00Z');
  const fail = (kind: 'network' | 'auth', failures: number) => healthAfter(failures, { ok: false, kind, message: 'boom' }, now);

  it('waits 1 h, 6 h, then 24 h after consecutive failures', () => {
    expect(fail('network', 0).backoffUntil?.toISOString()).toBe('2026-11-20T03:00:00.000Z');
    expect(fail('network', 1).backoffUntil?.toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(fail('network', 2).backoffUntil?.toISOString()).toBe('2026-11-21T02:00:00.000Z');
    expect(fail('network', 9).backoffUntil?.toISOString()).toBe('2026-11-21T02:00:00.000Z');
    expect(scheduleState(fail('network', 0), now)).toBe('backing_off');
  });

  it('an auth failure waits for new settings instead of a timer', () => {
    const h = fail('auth', 0);
    expect(h.backoffUntil).toBeNull();
    expect(h.blockedReason).toContain('auth');
    expect(scheduleState(h, now)).toBe('waiting_for_configuration');
  });

  it('a success clears the streak', () => {
    expect(healthAfter(3, { ok: true }, now)).toEqual({ consecutiveFailures: 0, backoffUntil: null, blockedReason: null });
  });
});
