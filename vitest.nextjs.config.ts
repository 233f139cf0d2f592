import { defineConfig } from 'vitest/config';
import { workspaceSourceAliases } from './testing/workspace-packages';

/**
 * The Next.js example's test (e2e/nextjs/), run after the main suite and apart from it: its
 * `next build` takes both cores for minutes, which would starve the other browser tests. One worker;
 * the rest as in vitest.config.ts.
 */
export default defineConfig({
  resolve: { alias: workspaceSourceAliases() },
  test: {
    include: ['e2e/nextjs/**/*.test.ts'],
    testTimeout: 30_000,
    expect: { poll: { timeout: 25_000 } },
    // The install and the build have their own, longer ceiling on their beforeAll.
    hookTimeout: 60_000,
    maxWorkers: 1,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
