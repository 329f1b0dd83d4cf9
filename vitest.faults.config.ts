import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the full fault-injection run (FAULTS_CUSTOMERS, default 1,000) and the short
 * run per fault kind (`short-*.test.ts`, also part of `npm test`), real processes only.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
