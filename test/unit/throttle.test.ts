import { describe, expect, it } from 'vitest';
import { retryAfterMs, throttleWaitMs, ThrottleBudget } from '../../src/connector/throttle.js';
import { SyncError } from '../../src/core/errors.js';

const policy = { rateLimitBackoffMs: 1_000, rateLimitBackoffMaxMs: 60_000, rateLimitBudgetMs: 180_000 };

describe('retryAfterMs', () => {
  it('reads delta-seconds and future HTTP dates', () => {
    expect(retryAfterMs('30')).toBe(30_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:30 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(30_000);
  });

  it('gives no usable wait for an absent, unparseable, zero or past value', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs('0')).toBeUndefined();
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:29:00 GMT'))).toBeUndefined();
  });
});

describe('throttleWaitMs', () => {
  it('uses a usable Retry-After as it is', () => {
    expect(throttleWaitMs(7_000, 5, policy)).toBe(7_000);
  });

  it('without one, backs off exponentially from about a second, capped, with jitter', () => {
    const low = (n: number) => throttleWaitMs(undefined, n, policy, () => 0);
    const high = (n: number) => throttleWaitMs(undefined, n, policy, () => 1);
    expect([1, 2, 3, 4].map(low)).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map(high)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(high(40)).toBe(60_000);
    expect(low(40)).toBe(30_000);
  });
});

describe('ThrottleBudget', () => {
  it('books waits until the next would pass the bound, then fails as rate_limited without booking it', () => {
    const budget = new ThrottleBudget(10_000);
    budget.take(6_000, 'ConnectWise');
    budget.take(4_000, 'ConnectWise');
    let err: unknown;
    try {
      budget.take(1, 'ConnectWise');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).kind).toBe('rate_limited');
    expect((err as SyncError).message).toMatch(/waited 10 s of the 10 s/);
    expect(budget.waitedMs).toBe(10_000);
  });

  it('refuses at once a single Retry-After longer than the whole budget', () => {
    expect(() => new ThrottleBudget(180_000).take(3_600_000, 'HaloPSA')).toThrow(/asked for 3600 s/);
  });
});
