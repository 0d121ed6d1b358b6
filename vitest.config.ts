import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'client-sdk/test/**/*.test.ts', 'apps/test/**/*.test.ts'],
    // the live container tests run apart, with their engine: npm run test:deploy
    exclude: [...configDefaults.exclude, 'test/deploy-live/**'],
    globalSetup: ['test/setup/backends.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // every test file gets its own nodes on port 0; a real broker is shared, so no file may
    // assume it is alone on it (names are unique per test)
    fileParallelism: true,
    maxWorkers: 2,
  },
});
