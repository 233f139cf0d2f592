/**
 * @module What a run reports: `results.json` (the issue's keys, the keys beside them, every raw
 * number, the CPU profiles' summaries and the table), the printed table of ours against the floor or
 * the peer, and the count goals. A run of some steps (`--only`) reports theirs alone: the keys, rows,
 * goals and profiles of a step that did not run are left out.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import type { ColdBurstResult } from '../steps/cold-burst';
import type { LinkingResult } from '../steps/linking';
import type { LoggingWhatIfResult } from '../steps/logging-what-if';
import type { MemoryResult } from '../steps/memory';
import type { ProfilePageResult } from '../steps/profile-page';
import type { SideResult, StatusCachedResult } from '../steps/status-cached';
import type { StatusFreshResult } from '../steps/status-fresh';
import type { ProfileSummary } from './cpu-profile';
import { round } from './stats';
import { fmt, ratio, renderTable, type TableRow } from './table';

/** What the steps measured; a step that did not run has no entry. */
export interface StepResults {
  /** The elements bundle, built before any step (the peer serves it; its size is a goal). */
  bundle: { gzipBytes: number };
  memory?: MemoryResult;
  linking?: LinkingResult;
  fresh?: StatusFreshResult;
  cached?: StatusCachedResult;
  logging?: LoggingWhatIfResult;
  page?: ProfilePageResult;
  burst?: ColdBurstResult;
}

/** How the run went, beside what it measured. */
export interface RunInfo {
  mode: 'smoke' | 'full';
  /** The steps run, when `--only` named some. */
  only: string[] | undefined;
  latencyMs: number;
  burstSize: number;
  /** The one-minute load average when the run started: other work on the machine shows here. */
  loadAtStart: number;
  durationSec: number;
}

/** `results.json` without the profiles and the table. Keys of steps that did not run are undefined. */
function resultsOf(r: StepResults, run: RunInfo) {
  const { memory, linking, fresh, cached, logging, page, burst } = r;
  return {
    generated_at: new Date().toISOString(),
    mode: run.mode,
    only: run.only,
    latency_ms: run.latencyMs,
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      memory_mb: Math.round(totalmem() / 1024 / 1024),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      load_average_1m: { start: run.loadAtStart, end: round(loadavg()[0] ?? 0) },
    },
    duration_sec: run.durationSec,
    // The keys.
    status_cached_ratio: cached?.status_cached_ratio,
    status_fresh_overhead_ms: fresh?.status_fresh_overhead_ms,
    peer_status_fresh_ms: fresh?.peer_status_fresh_ms,
    link_existing_calls: linking?.link_existing_calls,
    link_new_calls: linking?.link_new_calls,
    peer_link_new_calls: linking?.peer_link_new_calls,
    link_existing_server_ms: linking?.link_existing_server_ms,
    link_new_server_ms: linking?.link_new_server_ms,
    peer_link_existing_server_ms: linking?.peer_link_existing_server_ms,
    peer_link_new_server_ms: linking?.peer_link_new_server_ms,
    cold_burst_token_requests: burst?.cold_burst_token_requests,
    cold_burst_p99_ms: burst?.cold_burst_p99_ms,
    profile_status_visible_ms: page?.profile_status_visible_ms,
    peer_profile_status_visible_ms: page?.peer_profile_status_visible_ms,
    elements_gzip_bytes: r.bundle.gzipBytes,
    rss_idle_mb: memory?.rss_idle_mb,
    rss_loaded_mb: cached?.rss_loaded_mb,
    // Beside them.
    status_cached_ratio_bare: cached?.status_cached_ratio_bare,
    status_cached_cpu_ratio: cached?.status_cached_cpu_ratio,
    status_cached_logging_cpu_share: logging?.logging_cpu_share,
    status_fresh_direct_overhead_ms: fresh?.direct_overhead_ms,
    status_fresh_ours_minus_direct_ms: fresh?.ours_minus_direct_ms,
    peer_link_existing_calls: linking?.peer_link_existing_calls,
    peer_link_new_with_status_ms: linking?.peer_link_new_with_status_ms,
    peer_link_existing_with_status_ms: linking?.peer_link_existing_with_status_ms,
    peer_cold_burst_token_requests: burst?.peer_cold_burst_token_requests,
    peer_cold_burst_p99_ms: burst?.peer_cold_burst_p99_ms,
    rss_idle_prebuilt_bundle_mb: memory?.rss_idle_prebuilt_bundle_mb,
    rss_node_tsx_baseline_mb: memory?.rss_node_tsx_baseline_mb,
    raw: {
      status_cached: cached,
      status_cached_logging_what_if: logging,
      status_fresh: fresh,
      linking,
      cold_burst: burst,
      profile_page: page,
    },
  };
}

