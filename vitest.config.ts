import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global_setup.ts'],
    // rtc-node's native core is process-wide: each test file gets its own process.
    pool: 'forks',
    // Integration files each run a worker and its job processes; on 2 cores they take turns.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
