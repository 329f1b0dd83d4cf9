import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Threads crash Temporal's native worker (sdk-typescript#876): each test file gets its own process.
    pool: 'forks',
    globalSetup: ['test/setup/global.ts'],
    include: ['test/**/*.test.ts'],
    // The short fault runs (test/faults/short-*.test.ts) are part of npm test; the full one is
    // npm run test:faults.
    exclude: ['test/faults/full.test.ts', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
  },
});