/** The deterministic goals a run fails on (never a timing), for the steps that ran. */
function countGoals(r: StepResults): { key: string; ok: boolean }[] {
  const { linking, burst } = r;
  const goals = [
    { key: 'link_existing_calls', ok: linking && linking.link_existing_calls === 2 },
    { key: 'link_new_calls', ok: linking && linking.link_new_calls === 3 },
    { key: 'peer_link_new_calls', ok: linking && linking.peer_link_new_calls === 4 },
    { key: 'cold_burst_token_requests', ok: burst && burst.cold_burst_token_requests === 1 },
    { key: 'elements_gzip_bytes', ok: r.bundle.gzipBytes <= 12_288 },
  ];
  return goals.flatMap(({ key, ok }) => (ok === undefined ? [] : [{ key, ok }]));
}

const yes = (ok: boolean) => (ok ? 'yes' : 'NO');

/** A row of preformatted cells; empty strings print as blanks. */
function row(metric: string, ours: string, other = '', ratioText = '', goal = '', met = ''): TableRow {
  return { metric, ours, other, ratio: ratioText, goal, met };
}

/** A row of ours against the floor or the peer, with their ratio. */
function versus(metric: string, ours: number, other: number, digits = 2, goal = ''): TableRow {
  return row(metric, fmt(ours, digits), fmt(other, digits), ratio(ours, other), goal);
}

function statusCachedRows(cached: StatusCachedResult): TableRow[] {
  const s = cached.sides;
  const ok = cached.status_cached_ratio >= 0.85;
  // Step 1's ratios are its keys, to three places.
  const rpsRow = (metric: string, other: SideResult, value: number, goal: string, met = '') =>
    row(metric, fmt(s.ours.rps), fmt(other.rps), fmt(value, 3), goal, met);
  return [
    rpsRow('1 status cached, req/s (vs floor)', s.floor, cached.status_cached_ratio, '>= 0.85', yes(ok)),
    versus('1 status cached, p50 ms (vs floor)', s.ours.latency.p50, s.floor.latency.p50),
    versus('1 status cached, p99 ms (vs floor)', s.ours.latency.p99, s.floor.latency.p99),
    row(
      '1 status cached, server CPU µs/request',
      fmt(s.ours.cpuUsPerRequest, 1),
      fmt(s.floor.cpuUsPerRequest, 1),
      fmt(cached.status_cached_cpu_ratio, 3),
    ),
    rpsRow('1 status cached, req/s (vs bare floor)', s.floor_bare, cached.status_cached_ratio_bare, 'info'),
  ];
}

function loggingRows(logging: LoggingWhatIfResult): TableRow[] {
  const { info, warn } = logging;
  return [
    versus(
      '1 status cached, CPU µs/req, logs info vs warn',
      info.cpuUsPerRequest,
      warn.cpuUsPerRequest,
      1,
      'info',
    ),
  ];
}

function statusFreshRows(fresh: StatusFreshResult, latencyMs: number): TableRow[] {
  const { ours, peer, direct } = fresh;
  const { cpu_ms_per_request: cpu, connect_calls_per_request: calls } = fresh;
  const overheadOk = fresh.status_fresh_overhead_ms <= 3;
  return [
    versus('2 status fresh, p50 ms (vs peer)', ours.p50, peer.p50, 2, `peer ~2L = ${2 * latencyMs}`),
    versus('2 status fresh, p99 ms (vs peer)', ours.p99, peer.p99),
    row(
      '2 status fresh, p50 - L ms (vs direct call)',
      fmt(fresh.status_fresh_overhead_ms),
      fmt(fresh.direct_overhead_ms),
      '',
      '<= 3',
      yes(overheadOk),
    ),
    row('2 status fresh, p50 ms (vs direct call)', fmt(ours.p50), fmt(direct.p50)),
    versus('2 status fresh, server CPU ms/request', cpu.ours, cpu.peer, 3),
    row('2 status fresh, Connect requests/request', fmt(calls.ours), fmt(calls.peer)),
  ];
}

function linkingRows(l: LinkingResult): TableRow[] {
  const newOk = l.link_new_calls === 3 && l.peer_link_new_calls === 4;
  return [
    row(
      '3 link existing user, Connect calls',
      fmt(l.link_existing_calls),
      fmt(l.peer_link_existing_calls),
      '',
      '2',
      yes(l.link_existing_calls === 2),
    ),
    row(
      '3 link new user, Connect calls',
      fmt(l.link_new_calls),
      fmt(l.peer_link_new_calls),
      '',
      '3 (peer 4)',
      yes(newOk),
    ),
    row(
      '3 link, token requests new / existing',
      `${l.link_new_token_requests} / ${l.link_existing_token_requests}`,
      `${l.peer_link_new_token_requests} / ${l.peer_link_existing_token_requests}`,
    ),
    versus('3 link existing user, server ms (*)', l.link_existing_server_ms, l.peer_link_existing_server_ms),
    versus('3 link new user, server ms (*)', l.link_new_server_ms, l.peer_link_new_server_ms),
    versus(
      '3 link existing user + status, ms',
      l.link_existing_server_ms,
      l.peer_link_existing_with_status_ms,
    ),
    versus('3 link new user + status, ms', l.link_new_server_ms, l.peer_link_new_with_status_ms),
  ];
}

