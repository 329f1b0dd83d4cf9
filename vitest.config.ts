import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Threads crash Temporal's native worker (sdk-typescript#876): each test file gets its own process.
    pool: 'forks',
    globalSetup: ['test/setup/global.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', '**/node_modules/**'], // the full fault run: npm run test:faults
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
  },
});
