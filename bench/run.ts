/**
 * @module `npm run bench`: Cartlink's status and linking paths against the floor (the framework
 * itself), against a direct Connect call and against the peer (Instacart's how-to page followed
 * literally), all servers on loopback in one run, side by side; every goal is a ratio to a reference
 * measured in the same run, or an exact count. Prints the tables and writes `bench/results.json`.
 *
 * The servers run compiled JavaScript on plain `node`: their shells are bundled with esbuild into the
 * run's temporary directory first (`lib/compile-servers.ts`), and the packages they use are the
 * built ones (`npm run build`).
 *
 * `--smoke` runs the same code paths with tiny durations and counts (CI): it fails only when a step
 * crashes or a count goal is missed (Connect calls, token requests, bundle bytes, database
 * statements), never on a timing. Options: `--out <file>` (default `bench/results.json`; in smoke mode
 * or with `--only` a temporary file), `--latency <ms>` (L, default 20, or `BENCH_LATENCY_MS`; the
 * goals on times hold at 20), `--only <step>` (one of {@link STEPS}' names or `memory`, repeatable:
 * those steps alone, with whatever they need first).
 *
 * @see bench/README.md
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import { buildElementsBundle } from '../packages/elements/src/build-bundle-node.js';
import { staleBuilds } from './lib/compile-servers';
import {
  type BenchContext,
  DEMO_SHOPPER,
  FULL_SIZES,
  PEER_APP,
  SMOKE_SIZES,
  STOREFRONT_APP,
  shopperWithSession,
  signInDemoShopper,
} from './lib/context';
import { report, type StepResults } from './lib/report';
import {
  benchPath,
  prepareServers,
  runningServers,
  startEmulatorServer,
  startPeerServer,
  startStorefrontServer,
  stopAllServers,
} from './lib/servers';
import { round } from './lib/stats';
import { runColdBurstStep } from './steps/cold-burst';
import { linkContextShoppers, runLinkingStep } from './steps/linking';
import { runLoggingWhatIf } from './steps/logging-what-if';
import { measureIdleMemory, measureMemoryBaselines } from './steps/memory';
import { runPostgresTwoInstancesStep } from './steps/postgres-two-instances';
import { runProfilePageStep } from './steps/profile-page';
import { runStatementsStep } from './steps/statements';
import { runStatusCachedStep } from './steps/status-cached';
import { runStatusFreshStep } from './steps/status-fresh';
import { runTelemetryOverheadStep } from './steps/telemetry-overhead';

/** A step the runner takes once the servers are up and the shoppers signed in. */
interface BenchStep {
  /** What `--only` calls it. */
  name: string;
  /** The line printed when it starts. */
  title(ctx: BenchContext): string;
  /** Needs the demo shopper and the peer's shopper linked (what step 3 leaves behind). */
  needsLinkedShoppers: boolean;
  /** Fills its entry of `results`; returns why it did not run, when it could not. */
  run(ctx: BenchContext, results: StepResults): Promise<string | undefined>;
}

/**
 * The steps in the order a full run takes them. Step 6 (`memory`) is not among them: it is read
 * around the servers' start, before any request, and step 1 reads the RSS under load. The cold burst
 * is last: it stops the warm storefront.
 */
