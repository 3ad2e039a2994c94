import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests open real sockets and child processes; keep the 2-core machines unhurried.
    pool: 'forks',
    maxWorkers: 2,
  },
});
