/**
 * @module `npm run bench`: Cartlink's status and linking paths against the floor (the framework
 * itself) and against the peer (Instacart's how-to page followed literally), all servers on loopback
 * in one run, side by side, reported as ratios. Prints a table and writes `bench/results.json`.
 *
 * `--smoke` runs the same code paths with tiny durations and counts (CI): it fails only when a step
 * crashes or a deterministic count goal is wrong (Connect calls, token requests, bundle bytes), never
 * on a timing. Options: `--out <file>` (default `bench/results.json`; in smoke mode or with `--only`
 * a temporary file), `--latency <ms>` (L, default 20, or `BENCH_LATENCY_MS`), `--only <step>` (one of
 * {@link STEPS}' names or `memory`, repeatable: those steps alone, with whatever they need first).
 *
 * @see bench/README.md
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import { DEMO_PASSWORD } from '@cartlink/storefront';
import { buildElementsBundle } from '../packages/elements/src/build-bundle-node.js';
import { ShopClient } from '../testing/shop-client';
import {
  type BenchContext,
  FULL_SIZES,
  PEER_APP,
  type Shopper,
  SMOKE_SIZES,
  STOREFRONT_APP,
  shopperWithSession,
} from './lib/context';
import { report, type StepResults } from './lib/report';
import {
  benchPath,
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
import { type MemoryBaselines, measureIdleMemory, measureMemoryBaselines } from './steps/memory';
import { runProfilePageStep } from './steps/profile-page';
import { runStatusCachedStep } from './steps/status-cached';
import { runStatusFreshStep } from './steps/status-fresh';

/** A step the runner takes once the servers are up and the shoppers signed in. */
interface BenchStep {
  /** What `--only` calls it. */
  name: string;
  /** The line printed when it starts. */
  title(ctx: BenchContext): string;
  /** Needs the demo shopper and the peer's shopper linked (what step 3 leaves behind). */
  needsLinkedShoppers: boolean;
  run(ctx: BenchContext, results: StepResults): Promise<void>;
}

/**
 * The steps in the order a full run takes them. Step 6 (`memory`) is not among them: it is read
 * around the servers' start, before any request, and step 1 reads the RSS under load.
 */
const STEPS: readonly BenchStep[] = [
  {
    name: 'linking',
    title: () => 'step 3: linking',
    needsLinkedShoppers: false,
    run: async (ctx, results) => {
      results.linking = await runLinkingStep(ctx);
    },
  },
  {
    name: 'status-fresh',
    title: () => 'step 2: status that must ask Connect',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.fresh = await runStatusFreshStep(ctx);
    },
  },
  {
    name: 'status-cached',
    title: () => 'step 1: status with a recent verification, against the floor (+ RSS loaded, CPU profile)',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.cached = await runStatusCachedStep(ctx);
    },
  },
  {
    name: 'logging-what-if',
    title: () => 'step 1, what-if: the same load on a second instance that logs only warnings',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.logging = await runLoggingWhatIf(ctx);
    },
  },
  {
    name: 'profile-page',
    title: () => 'step 5: the profile page in Chromium',
    needsLinkedShoppers: true,
    run: async (ctx, results) => {
      results.page = await runProfilePageStep(ctx);
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
const DEMO_SHOPPER = { email: 'alex@example.com', id: '5d1f0c3e-8a4b-4c6e-9f21-a1e0c0de0001' };

process.once('SIGINT', () => {
  void stopAllServers().finally(() => process.exit(130));
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
 * the shoppers in. With `memory` selected, its baselines are read before the storefront starts and its
 * idle RSS after, before any request to it.
 */
async function startBench(bundlePath: string, results: StepResults): Promise<BenchContext> {
  log(`[${elapsed()}] starting the emulator, the storefront and the peer`);
  const emulator = await startEmulatorServer(latencyMs);
  let baselines: MemoryBaselines | undefined;
  if (selected('memory')) {
    log(
      `[${elapsed()}] step 6, baselines: RSS of a bare node+tsx process and of a storefront given a prebuilt bundle`,
    );
    baselines = await measureMemoryBaselines({ tmpDir, bundlePath }, emulator.url);
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
  if (baselines) results.memory = await measureIdleMemory(storefront, baselines, log);

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
    shopper: await signInDemoShopper(storefront.url),
    peerShopper: shopperWithSession(
      peer.url,
      'peer-shopper-1',
      await peer.call<string>('create-session', { userId: 'peer-shopper-1', firstName: 'Peer' }),
    ),
    log,
  };
}

/** alex@example.com, signed in through the storefront's form as a browser does. */
async function signInDemoShopper(storefrontUrl: string): Promise<Shopper> {
  const client = new ShopClient(storefrontUrl);
  const answer = await client.signIn(DEMO_SHOPPER.email, DEMO_PASSWORD);
  if (answer.status !== 303) throw new Error(`POST /signin for ${DEMO_SHOPPER.email}: ${answer.status}`);
  return { id: DEMO_SHOPPER.id, client };
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
    await step.run(ctx, results);
    if (step.name === 'linking') linked = true;
  }
}

async function main(): Promise<number> {
  const steps = only ? `, steps ${only.join(', ')}` : '';
  log(
    `Cartlink bench (${smoke ? 'smoke' : 'full'}${steps}), L = ${latencyMs} ms, ${cpus().length} CPUs, Node ${process.version}`,
  );
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
