/**
 * @module Step 6, memory: the storefront's resident set (`VmRSS`) when idle, before any request,
 * beside two baselines: a bare `node --import tsx` process (what every child of the bench pays before
 * any code of ours is loaded) and a storefront given a prebuilt elements bundle (what building the
 * bundle at start-up, as `npm start` does, leaves in memory). Its RSS under load is read by step 1.
 *
 * The baselines run before the storefront under test starts, so that nothing else of the bench is
 * running beside them but the emulator; the idle reading comes once that storefront has started.
 */
import { join } from 'node:path';
import type { BenchContext } from '../lib/context';
import { type ChildServer, startIdleServer, startStorefrontServer } from '../lib/servers';
import { round } from '../lib/stats';

/** "Idle": this long after the server said it was ready, before any request. */
export const IDLE_SETTLE_MS = 3000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface MemoryBaselines {
  rss_node_tsx_baseline_mb: number;
  rss_idle_prebuilt_bundle_mb: number;
}

export interface MemoryResult extends MemoryBaselines {
  rss_idle_mb: number;
}

/** The two baselines; the prebuilt storefront's configuration names the emulator. */
export async function measureMemoryBaselines(
  ctx: Pick<BenchContext, 'tmpDir' | 'bundlePath'>,
  emulatorUrl: string,
): Promise<MemoryBaselines> {
  const idle = await startIdleServer();
  await sleep(1000);
  const baseline = round(idle.rssMb(), 1);
  await idle.stop();

  const prebuilt = await startStorefrontServer(emulatorUrl, join(ctx.tmpDir, 'prebuilt.db'), {
    name: 'storefront (prebuilt bundle)',
    prebuiltBundlePath: ctx.bundlePath,
  });
  await sleep(IDLE_SETTLE_MS);
  const prebuiltRss = round(prebuilt.rssMb(), 1);
  await prebuilt.stop();
  return { rss_node_tsx_baseline_mb: baseline, rss_idle_prebuilt_bundle_mb: prebuiltRss };
}

/** The storefront's RSS once it has been idle for {@link IDLE_SETTLE_MS}, with the baselines. */
export async function measureIdleMemory(
  storefront: ChildServer,
  baselines: MemoryBaselines,
  log: (line: string) => void,
): Promise<MemoryResult> {
  await sleep(IDLE_SETTLE_MS);
  const rssIdle = round(storefront.rssMb(), 1);
  log(
    `  storefront RSS at idle ${rssIdle} MB (prebuilt bundle ${baselines.rss_idle_prebuilt_bundle_mb} MB, ` +
      `bare node+tsx ${baselines.rss_node_tsx_baseline_mb} MB)`,
  );
  return { ...baselines, rss_idle_mb: rssIdle };
}
