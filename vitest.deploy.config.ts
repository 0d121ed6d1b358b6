import { defineConfig } from 'vitest/config';

/**
 * `npm run test:deploy`: the live container tests (test/deploy-live/), against a private Docker
 * engine that test/setup/docker.ts starts, with the images it builds. One file at a time: they
 * share the engine. Needs root and Debian's docker.io and debootstrap; .ci/run runs it.
 */
export default defineConfig({
  test: {
    include: ['test/deploy-live/**/*.test.ts'],
    globalSetup: ['test/setup/docker.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
