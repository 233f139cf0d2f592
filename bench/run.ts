/**
 * @module `npm run bench`: Cartlink's status and linking paths against the floor (the framework
 * itself) and against the peer (Instacart's how-to page followed literally), all servers on loopback
 * in one run, side by side, reported as ratios. Prints a table and writes `bench/results.json`.
 *
 * `--smoke` runs the same code paths with tiny durations and counts (CI): it fails only when a step
 * crashes or a deterministic count goal is wrong (Connect calls, token requests, bundle bytes), never
 * on a timing. Options: `--out <file>` (default `bench/results.json`; in smoke mode a temporary
 * file), `--latency <ms>` (L, default 20, or `BENCH_LATENCY_MS`).
 *
 * @see bench/README.md
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD } from '@cartlink/storefront';
import { buildElementsBundle } from '../packages/elements/src/build-bundle-node.js';
import { type BenchContext, FULL_SIZES, PEER_APP, SMOKE_SIZES, STOREFRONT_APP } from './lib/context';
import type { ProfileSummary } from './lib/cpu-profile';
import { registerApp } from './lib/emulator-admin';
import { signIn } from './lib/http';
import { benchPath, type ChildServer, startChild } from './lib/processes';
import { startEmulatorServer, startPeerServer, startStorefrontServer } from './lib/servers';
import { round } from './lib/stats';
import { fmt, ratio, renderTable, type TableRow } from './lib/table';
import { runColdBurstStep } from './steps/cold-burst';
import { runLinkingStep } from './steps/linking';
import { runLoggingWhatIf } from './steps/logging-what-if';
import { runProfilePageStep } from './steps/profile-page';
import { runStatusCachedStep } from './steps/status-cached';
import { runStatusFreshStep } from './steps/status-fresh';

const { values: options } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    latency: { type: 'string' },
  },
});
const smoke = options.smoke ?? false;
const latencyMs = Number(options.latency ?? process.env.BENCH_LATENCY_MS ?? '20');
if (!Number.isInteger(latencyMs) || latencyMs < 1) throw new Error('--latency must be a whole number of ms');
const sizes = smoke ? SMOKE_SIZES : FULL_SIZES;
const tmpDir = mkdtempSync(join(tmpdir(), 'cartlink-bench-'));
const outPath =
  options.out ?? (smoke ? join(tmpdir(), 'cartlink-bench-smoke-results.json') : benchPath('results.json'));
const profilePath = (name: string) =>
  join(tmpdir(), `cartlink-bench-${name}${smoke ? '-smoke' : ''}.cpuprofile`);

const runStarted = performance.now();
// Other work on the machine shows here: the one-minute load average when the run started and ended.
const loadAtStart = round(loadavg()[0] ?? 0);
const elapsed = () => `${((performance.now() - runStarted) / 1000).toFixed(1)} s`;
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** "Idle": this long after the server said it was ready, before any request. */
const IDLE_SETTLE_MS = 3000;
const DEMO_SHOPPER = { email: 'alex@example.com', id: '5d1f0c3e-8a4b-4c6e-9f21-a1e0c0de0001' };

const running = new Set<ChildServer>();
async function track(start: Promise<ChildServer>): Promise<ChildServer> {
  const child = await start;
  running.add(child);
  const stop = child.stop;
  child.stop = async () => {
    running.delete(child);
    await stop();
  };
  return child;
}
async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((child) => child.stop()));
}
process.once('SIGINT', () => {
  void stopAll().finally(() => process.exit(130));
});

