/**
 * @module Next.js's start-up hook. On the Node.js server it opens the shop at once (see
 * `instrumentation-node.ts`); Next.js also compiles this file for its Edge runtime, which the shop
 * does not run on, hence the Node.js part in a module of its own, imported only there.
 */

/** Called once when a Next.js server starts. */
export async function register(): Promise<void> {
  // Not under `next build` either: it loads the app without the shop's configuration.
  if (process.env.NEXT_RUNTIME === 'nodejs' && process.env.NEXT_PHASE !== 'phase-production-build') {
    const { openShopAtStart } = await import('./instrumentation-node');
    await openShopAtStart();
  }
}
