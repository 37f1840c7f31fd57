import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/core/errors.js';
import { PasswordHasher } from '../../src/people/password-hasher.js';

describe('the password-hash queue is bounded', () => {
  it('runs `concurrency` hashes, queues up to `maxWaiting`, and refuses the rest at once with a Retry-After', async () => {
    const hasher = new PasswordHasher(1, { ln: 10, r: 8, p: 1 }, 2);
    const stored = await hasher.hash('Correct-Horse-9');
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => hasher.verify('Correct-Horse-9', stored)));
    const done = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(done).toHaveLength(3); // one running, two waiting
    expect(done.every((o) => o.value === true)).toBe(true);
    expect(refused).toHaveLength(7);
    for (const err of refused) {
      expect(err).toBeInstanceOf(RateLimitedError);
      expect((err as RateLimitedError).retryAfterS).toBeGreaterThanOrEqual(1);
    }
    // Once the queue drains, hashes are taken again.
    expect(await hasher.verify('Correct-Horse-9', stored)).toBe(true);
    expect(hasher.peak).toBe(1);
  });
});
