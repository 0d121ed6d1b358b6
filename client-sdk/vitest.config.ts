import { defineConfig } from 'vitest/config';

/**
 * The SDK's tests alone, without the root config's global setup (which starts RabbitMQ and
 * Redis that these tests do not use): `vitest run --config client-sdk/vitest.config.ts`.
 * The root config also includes client-sdk/test, so `npm test` runs them with everything else.
 */
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