const STEPS: readonly BenchStep[] = [
  {
    name: 'linking',
    title: () => 'step 3: linking',
    needsLinkedShoppers: false,
    run: async (ctx, results) => {
      results.linking = await runLinkingStep(ctx);
      return undefined;
    },
  },
  {
    name: 'status-fresh',
    title: () => 'step 2: status that must ask Connect',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.fresh = await runStatusFreshStep(ctx);
      return undefined;
    },
  },
  {
    name: 'status-cached',
    title: () => 'step 1: status with a recent verification, against the floor (+ RSS loaded, CPU profile)',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.cached = await runStatusCachedStep(ctx);
      return undefined;
    },
  },
  {
    name: 'logging-what-if',
    title: () => 'step 1, what-if: the same load on a second instance that logs only warnings',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.logging = await runLoggingWhatIf(ctx);
      return undefined;
    },
  },
  {
    name: 'profile-page',
    title: () => 'step 5: the profile page in Chromium',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.page = await runProfilePageStep(ctx);
      return undefined;
    },
  },
  {
    name: 'statements',
    title: () => 'step 7: database statements per request, one request at a time',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.statements = await runStatementsStep(ctx);
      return undefined;
    },
  },
  {
    name: 'postgres-two-instances',
    title: () => 'step 8: two storefront instances on one PostgreSQL database, cached-status load on both',
    needsLinkedShoppers: false,
    run: async (ctx, results) => {
      results.postgres = await runPostgresTwoInstancesStep(ctx);
      return results.postgres ? undefined : 'PostgreSQL did not answer';
    },
  },
  {
    name: 'telemetry-overhead',
    title: () => 'step 9: telemetry hooks (API present, no SDK) against none, in process',
    needsLinkedShoppers: false,
    run: async (ctx, results) => {
      results.telemetry = await runTelemetryOverheadStep(ctx);
      return undefined;
    },
  },
  {
    name: 'cold-burst',
    title: (ctx) => `step 4: cold burst of ${ctx.sizes.burstSize} concurrent status calls`,
    needsLinkedShoppers: false,
    run: async (ctx, results) => {
      // The burst brings its own fresh servers; the warm storefront would only share the machine.
      await ctx.storefront.stop();
      results.burst = await runColdBurstStep(ctx);
      return undefined;
    },
  },
];
const STEP_NAMES = ['memory', ...STEPS.map((step) => step.name)];

const { values: options } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    latency: { type: 'string' },
    only: { type: 'string', multiple: true },
  },
});
const smoke = options.smoke ?? false;
const latencyMs = Number(options.latency ?? process.env.BENCH_LATENCY_MS ?? '20');
if (!Number.isInteger(latencyMs) || latencyMs < 1) throw new Error('--latency must be a whole number of ms');
const only = options.only;
for (const name of only ?? []) {
  if (!STEP_NAMES.includes(name)) throw new Error(`--only ${name}: the steps are ${STEP_NAMES.join(', ')}`);
}
const selected = (name: string) => only === undefined || only.includes(name);
const sizes = smoke ? SMOKE_SIZES : FULL_SIZES;
const tmpDir = mkdtempSync(join(tmpdir(), 'cartlink-bench-'));
// A smoke run or a run of some steps never overwrites the committed results.
const outPath =
  options.out ??
  (smoke || only
    ? join(tmpdir(), `cartlink-bench-${smoke ? 'smoke' : only?.join('+')}-results.json`)
    : benchPath('results.json'));
const profilePath = (name: string) =>
  join(tmpdir(), `cartlink-bench-${name}${smoke ? '-smoke' : ''}.cpuprofile`);

const runStarted = performance.now();
const loadAtStart = round(loadavg()[0] ?? 0);
const elapsed = () => `${((performance.now() - runStarted) / 1000).toFixed(1)} s`;
const log = (line: string) => process.stdout.write(`${line}\n`);
const skipped: Record<string, string> = {};

process.once('SIGINT', () => {
  void stopAllServers().finally(() => {
    // process.exit skips the `finally` below: the compiled servers and databases go here.
    rmSync(tmpDir, { recursive: true, force: true });
    process.exit(130);
  });
});

/** Builds the elements bundle once (the peer serves it; its size is a goal) and writes it for the servers. */
async function buildBundle(): Promise<{ path: string; gzipBytes: number }> {
  log(`[${elapsed()}] elements bundle`);
  const bundle = await buildElementsBundle();
  const path = join(tmpDir, 'cartlink-elements.js');
  writeFileSync(path, bundle.code);
  return { path, gzipBytes: bundle.gzipBytes };
}

/**
 * Starts the emulator, the storefront and the peer, registers the two OAuth applications, and signs
 * the shoppers in. The memory baselines are read before the storefront starts (when `memory` or
 * `status-cached` is selected: both RSS ratios divide by them), and with `memory` selected the
 * storefront's idle RSS after it started, before any request to it.
 */
