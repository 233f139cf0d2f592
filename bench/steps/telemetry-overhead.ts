/**
 * @module Step 9, telemetry: what `@cartlink/linking/opentelemetry` costs a shop that installs its
 * hooks with `@opentelemetry/api` present and no SDK registered (the storefront does exactly that
 * whenever neither `OTEL_EXPORTER_OTLP_ENDPOINT` nor `METRICS_TOKEN` is set). Two identical worlds in
 * the runner's own process (the servers would bury a few hundred nanoseconds under HTTP and load
 * generator noise): the linking core, its SQLite storage in memory and a Connect client on an
 * in-process emulator without latency; one with the instrumentation's hooks, one without. Three
 * paths, each timed over a batch of calls, the two worlds alternating in rounds (each round runs every
 * path on both sides, in turn first): the cached status (no hook fires on it: its ratio shows the
 * noise floor), the fresh status (a Connect span, a verification event) and the link completion (the
 * completion span, three Connect spans, four events). The ratio of a path is the median over the
 * rounds of with / without, so one round that a garbage collection or a neighbour's burst lands on
 * does not decide it; `telemetry_overhead_ratio` is the larger of the two paths where hooks fire.
 *
 * Timed with the monotonic clock, not `process.cpuUsage`: the work is all in this one thread and never
 * waits on I/O, so its wall time is its CPU time plus what neighbours steal (which the alternation
 * spreads over both sides), and the clock resolves microseconds where the kernel's CPU accounting
 * moves in scheduler ticks, coarse enough to swing a 20 ms batch by a tenth.
 */
import { createConnectClient } from '@cartlink/connect';
import { createEmulator, DEMO_SEED, type Emulator } from '@cartlink/emulator';
import {
  createLinking,
  createSqlStorage,
  type Linking,
  type LinkingStorage,
  migrateToLatest,
} from '@cartlink/linking';
import { createOpenTelemetryInstrumentation } from '@cartlink/linking/opentelemetry';
import { openSqliteDatabase } from '@cartlink/linking/sqlite';
import type { BenchContext } from '../lib/context';
import { percentile, round } from '../lib/stats';

const PATHS = ['status_cached', 'status_fresh', 'link_complete'] as const;
type TelemetryPath = (typeof PATHS)[number];
type Side = 'with_hooks' | 'without';

/** One path on both sides: µs per call over every round, and the median of the rounds' ratios. */
export interface TelemetryPathResult {
  /** Calls per side, all rounds. */
  calls: number;
  with_hooks_us: number;
  without_us: number;
  ratio: number;
  /** Each round's with / without. */
  round_ratios: number[];
}

export interface TelemetryOverheadResult {
  paths: Record<TelemetryPath, TelemetryPathResult>;
  rounds: number;
  /** The larger ratio of the two paths where hooks fire: what they cost where they cost the most. */
  telemetry_overhead_ratio: number;
  /** The path it was measured on. */
  telemetry_overhead_path: TelemetryPath;
  /** The cached status's ratio, where no hook fires: how far apart two identical sides measure. */
  noise_floor_ratio: number;
}

interface World {
  emulator: Emulator;
  storage: LinkingStorage;
  linking: Linking;
  instacartUserId: number;
}

const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;
const BASE = 'http://emulator.bench';
const subject = { sessionId: 'bench-session', userId: 'bench-telemetry-shopper' };

async function createWorld(withHooks: boolean): Promise<World> {
  const emulator = createEmulator({ seed: 'demo', issuer: BASE });
  const db = openSqliteDatabase(':memory:');
  await migrateToLatest(db);
  const storage = createSqlStorage(db);
  // The storefront's setup: the API's globals, which no SDK has taken (the runner registers none).
  const hooks = withHooks ? createOpenTelemetryInstrumentation() : null;
  const connect = createConnectClient({
    baseUrl: BASE,
    clientId,
    clientSecret,
    fetch: (url, init) => emulator.fetch(url, init),
    ...hooks?.connect,
  });
  const linking = createLinking({
    connect,
    storage,
    authorizationEndpoint: `${BASE}/oauth/authorize`,
    clientId,
    redirectUri,
    usePkce: true,
    loadConnectUserProfile: async () => ({ firstName: 'Bench' }),
    // Long enough that every cached status in a round reuses the round's verification.
    verificationFreshnessSeconds: 3600,
    ...hooks?.linking,
  });
  const instacartUserId = emulator.createInstacartUser({
    email: `telemetry-${withHooks ? 'on' : 'off'}@bench.test`,
    password: 'bench-password',
    instacartplusMember: true,
    expiredAt: new Date(Date.now() + 200 * 86_400_000),
  }).id;
  return { emulator, storage, linking, instacartUserId };
}

