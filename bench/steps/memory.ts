/**
 * @module Step 6, memory: the storefront's resident set (`VmRSS`) when idle, before any request, as a
 * ratio to a bare `node` process running an empty `node:http` server (what any Node web server pays
 * before its own code). Both run compiled JavaScript on plain `node`, as in production. Its RSS under
 * load is read by step 1 and divided by the same baseline. Beside it, for information, the old
 * baseline: a `node --import tsx` process with nothing else (what running TypeScript through tsx's
 * loader costs, which the bench's servers no longer pay).
 *
 * The baselines run before the storefront under test starts, so that nothing else of the bench is
 * running beside them but the emulator; each reading is taken after the same settling time.
 */
import type { ChildServer } from '../lib/servers';
import { startEmptyHttpServer, startTsxBaselineServer } from '../lib/servers';
import { round } from '../lib/stats';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface MemoryBaselines {
  /** `node` with an empty `node:http` server, idle: the reference of the RSS ratios. */
  rss_node_http_baseline_mb: number;
  /** `node --import tsx` with the control channel, idle: information (not read in smoke runs). */
  rss_node_tsx_baseline_mb?: number;
}

export interface MemoryResult extends MemoryBaselines {
  rss_idle_mb: number;
  /** Storefront idle / the `node:http` baseline. */
  rss_idle_ratio: number;
}

async function idleRss(start: () => Promise<ChildServer>, settleMs: number): Promise<number> {
  const server = await start();
  try {
    await sleep(settleMs);
    return round(server.rssMb(), 1);
  } finally {
    await server.stop();
  }
}

/**
 * The baselines, one after the other, each read `settleMs` after it was ready ("idle"); the tsx one
 * only when asked (it is information, and a smoke run has no use for it).
 */
export async function measureMemoryBaselines(
  settleMs: number,
  options: { tsx: boolean },
): Promise<MemoryBaselines> {
  const http = await idleRss(startEmptyHttpServer, settleMs);
  if (!options.tsx) return { rss_node_http_baseline_mb: http };
  return {
    rss_node_http_baseline_mb: http,
    rss_node_tsx_baseline_mb: await idleRss(startTsxBaselineServer, settleMs),
  };
}

/** The storefront's RSS `settleMs` after it was ready, before any request, against the baselines. */
export async function measureIdleMemory(
  storefront: ChildServer,
  baselines: MemoryBaselines,
  settleMs: number,
  log: (line: string) => void,
): Promise<MemoryResult> {
  await sleep(settleMs);
  const rssIdle = round(storefront.rssMb(), 1);
  const result = {
    ...baselines,
    rss_idle_mb: rssIdle,
    rss_idle_ratio: round(rssIdle / baselines.rss_node_http_baseline_mb, 3),
  };
  log(
    `  storefront RSS at idle ${rssIdle} MB, ${result.rss_idle_ratio}x the bare node:http server ` +
      `(${baselines.rss_node_http_baseline_mb} MB` +
      `${baselines.rss_node_tsx_baseline_mb === undefined ? '' : `; node+tsx ${baselines.rss_node_tsx_baseline_mb} MB`})`,
  );
  return result;
}