function coldBurstRows(burst: ColdBurstResult, size: number): TableRow[] {
  const { ours, peer } = burst;
  const tokenOk = burst.cold_burst_token_requests === 1;
  return [
    row(
      `4 cold burst (${size}), token requests`,
      fmt(burst.cold_burst_token_requests),
      fmt(burst.peer_cold_burst_token_requests),
      '',
      '1',
      yes(tokenOk),
    ),
    versus(`4 cold burst (${size}), p99 ms`, burst.cold_burst_p99_ms, burst.peer_cold_burst_p99_ms),
    versus('4 cold burst, server CPU ms/call', ours.cpuMsPerCall.server, peer.cpuMsPerCall.server, 3),
    versus('4 cold burst, emulator CPU ms/call', ours.cpuMsPerCall.emulator, peer.cpuMsPerCall.emulator, 3),
  ];
}

function profilePageRows(page: ProfilePageResult): TableRow[] {
  return [
    versus(
      '5 profile page, status shown ms (vs peer)',
      page.profile_status_visible_ms,
      page.peer_profile_status_visible_ms,
    ),
    versus('5 profile page, HTML first byte ms', page.ours_response_start_ms, page.peer_response_start_ms),
  ];
}

function memoryRows(memory: MemoryResult | undefined, cached: StatusCachedResult | undefined): TableRow[] {
  return [
    ...(memory
      ? [
          row(
            '6 storefront RSS idle MB (vs node+tsx)',
            fmt(memory.rss_idle_mb, 1),
            fmt(memory.rss_node_tsx_baseline_mb, 1),
          ),
          row('6 storefront RSS idle, prebuilt bundle MB', fmt(memory.rss_idle_prebuilt_bundle_mb, 1)),
        ]
      : []),
    ...(cached ? [row('6 storefront RSS after step 1 MB', fmt(cached.rss_loaded_mb, 1))] : []),
  ];
}

/** The table's rows, in the order of the steps' numbers. */
function tableRows(r: StepResults, run: RunInfo): TableRow[] {
  const bytes = r.bundle.gzipBytes;
  return [
    ...(r.cached ? statusCachedRows(r.cached) : []),
    ...(r.logging ? loggingRows(r.logging) : []),
    ...(r.fresh ? statusFreshRows(r.fresh, run.latencyMs) : []),
    ...(r.linking ? linkingRows(r.linking) : []),
    ...(r.burst ? coldBurstRows(r.burst, run.burstSize) : []),
    ...(r.page ? profilePageRows(r.page) : []),
    row('5 elements bundle, gzip bytes', fmt(bytes), '', '', '<= 12288', yes(bytes <= 12_288)),
    ...memoryRows(r.memory, r.cached),
  ];
}

/** A CPU profile as `results.json` and the printout give it: the top rows of each breakdown. */
function describe(profile: ProfileSummary) {
  return {
    busy_ms: profile.busyMs,
    cost_centres: profile.costCentres.map((row) => `${row.name} ${row.percent}%`),
    by_package: profile.attributedByPackage.slice(0, 8).map((row) => `${row.name} ${row.percent}%`),
    top_self: profile.topSelfFunctions.slice(0, 6).map((row) => `${row.name} ${row.percent}%`),
  };
}

/**
 * Writes `results.json` to `outPath` and prints the table, the CPU profiles' summaries and where the
 * results went. Returns the keys of the count goals not met.
 */
export function report(r: StepResults, run: RunInfo, outPath: string, log: (line: string) => void): string[] {
  const results = resultsOf(r, run);
  const table = renderTable(tableRows(r, run));
  const summaries = Object.entries({
    status_cached: r.cached?.profile,
    status_fresh: r.fresh?.profile,
    cold_burst: r.burst?.profile,
  }).flatMap(([name, profile]) => (profile ? [{ name, profile }] : []));
  const profiles = Object.fromEntries(summaries.map(({ name, profile }) => [name, describe(profile)]));
  writeFileSync(outPath, `${JSON.stringify({ ...results, profiles, table }, null, 2)}\n`);

  log('');
  log(table);
  log('');
  if (r.linking) {
    log(
      `(*) ours answers with the refreshed status (one more Connect call, ${r.linking.link_status_refresh_calls} per link); ` +
        `the peer's link handler does not, see "link + status".`,
    );
  }
  for (const [name, profile] of Object.entries(profiles)) {
    log(`CPU profile of the storefront, ${name.replace('_', ' ')} (busy ${profile.busy_ms} ms):`);
    log(`  on the stack:      ${profile.cost_centres.join(', ')}`);
    log(`  innermost package: ${profile.by_package.join(', ')}`);
    log(`  top self time:     ${profile.top_self.join(', ')}`);
  }
  const files = summaries.map(({ profile }) => profile.file);
  if (files.length > 0) log(`  profiles (in ${tmpdir()}): ${files.join(', ')}`);
  log(
    `Results: ${outPath}. Run took ${run.durationSec} s; load average ${run.loadAtStart} at start, ` +
      `${results.machine.load_average_1m.end} at the end (${cpus().length} CPUs).`,
  );
  return countGoals(r)
    .filter((goal) => !goal.ok)
    .map((goal) => goal.key);
}
