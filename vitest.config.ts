import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // A hang guard, not a speed check (the benchmark measures speed). Tests that spawn the CLI run
    // `node --import tsx` children, a second or more each on two loaded cores: 17 at once took over
    // 30 s on a slow day (2026-12-05), so the guard leaves them room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