async function startBench(bundlePath: string, results: StepResults): Promise<BenchContext> {
  log(`[${elapsed()}] compiling the server shells (esbuild) into ${tmpDir}`);
  await prepareServers(tmpDir);
  log(`[${elapsed()}] starting the emulator, the storefront and the peer`);
  const emulator = await startEmulatorServer(latencyMs);
  if (selected('memory') || selected('status-cached')) {
    log(`[${elapsed()}] step 6, baselines: RSS of a bare node:http server (and of a bare node+tsx process)`);
    results.baselines = await measureMemoryBaselines(sizes.idleSettleMs, { tsx: !smoke });
  }
  const storefrontDatabasePath = join(tmpDir, 'storefront.db');
  const storefront = await startStorefrontServer(emulator.url, storefrontDatabasePath);
  const peer = await startPeerServer(emulator.url, bundlePath);
  const admin = new EmulatorAdmin(emulator.url);
  const register = (app: typeof STOREFRONT_APP | typeof PEER_APP, redirectUris: string[]) =>
    admin.registerApp({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      name: app.name,
      redirect_uris: redirectUris,
    });
  await register(STOREFRONT_APP, [
    'http://localhost:3000/account/profile',
    `${storefront.url}/account/profile`,
  ]);
  await register(PEER_APP, [`${peer.url}/profile`]);
  if (selected('memory') && results.baselines) {
    results.memory = await measureIdleMemory(storefront, results.baselines, sizes.idleSettleMs, log);
  }

  return {
    smoke,
    sizes,
    latencyMs,
    tmpDir,
    profilePath,
    bundlePath,
    emulator,
    admin,
    storefront,
    storefrontDatabasePath,
    peer,
    shopper: await signInDemoShopper(storefront.url, DEMO_SHOPPER),
    peerShopper: shopperWithSession(
      peer.url,
      'peer-shopper-1',
      await peer.call<string>('create-session', { userId: 'peer-shopper-1', firstName: 'Peer' }),
    ),
    log,
  };
}

/** Takes the selected steps in order; links the shoppers first when a step needs it and step 3 is not run. */
async function runSteps(ctx: BenchContext, results: StepResults): Promise<void> {
  let linked = false;
  for (const step of STEPS.filter((candidate) => selected(candidate.name))) {
    if (step.needsLinkedShoppers && !linked) {
      log(`[${elapsed()}] (linking the demo shopper and the peer's, unmeasured: step 3 is not run)`);
      await linkContextShoppers(ctx);
      linked = true;
    }
    log(`[${elapsed()}] ${step.title(ctx)}`);
    const why = await step.run(ctx, results);
    if (why !== undefined) skipped[step.name] = why;
    if (step.name === 'linking') linked = true;
  }
}

async function main(): Promise<number> {
  const steps = only ? `, steps ${only.join(', ')}` : '';
  log(
    `Cartlink bench (${smoke ? 'smoke' : 'full'}${steps}), L = ${latencyMs} ms, ${cpus().length} CPUs, Node ${process.version}`,
  );
  const stale = staleBuilds();
  if (stale.length > 0) {
    log(
      `WARNING: the servers run the built packages, and ${stale.join(', ')} changed since: run \`npm run build\``,
    );
  }
  const bundle = await buildBundle();
  const results: StepResults = { bundle: { gzipBytes: bundle.gzipBytes } };
  const ctx = await startBench(bundle.path, results);
  await runSteps(ctx, results);
  await stopAllServers();

  const failed = report(
    results,
    {
      mode: smoke ? 'smoke' : 'full',
      only,
      latencyMs,
      burstSize: sizes.burstSize,
      loadAtStart,
      durationSec: round((performance.now() - runStarted) / 1000, 1),
      staleBuilds: stale,
      skipped,
    },
    outPath,
    log,
  );
  if (failed.length > 0) {
    log(`Count goals not met: ${failed.join(', ')}`);
    return 1;
  }
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  for (const server of runningServers()) {
    const tail = server.stderrTail().trim();
    if (tail) process.stderr.write(`--- ${server.name} stderr ---\n${tail}\n`);
  }
} finally {
  await stopAllServers();
  rmSync(tmpDir, { recursive: true, force: true });
}
process.exit(code);