async function main(): Promise<number> {
  log(
    `Cartlink bench (${smoke ? 'smoke' : 'full'}), L = ${latencyMs} ms, ${cpus().length} CPUs, Node ${process.version}`,
  );

  log(`[${elapsed()}] elements bundle`);
  const bundle = await buildElementsBundle();
  const bundlePath = join(tmpDir, 'cartlink-elements.js');
  writeFileSync(bundlePath, bundle.code);

  log(
    `[${elapsed()}] step 6, baselines: RSS of a bare node+tsx process and of a storefront given a prebuilt bundle`,
  );
  const idle = await track(startChild('node+tsx', 'servers/idle.ts', {}));
  await sleep(1000);
  const rssBaseline = round(idle.rssMb(), 1);
  await idle.stop();

  log(`[${elapsed()}] starting the emulator, the storefront and the peer`);
  const emulator = await track(startEmulatorServer(latencyMs));
  const prebuilt = await track(
    startStorefrontServer(emulator.url, join(tmpDir, 'prebuilt.db'), {
      name: 'storefront (prebuilt bundle)',
      prebuiltBundlePath: bundlePath,
    }),
  );
  await sleep(IDLE_SETTLE_MS);
  const rssIdlePrebuilt = round(prebuilt.rssMb(), 1);
  await prebuilt.stop();

  const storefrontDatabasePath = join(tmpDir, 'storefront.db');
  const storefront = await track(startStorefrontServer(emulator.url, storefrontDatabasePath));
  const peer = await track(startPeerServer(emulator.url, bundlePath));
  await registerApp(emulator.url, STOREFRONT_APP, [
    'http://localhost:3000/account/profile',
    `${storefront.url}/account/profile`,
  ]);
  await registerApp(emulator.url, PEER_APP, [`${peer.url}/profile`]);
  await sleep(IDLE_SETTLE_MS);
  const rssIdle = round(storefront.rssMb(), 1);
  log(
    `  storefront RSS at idle ${rssIdle} MB (prebuilt bundle ${rssIdlePrebuilt} MB, bare node+tsx ${rssBaseline} MB)`,
  );

  const ctx: BenchContext = {
    smoke,
    sizes,
    latencyMs,
    tmpDir,
    profilePath,
    bundlePath,
    emulator,
    storefront,
    storefrontDatabasePath,
    peer,
    shopperCookie: await signIn(storefront.url, DEMO_SHOPPER.email, DEMO_PASSWORD),
    shopperId: DEMO_SHOPPER.id,
    log,
  };

  log(`[${elapsed()}] step 3: linking`);
  const linking = await runLinkingStep(ctx);
  const peerSession = { cookie: linking.peerCookie };

  log(`[${elapsed()}] step 2: status that must ask Connect`);
  const fresh = await runStatusFreshStep(ctx, peerSession);

  log(
    `[${elapsed()}] step 1: status with a recent verification, against the floor (+ RSS loaded, CPU profile)`,
  );
  const cached = await runStatusCachedStep(ctx);

  log(`[${elapsed()}] step 1, what-if: the same load on a second instance that logs only warnings`);
  const logging = await runLoggingWhatIf(ctx, () =>
    track(
      startStorefrontServer(emulator.url, storefrontDatabasePath, {
        name: 'storefront (LOG_LEVEL=warn)',
        env: { LOG_LEVEL: 'warn' },
      }),
    ),
  );

  log(`[${elapsed()}] step 5: the profile page in Chromium`);
  const page = await runProfilePageStep(ctx, peerSession);

  await storefront.stop();

  log(`[${elapsed()}] step 4: cold burst of ${sizes.burstSize} concurrent status calls`);
  const burst = await runColdBurstStep(ctx, {
    emulator: () => track(startEmulatorServer(latencyMs, 'emulator (cold burst)')),
    storefront: (emulatorUrl, databasePath) =>
      track(startStorefrontServer(emulatorUrl, databasePath, { name: 'storefront (cold burst)' })),
  });

  await stopAll();
  const durationSec = round((performance.now() - runStarted) / 1000, 1);

  const results = {
    generated_at: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    latency_ms: latencyMs,
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      memory_mb: Math.round(totalmem() / 1024 / 1024),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      load_average_1m: { start: loadAtStart, end: round(loadavg()[0] ?? 0) },
    },
    duration_sec: durationSec,
    // The keys.
    status_cached_ratio: cached.status_cached_ratio,
    status_fresh_overhead_ms: fresh.status_fresh_overhead_ms,
    peer_status_fresh_ms: fresh.peer_status_fresh_ms,
    link_existing_calls: linking.link_existing_calls,
    link_new_calls: linking.link_new_calls,
    peer_link_new_calls: linking.peer_link_new_calls,
    link_existing_server_ms: linking.link_existing_server_ms,
    link_new_server_ms: linking.link_new_server_ms,
    peer_link_existing_server_ms: linking.peer_link_existing_server_ms,
    peer_link_new_server_ms: linking.peer_link_new_server_ms,
    cold_burst_token_requests: burst.cold_burst_token_requests,
    cold_burst_p99_ms: burst.cold_burst_p99_ms,
    profile_status_visible_ms: page.profile_status_visible_ms,
    peer_profile_status_visible_ms: page.peer_profile_status_visible_ms,
    elements_gzip_bytes: bundle.gzipBytes,
    rss_idle_mb: rssIdle,
    rss_loaded_mb: cached.rss_loaded_mb,
    // Beside them.
    status_cached_ratio_bare: cached.status_cached_ratio_bare,
    status_cached_cpu_ratio: cached.status_cached_cpu_ratio,
    status_cached_logging_cpu_share: logging.logging_cpu_share,
    status_fresh_direct_overhead_ms: fresh.direct_overhead_ms,
    status_fresh_ours_minus_direct_ms: fresh.ours_minus_direct_ms,
    peer_link_existing_calls: linking.peer_link_existing_calls,
    peer_link_new_with_status_ms: linking.peer_link_new_with_status_ms,
    peer_link_existing_with_status_ms: linking.peer_link_existing_with_status_ms,
    peer_cold_burst_token_requests: burst.peer_cold_burst_token_requests,
    peer_cold_burst_p99_ms: burst.peer_cold_burst_p99_ms,
    rss_idle_prebuilt_bundle_mb: rssIdlePrebuilt,
    rss_node_tsx_baseline_mb: rssBaseline,
    raw: {
      status_cached: cached,
      status_cached_logging_what_if: logging,
      status_fresh: fresh,
      linking: { ...linking, peerCookie: undefined },
      cold_burst: burst,
      profile_page: page,
    },
  };

  const goals = [
    { key: 'link_existing_calls', ok: linking.link_existing_calls === 2 },
    { key: 'link_new_calls', ok: linking.link_new_calls === 3 },
    { key: 'peer_link_new_calls', ok: linking.peer_link_new_calls === 4 },
    { key: 'cold_burst_token_requests', ok: burst.cold_burst_token_requests === 1 },
    { key: 'elements_gzip_bytes', ok: bundle.gzipBytes <= 12_288 },
  ];
  const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
  const L = latencyMs;
  const s = cached.sides;
  const row = (metric: string, ours: string, other = '', ratioText = '', goal = '', met = ''): TableRow => ({
    metric,
    ours,
    other,
    ratio: ratioText,
    goal,
    met,
  });
  const rows: TableRow[] = [
    row(
      '1 status cached, req/s (vs floor)',
      fmt(s.ours.rps),
      fmt(s.floor.rps),
      fmt(cached.status_cached_ratio, 3),
      '>= 0.85',
      yes(cached.status_cached_ratio >= 0.85),
    ),
    row(
      '1 status cached, p50 ms (vs floor)',
      fmt(s.ours.latency.p50),
      fmt(s.floor.latency.p50),
      ratio(s.ours.latency.p50, s.floor.latency.p50),
    ),
    row(
      '1 status cached, p99 ms (vs floor)',
      fmt(s.ours.latency.p99),
      fmt(s.floor.latency.p99),
      ratio(s.ours.latency.p99, s.floor.latency.p99),
    ),
    row(
      '1 status cached, server CPU µs/request',
      fmt(s.ours.cpuUsPerRequest, 1),
      fmt(s.floor.cpuUsPerRequest, 1),
      fmt(cached.status_cached_cpu_ratio, 3),
    ),
    row(
      '1 status cached, req/s (vs bare floor)',
      fmt(s.ours.rps),
      fmt(s.floor_bare.rps),
      fmt(cached.status_cached_ratio_bare, 3),
      'info',
    ),
    row(
      '1 status cached, CPU µs/req, logs info vs warn',
      fmt(logging.info.cpuUsPerRequest, 1),
      fmt(logging.warn.cpuUsPerRequest, 1),
      ratio(logging.info.cpuUsPerRequest, logging.warn.cpuUsPerRequest),
      'info',
    ),
    row(
      '2 status fresh, p50 ms (vs peer)',
      fmt(fresh.ours.p50),
      fmt(fresh.peer.p50),
      ratio(fresh.ours.p50, fresh.peer.p50),
      `peer ~2L = ${2 * L}`,
    ),
    row(
      '2 status fresh, p99 ms (vs peer)',
      fmt(fresh.ours.p99),
      fmt(fresh.peer.p99),
      ratio(fresh.ours.p99, fresh.peer.p99),
    ),
    row(
      '2 status fresh, p50 - L ms (vs direct call)',
      fmt(fresh.status_fresh_overhead_ms),
      fmt(fresh.direct_overhead_ms),
      '',
      '<= 3',
      yes(fresh.status_fresh_overhead_ms <= 3),
    ),
    row('2 status fresh, p50 ms (vs direct call)', fmt(fresh.ours.p50), fmt(fresh.direct.p50)),
    row(
      '2 status fresh, server CPU ms/request',
      fmt(fresh.cpu_ms_per_request.ours, 3),
      fmt(fresh.cpu_ms_per_request.peer, 3),
      ratio(fresh.cpu_ms_per_request.ours, fresh.cpu_ms_per_request.peer),
    ),
    row(
      '2 status fresh, Connect requests/request',
      fmt(fresh.connect_calls_per_request.ours),
      fmt(fresh.connect_calls_per_request.peer),
    ),
    row(
      '3 link existing user, Connect calls',
      fmt(linking.link_existing_calls),
      fmt(linking.peer_link_existing_calls),
      '',
      '2',
      yes(linking.link_existing_calls === 2),
    ),
    row(
      '3 link new user, Connect calls',
      fmt(linking.link_new_calls),
      fmt(linking.peer_link_new_calls),
      '',
      '3 (peer 4)',
      yes(linking.link_new_calls === 3 && linking.peer_link_new_calls === 4),
    ),
    row(
      '3 link, token requests new / existing',
      `${linking.link_new_token_requests} / ${linking.link_existing_token_requests}`,
      `${linking.peer_link_new_token_requests} / ${linking.peer_link_existing_token_requests}`,
    ),
    row(
      '3 link existing user, server ms (*)',
      fmt(linking.link_existing_server_ms),
      fmt(linking.peer_link_existing_server_ms),
      ratio(linking.link_existing_server_ms, linking.peer_link_existing_server_ms),
    ),
    row(
      '3 link new user, server ms (*)',
      fmt(linking.link_new_server_ms),
      fmt(linking.peer_link_new_server_ms),
      ratio(linking.link_new_server_ms, linking.peer_link_new_server_ms),
    ),
    row(
      '3 link existing user + status, ms',
      fmt(linking.link_existing_server_ms),
      fmt(linking.peer_link_existing_with_status_ms),
      ratio(linking.link_existing_server_ms, linking.peer_link_existing_with_status_ms),
    ),
    row(
      '3 link new user + status, ms',
      fmt(linking.link_new_server_ms),
      fmt(linking.peer_link_new_with_status_ms),
      ratio(linking.link_new_server_ms, linking.peer_link_new_with_status_ms),
    ),
    row(
      `4 cold burst (${sizes.burstSize}), token requests`,
      fmt(burst.cold_burst_token_requests),
      fmt(burst.peer_cold_burst_token_requests),
      '',
      '1',
      yes(burst.cold_burst_token_requests === 1),
    ),
    row(
      `4 cold burst (${sizes.burstSize}), p99 ms`,
      fmt(burst.cold_burst_p99_ms),
      fmt(burst.peer_cold_burst_p99_ms),
      ratio(burst.cold_burst_p99_ms, burst.peer_cold_burst_p99_ms),
    ),
    row(
      '4 cold burst, server CPU ms/call',
      fmt(burst.ours.cpuMsPerCall.server, 3),
      fmt(burst.peer.cpuMsPerCall.server, 3),
      ratio(burst.ours.cpuMsPerCall.server, burst.peer.cpuMsPerCall.server),
    ),
    row(
      '4 cold burst, emulator CPU ms/call',
      fmt(burst.ours.cpuMsPerCall.emulator, 3),
      fmt(burst.peer.cpuMsPerCall.emulator, 3),
      ratio(burst.ours.cpuMsPerCall.emulator, burst.peer.cpuMsPerCall.emulator),
    ),
    row(
      '5 profile page, status shown ms (vs peer)',
      fmt(page.profile_status_visible_ms),
      fmt(page.peer_profile_status_visible_ms),
      ratio(page.profile_status_visible_ms, page.peer_profile_status_visible_ms),
    ),
    row(
      '5 profile page, HTML first byte ms',
      fmt(page.ours_response_start_ms),
      fmt(page.peer_response_start_ms),
      ratio(page.ours_response_start_ms, page.peer_response_start_ms),
    ),
    row(
      '5 elements bundle, gzip bytes',
      fmt(bundle.gzipBytes),
      '',
      '',
      '<= 12288',
      yes(bundle.gzipBytes <= 12_288),
    ),
    row('6 storefront RSS idle MB (vs node+tsx)', fmt(rssIdle, 1), fmt(rssBaseline, 1)),
    row('6 storefront RSS idle, prebuilt bundle MB', fmt(rssIdlePrebuilt, 1)),
    row('6 storefront RSS after step 1 MB', fmt(cached.rss_loaded_mb, 1)),
  ];

  const table = renderTable(rows);
  const describe = (profile: ProfileSummary) => ({
    busy_ms: profile.busyMs,
    cost_centres: profile.costCentres.map((row) => `${row.name} ${row.percent}%`),
    by_package: profile.attributedByPackage.slice(0, 8).map((row) => `${row.name} ${row.percent}%`),
    top_self: profile.topSelfFunctions.slice(0, 6).map((row) => `${row.name} ${row.percent}%`),
  });
  const profiles = {
    status_cached: describe(cached.profile),
    status_fresh: describe(fresh.profile),
    cold_burst: describe(burst.profile),
  };
  writeFileSync(outPath, `${JSON.stringify({ ...results, profiles, table }, null, 2)}\n`);

  log('');
  log(table);
  log('');
  log(
    `(*) ours answers with the refreshed status (one more Connect call, ${linking.link_status_refresh_calls} per link); ` +
      `the peer's link handler does not, see "link + status".`,
  );
  for (const [name, profile] of Object.entries(profiles)) {
    log(`CPU profile of the storefront, ${name.replace('_', ' ')} (busy ${profile.busy_ms} ms):`);
    log(`  on the stack:      ${profile.cost_centres.join(', ')}`);
    log(`  innermost package: ${profile.by_package.join(', ')}`);
    log(`  top self time:     ${profile.top_self.join(', ')}`);
  }
  log(`  profiles (in ${tmpdir()}): ${cached.profile.file}, ${fresh.profile.file}, ${burst.profile.file}`);
  log(
    `Results: ${outPath}. Run took ${durationSec} s; load average ${loadAtStart} at start, ` +
      `${results.machine.load_average_1m.end} at the end (${cpus().length} CPUs).`,
  );

  const failed = goals.filter((goal) => !goal.ok);
  if (failed.length > 0) {
    log(`Count goals not met: ${failed.map((goal) => goal.key).join(', ')}`);
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
  for (const child of running) {
    const tail = child.stderrTail().trim();
    if (tail) process.stderr.write(`--- ${child.name} stderr ---\n${tail}\n`);
  }
} finally {
  await stopAll();
  rmSync(tmpDir, { recursive: true, force: true });
}
process.exit(code);
