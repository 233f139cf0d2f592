import { defineConfig } from 'vitest/config';

/**
 * One Vitest run covers the whole tree: unit tests beside the code, integration tests against the
 * emulator, and the browser tests in `e2e/`. Browser and PostgreSQL suites start what they need
 * themselves (see `testing/`), so `npm test` is the only command anyone has to know.
 */
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'e2e/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers than that only makes the browser suites fight over the CPU.
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
