import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'contracts/lib/**', 'contracts/out/**', 'contracts/cache/**'],
    // End-to-end tests start anvil, Redis and the real processes.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
