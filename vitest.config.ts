import { configDefaults, defineConfig } from 'vitest/config';
import { workspaceSourceAliases } from './testing/workspace-packages';

/**
 * One Vitest run covers the whole tree: unit tests beside the code, integration tests against the
 * emulator, and the browser tests in `e2e/`. Browser and PostgreSQL suites start what they need
 * themselves (see `testing/`), so `npm test` is the only command anyone has to know.
 */
export default defineConfig({
  // The packages run from their sources here, as they do under tsc and tsx (see testing/workspace-packages.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'e2e/**/*.test.ts',
      'bench/**/*.test.ts',
      'testing/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    // Run on their own after this run, by vitest.nextjs.config.ts: a Next.js build takes both cores.
    exclude: [...configDefaults.exclude, 'e2e/nextjs/**'],
    // The one budget a test has. Browser steps wait on conditions (Playwright's own default equals
    // this), and so does expect.poll: its default of one second is a fixed budget that a loaded
    // two-core machine exceeds, so a poll waits until just before the test's budget runs out and
    // still fails with its own message. A test that needs longer does too much: split it.
    testTimeout: 30_000,
    expect: { poll: { timeout: 25_000 } },
    hookTimeout: 60_000,
    // Two cores: more workers than that only makes the browser suites fight over the CPU.
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