/** One link, start to completion; only the completion is returned for timing. */
async function prepareCallback(world: World): Promise<{ code: string; state: string }> {
  const { authorizationUrl } = await world.linking.startLink(subject);
  const url = new URL(authorizationUrl);
  const state = url.searchParams.get('state') ?? '';
  const codeChallenge = url.searchParams.get('code_challenge');
  const code = world.emulator.authorizeForTest({
    instacartUserId: world.instacartUserId,
    clientId,
    redirectUri,
    ...(codeChallenge ? { codeChallenge } : {}),
  });
  return { code, state };
}

/** µs that `work` took (see the module comment for why the monotonic clock). */
async function usOf(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) * 1000;
}

/** Runs `calls` calls of a path on one world; returns the µs of the calls alone. */
async function runPath(world: World, path: TelemetryPath, calls: number): Promise<number> {
  if (path === 'status_cached') {
    return usOf(async () => {
      for (let i = 0; i < calls; i++) {
        if ((await world.linking.getStatus(subject)).state !== 'linked-active') throw new Error('not linked');
      }
    });
  }
  if (path === 'status_fresh') {
    return usOf(async () => {
      for (let i = 0; i < calls; i++) {
        if ((await world.linking.verifyMembership(subject)).state !== 'linked-active') {
          throw new Error('not linked');
        }
      }
    });
  }
  let spent = 0;
  for (let i = 0; i < calls; i++) {
    const callback = await prepareCallback(world);
    spent += await usOf(async () => {
      const result = await world.linking.completeLink(subject, callback);
      if (result.outcome !== 'linked') throw new Error(`link ${result.outcome}`);
    });
  }
  return spent;
}

export async function runTelemetryOverheadStep(ctx: BenchContext): Promise<TelemetryOverheadResult> {
  const {
    telemetryRounds: rounds,
    telemetryStatusCalls,
    telemetryFreshCalls,
    telemetryLinkCalls,
  } = ctx.sizes;
  const calls: Record<TelemetryPath, number> = {
    status_cached: telemetryStatusCalls,
    status_fresh: telemetryFreshCalls,
    link_complete: telemetryLinkCalls,
  };
  const worlds: Record<Side, World> = {
    with_hooks: await createWorld(true),
    without: await createWorld(false),
  };
  try {
    // Warm-up, unmeasured: each world links once (so the statuses below are linked) and runs every
    // path, so that both sides are compiled before the first measured round.
    for (const world of Object.values(worlds)) {
      for (const path of [...PATHS].reverse())
        await runPath(world, path, Math.max(1, Math.round(calls[path] / 4)));
    }
    // µs of each round, by path and side.
    const spent: Record<TelemetryPath, Record<Side, number[]>> = {
      status_cached: { with_hooks: [], without: [] },
      status_fresh: { with_hooks: [], without: [] },
      link_complete: { with_hooks: [], without: [] },
    };
    for (let r = 0; r < rounds; r++) {
      const order: Side[] = r % 2 === 0 ? ['with_hooks', 'without'] : ['without', 'with_hooks'];
      for (const path of PATHS) {
        for (const side of order) spent[path][side].push(await runPath(worlds[side], path, calls[path]));
      }
    }
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    const paths = Object.fromEntries(
      PATHS.map((path) => {
        const { with_hooks: withHooks, without } = spent[path];
        const roundRatios = withHooks.map((us, r) => us / (without[r] ?? Number.NaN));
        const total = calls[path] * rounds;
        const result: TelemetryPathResult = {
          calls: total,
          with_hooks_us: round(sum(withHooks) / total, 1),
          without_us: round(sum(without) / total, 1),
          ratio: round(percentile(roundRatios, 50), 3),
          round_ratios: roundRatios.map((ratio) => round(ratio, 3)),
        };
        return [path, result];
      }),
    ) as Record<TelemetryPath, TelemetryPathResult>;
    const worst: TelemetryPath =
      paths.link_complete.ratio > paths.status_fresh.ratio ? 'link_complete' : 'status_fresh';
    ctx.log(
      `  µs per call, hooks (API, no SDK) / none: ${PATHS.map(
        (path) =>
          `${path.replace('_', ' ')} ${paths[path].with_hooks_us} / ${paths[path].without_us} (median ratio ${paths[path].ratio})`,
      ).join(', ')}`,
    );
    return {
      paths,
      rounds,
      telemetry_overhead_ratio: paths[worst].ratio,
      telemetry_overhead_path: worst,
      noise_floor_ratio: paths.status_cached.ratio,
    };
  } finally {
    for (const world of Object.values(worlds)) await world.storage.close();
  }
}
