/**
 * @module Step 1, the status with a recent verification: closed-loop load on the storefront's
 * `GET /cartlink/status` against the floor routes of the same process (see
 * `servers/storefront-with-floor.ts`), same session, same connections, in alternating rounds so that
 * the machine's noise falls on every side alike. Then, with the storefront still warm, its RSS
 * (step 6) and a CPU profile of the status route alone under the same load.
 */

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readCalls, resetCalls } from '../lib/connect-calls';
import { type BenchContext, cookieHeader, verifyLinked } from '../lib/context';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from '../lib/cpu-profile';
import { type LoadRun, mergeRuns, runLoad } from '../lib/load';
import { round, type Summary, summarize } from '../lib/stats';

const SIDES = {
  ours: '/cartlink/status',
  floor: '/bench/floor',
  floor_bare: '/bench/floor-bare',
} as const;
type Side = keyof typeof SIDES;

export interface SideResult {
  path: string;
  requests: number;
  durationSec: number;
  rps: number;
  latency: Summary;
  non2xx: number;
  errors: number;
  /** The storefront's CPU time per request on this route (all threads), in µs. */
  cpuUsPerRequest: number;
}

export interface StatusCachedResult {
  sides: Record<Side, SideResult>;
  /** ours / floor requests per second: the key. */
  status_cached_ratio: number;
  /** ours / bare floor (session lookup only, before the shop's middleware). */
  status_cached_ratio_bare: number;
  /**
   * The storefront's CPU per request, ours / floor: the same comparison measured on the server alone,
   * without the load generator that shares the two cores.
   */
  status_cached_cpu_ratio: number;
  /** Connect calls during the load (a verification older than the freshness window is renewed once). */
  connect_calls_during_load: number;
  rss_loaded_mb: number;
  profile: ProfileSummary & { file: string; seconds: number };
}

function sideResult(path: string, run: LoadRun, cpuMs: number): SideResult {
  return {
    cpuUsPerRequest: round((cpuMs * 1000) / run.requests, 1),
    path,
    requests: run.requests,
    durationSec: round(run.durationSec),
    rps: round(run.requests / run.durationSec, 0),
    latency: summarize(run.latenciesMs),
    non2xx: run.non2xx,
    errors: run.errors,
  };
}

export async function runStatusCachedStep(ctx: BenchContext): Promise<StatusCachedResult> {
  const { storefront, sizes } = ctx;
  const cookie = cookieHeader(ctx.shopper);
  // A fresh verification, so every status request below reuses it (the window is 60 s).
  await verifyLinked(ctx.shopper);
  for (const path of Object.values(SIDES)) {
    const answer = await ctx.shopper.client.get(path);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status}`);
  }

  const load = (side: Side, durationSec: number) =>
    runLoad({
      url: `${storefront.url}${SIDES[side]}`,
      cookie,
      connections: sizes.loadConnections,
      durationSec,
    });
  const order: Side[] = ['floor', 'ours', 'floor_bare'];
  for (const side of order) await load(side, sizes.loadWarmupSec);

  await resetCalls(ctx.emulator);
  const runs: Record<Side, LoadRun[]> = { ours: [], floor: [], floor_bare: [] };
  const cpuMs: Record<Side, number> = { ours: 0, floor: 0, floor_bare: 0 };
  for (let round = 0; round < sizes.loadRounds; round++) {
    for (let k = 0; k < order.length; k++) {
      const side = order[(round + k) % order.length] as Side;
      const cpuBefore = storefront.cpuMs();
      runs[side].push(await load(side, sizes.loadRoundSec));
      cpuMs[side] += storefront.cpuMs() - cpuBefore;
    }
  }
  const connectCalls = (await readCalls(ctx.emulator)).total;
  const rssLoaded = storefront.rssMb();

  const sides = {
    ours: sideResult(SIDES.ours, mergeRuns(runs.ours), cpuMs.ours),
    floor: sideResult(SIDES.floor, mergeRuns(runs.floor), cpuMs.floor),
    floor_bare: sideResult(SIDES.floor_bare, mergeRuns(runs.floor_bare), cpuMs.floor_bare),
  };
  for (const [side, result] of Object.entries(sides)) {
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${side}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
    }
  }
  ctx.log(
    `  req/s ours ${sides.ours.rps}, floor ${sides.floor.rps}, bare floor ${sides.floor_bare.rps}; ` +
      `p50 ${sides.ours.latency.p50} / ${sides.floor.latency.p50} / ${sides.floor_bare.latency.p50} ms; ` +
      `CPU/request ${sides.ours.cpuUsPerRequest} / ${sides.floor.cpuUsPerRequest} / ${sides.floor_bare.cpuUsPerRequest} µs`,
  );

  // The profile: the status route alone, same load, sampled every 100 µs.
  await verifyLinked(ctx.shopper);
  const file = ctx.profilePath('status-cached');
  await storefront.call('profile-start', { intervalUs: 100 });
  await load('ours', sizes.profileSec);
  await storefront.call('profile-stop', { path: file });
  const profile = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);

  return {
    sides,
    status_cached_ratio: round(sides.ours.rps / sides.floor.rps, 3),
    status_cached_ratio_bare: round(sides.ours.rps / sides.floor_bare.rps, 3),
    status_cached_cpu_ratio: round(sides.ours.cpuUsPerRequest / sides.floor.cpuUsPerRequest, 3),
    connect_calls_during_load: connectCalls,
    rss_loaded_mb: round(rssLoaded, 1),
    profile: { ...profile, file: basename(file), seconds: sizes.profileSec },
  };
}
