/**
 * @module What a run reports: `results.json` (L, every goal with ours, its reference, the ratio and
 * whether it is met; the keys of the goals and the figures beside them at the top level; every raw
 * number under `raw`; the CPU profiles' summaries and the tables), the printed tables (the goals
 * first, then the information), and the count goals a run fails on. A run of some steps (`--only`)
 * reports theirs alone: the keys, rows, goals and profiles of a step that did not run are left out.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import type { ColdBurstResult } from '../steps/cold-burst';
import type { LinkingResult } from '../steps/linking';
import type { LoggingWhatIfResult } from '../steps/logging-what-if';
import type { MemoryBaselines, MemoryResult } from '../steps/memory';
import type { PostgresTwoInstancesResult } from '../steps/postgres-two-instances';
import type { ProfilePageResult } from '../steps/profile-page';
import { STATEMENT_FLOWS, type StatementsResult } from '../steps/statements';
import type { StatusCachedResult } from '../steps/status-cached';
import type { StatusFreshResult } from '../steps/status-fresh';
import type { TelemetryOverheadResult } from '../steps/telemetry-overhead';
import type { ProfileSummary } from './cpu-profile';
import { round } from './stats';
import { fmt, ratio, renderTable, type TableRow } from './table';

/** What the steps measured; a step that did not run has no entry. */
export interface StepResults {
  /** The elements bundle, built before any step (the peer serves it; its size is a goal). */
  bundle: { gzipBytes: number };
  /** The memory baselines (read when step 6 or step 1 runs: both ratios divide by them). */
  baselines?: MemoryBaselines;
  memory?: MemoryResult;
  linking?: LinkingResult;
  fresh?: StatusFreshResult;
  cached?: StatusCachedResult;
  logging?: LoggingWhatIfResult;
  page?: ProfilePageResult;
  statements?: StatementsResult;
  /** Absent when the step did not run or was skipped (no PostgreSQL, outside CI). */
  postgres?: PostgresTwoInstancesResult;
  burst?: ColdBurstResult;
  telemetry?: TelemetryOverheadResult;
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
  /** Workspaces whose sources are newer than their `dist` (the servers run the built code). */
  staleBuilds: string[];
  /** Steps that were selected but did not run, and why. */
  skipped: Record<string, string>;
}

/** The L at which the goals on times were set. */
export const GOAL_LATENCY_MS = 20;
/** The elements bundle's cap, gzipped. */
export const ELEMENTS_GZIP_CAP = 14_336;

type Comparison = '<=' | '>=' | '==';

/** A goal: a ratio of ours to a reference measured in the same run, or a count. */
export interface Goal {
  /** Its key in `results.json`. */
  key: string;
  metric: string;
  /** `ratio`: timing or memory, reported and never failing a run; `count`: fails the run when missed. */
  kind: 'ratio' | 'count';
  ours: number;
  reference?: number;
  /** What the reference is (the floor, the peer, …). */
  referenceName?: string;
  /** The key's value: ours / reference for a ratio, ours for a count. */
  value: number;
  comparison: Comparison;
  target: number;
  /** Whether it is met; `null` when it cannot be judged in this run (another L). */
  met: boolean | null;
  /** Printed beside the goal (e.g. the L it holds for). */
  note?: string;
}

function judge(value: number, comparison: Comparison, target: number): boolean {
  if (Number.isNaN(value)) return false;
  if (comparison === '<=') return value <= target;
  if (comparison === '>=') return value >= target;
  return value === target;
}

function goal(spec: Omit<Goal, 'met' | 'value'> & { value?: number; judged?: boolean }): Goal {
  const { judged = true, ...rest } = spec;
  const value = spec.value ?? spec.ours;
  return { ...rest, value, met: judged ? judge(value, spec.comparison, spec.target) : null };
}

/** Every goal of the steps that ran, in the order of the steps' numbers. */
export function goalsOf(r: StepResults, run: RunInfo): Goal[] {
  const goals: Goal[] = [];
  const { cached, fresh, linking, burst, page, memory, baselines, statements } = r;
  if (cached) {
    const s = cached.sides;
    goals.push(
      goal({
        key: 'status_cached_ratio',
        metric: '1 status cached, req/s vs the floor (same middleware)',
        kind: 'ratio',
        ours: s.ours.rps,
        reference: s.floor.rps,
        referenceName: 'floor',
        value: cached.status_cached_ratio,
        comparison: '>=',
        target: 0.9,
      }),
      goal({
        key: 'status_cached_ratio_bare',
        metric: '1 status cached, req/s vs the bare floor',
        kind: 'ratio',
        ours: s.ours.rps,
        reference: s.floor_bare.rps,
        referenceName: 'bare floor',
        value: cached.status_cached_ratio_bare,
        comparison: '>=',
        target: 0.7,
      }),
    );
  }
  if (fresh) {
    goals.push(
      goal({
        key: 'status_fresh_ratio',
        metric: '2 status fresh, p50 vs a direct Connect call',
        kind: 'ratio',
        ours: fresh.ours.p50,
        reference: fresh.direct.p50,
        referenceName: 'direct call',
        value: fresh.status_fresh_ratio,
        comparison: '<=',
        target: 1.05,
        judged: run.latencyMs === GOAL_LATENCY_MS,
        note: `at L = ${GOAL_LATENCY_MS} ms`,
      }),
    );
  }
  if (linking) {
    goals.push(
      goal({
        key: 'link_existing_calls',
        metric: '3 link existing user, Connect calls',
        kind: 'count',
        ours: linking.link_existing_calls,
        reference: linking.peer_link_existing_calls,
        referenceName: 'peer',
        comparison: '==',
        target: 2,
      }),
      goal({
        key: 'link_new_calls',
        metric: '3 link new user, Connect calls',
        kind: 'count',
        ours: linking.link_new_calls,
        reference: linking.peer_link_new_calls,
        referenceName: 'peer',
        comparison: '==',
        target: 3,
      }),
      goal({
        key: 'peer_link_new_calls',
        metric: "3 link new user, the peer's Connect calls",
        kind: 'count',
        ours: linking.peer_link_new_calls,
        comparison: '==',
        target: 4,
      }),
    );
  }
  if (burst) {
    goals.push(
      goal({
        key: 'cold_burst_token_requests',
        metric: `4 cold burst (${run.burstSize}), token requests`,
        kind: 'count',
        ours: burst.cold_burst_token_requests,
        reference: burst.peer_cold_burst_token_requests,
        referenceName: 'peer',
        comparison: '==',
        target: 1,
      }),
      goal({
        key: 'cold_burst_cpu_ratio',
        metric: '4 cold burst, server CPU ms per call vs the peer',
        kind: 'ratio',
        ours: burst.ours.cpuMsPerCall.server,
        reference: burst.peer.cpuMsPerCall.server,
        referenceName: 'peer',
        value: burst.cold_burst_cpu_ratio,
        comparison: '<=',
        target: 1,
      }),
      goal({
        key: 'cold_burst_p99_ratio',
        metric: '4 cold burst, p99 ms vs the peer',
        kind: 'ratio',
        ours: burst.cold_burst_p99_ms,
        reference: burst.peer_cold_burst_p99_ms,
        referenceName: 'peer',
        value: burst.cold_burst_p99_ratio,
        comparison: '<=',
        target: 1,
      }),
    );
  }
  if (page) {
    goals.push(
      goal({
        key: 'profile_status_visible_ratio',
        metric: '5 profile page, ms to the painted status vs the peer',
        kind: 'ratio',
        ours: page.profile_status_visible_ms,
        reference: page.peer_profile_status_visible_ms,
        referenceName: 'peer',
        value: page.profile_status_visible_ratio,
        comparison: '<=',
        target: 0.6,
      }),
    );
  }
  goals.push(
    goal({
      key: 'elements_gzip_bytes',
      metric: '5 elements bundle, gzip bytes (cap)',
      kind: 'count',
      ours: r.bundle.gzipBytes,
      comparison: '<=',
      target: ELEMENTS_GZIP_CAP,
    }),
  );
  if (memory && baselines) {
    goals.push(
      goal({
        key: 'rss_idle_ratio',
        metric: '6 storefront RSS idle MB vs bare node:http',
        kind: 'ratio',
        ours: memory.rss_idle_mb,
        reference: baselines.rss_node_http_baseline_mb,
        referenceName: 'node:http',
        value: memory.rss_idle_ratio,
        comparison: '<=',
        target: 2,
      }),
    );
  }
  if (cached && baselines) {
    goals.push(
      goal({
        key: 'rss_loaded_ratio',
        metric: '6 storefront RSS after step 1 MB vs bare node:http',
        kind: 'ratio',
        ours: cached.rss_loaded_mb,
        reference: baselines.rss_node_http_baseline_mb,
        referenceName: 'node:http',
        value: round(cached.rss_loaded_mb / baselines.rss_node_http_baseline_mb, 3),
        comparison: '<=',
        target: 2.3,
      }),
    );
  }
  if (statements) {
    goals.push(
      goal({
        key: 'db_statements_status_cached',
        metric: '7 database statements, cached status',
        kind: 'count',
        ours: statements.counts.status_cached,
        comparison: '<=',
        target: 2,
      }),
      goal({
        key: 'db_statements_status_fresh',
        metric: '7 database statements, fresh status',
        kind: 'count',
        ours: statements.counts.status_fresh,
        comparison: '<=',
        target: 3,
      }),
    );
  }
  if (r.telemetry) {
    const worst = r.telemetry.paths[r.telemetry.telemetry_overhead_path];
    goals.push(
      goal({
        key: 'telemetry_overhead_ratio',
        metric: `9 telemetry hooks, no SDK: µs/call vs none, median of rounds (${r.telemetry.telemetry_overhead_path.replace('_', ' ')}; noise floor ${r.telemetry.noise_floor_ratio})`,
        kind: 'ratio',
        ours: worst.with_hooks_us,
        reference: worst.without_us,
        referenceName: 'no hooks',
        value: r.telemetry.telemetry_overhead_ratio,
        comparison: '<=',
        target: 1.05,
      }),
    );
  }
  return goals;
}

/** The keys beside the goals' (information), for the steps that ran; undefined keys are left out. */
function informationKeys(r: StepResults) {
  const { memory, baselines, linking, fresh, cached, logging, page, statements, postgres, burst, telemetry } =
    r;
  return {
    status_cached_cpu_ratio: cached?.status_cached_cpu_ratio,
    status_cached_logging_cpu_share: logging?.logging_cpu_share,
    status_fresh_ms: fresh?.ours.p50,
    status_fresh_direct_ms: fresh?.direct.p50,
    status_fresh_overhead_ms: fresh?.status_fresh_overhead_ms,
    peer_status_fresh_ms: fresh?.peer_status_fresh_ms,
    peer_link_existing_calls: linking?.peer_link_existing_calls,
    link_existing_server_ms: linking?.link_existing_server_ms,
    link_new_server_ms: linking?.link_new_server_ms,
    peer_link_existing_server_ms: linking?.peer_link_existing_server_ms,
    peer_link_new_server_ms: linking?.peer_link_new_server_ms,
    peer_link_new_with_status_ms: linking?.peer_link_new_with_status_ms,
    peer_link_existing_with_status_ms: linking?.peer_link_existing_with_status_ms,
    cold_burst_p99_ms: burst?.cold_burst_p99_ms,
    peer_cold_burst_p99_ms: burst?.peer_cold_burst_p99_ms,
    cold_burst_cpu_ms_per_call: burst?.ours.cpuMsPerCall.server,
    peer_cold_burst_cpu_ms_per_call: burst?.peer.cpuMsPerCall.server,
    peer_cold_burst_token_requests: burst?.peer_cold_burst_token_requests,
    profile_status_visible_ms: page?.profile_status_visible_ms,
    peer_profile_status_visible_ms: page?.peer_profile_status_visible_ms,
    profile_first_contentful_paint_ms: page?.profile_first_contentful_paint_ms,
    peer_profile_first_contentful_paint_ms: page?.peer_profile_first_contentful_paint_ms,
    profile_status_painted_ms: page?.profile_status_painted_ms,
    peer_profile_status_painted_ms: page?.peer_profile_status_painted_ms,
    rss_idle_mb: memory?.rss_idle_mb,
    rss_loaded_mb: cached?.rss_loaded_mb,
    rss_node_http_baseline_mb: baselines?.rss_node_http_baseline_mb,
    rss_node_tsx_baseline_mb: baselines?.rss_node_tsx_baseline_mb,
    db_statements_profile_page: statements?.counts.profile_page,
    db_statements_link_start: statements?.counts.link_start,
    db_statements_link_complete: statements?.counts.link_complete,
    db_statements_checkout_page: statements?.counts.checkout_page,
    db_statements_checkout_submit: statements?.counts.checkout_submit,
    db_statements_sign_in: statements?.counts.sign_in,
    // The storefront's CPU per request of each counted flow (median), the unit costs of docs/capacity.md.
    flow_cpu_ms: statements?.cpuMs,
    pg_two_instances_rps: postgres?.pg_two_instances_rps,
    pg_statements_per_status: postgres?.pg_statements_per_status,
    pg_cpu_ms_per_request: postgres?.pg_cpu_ms_per_request,
    pg_cpu_share: postgres?.pg_cpu_share,
    pg_storefront_cpu_ms_per_request: postgres?.pg_storefront_cpu_ms_per_request,
    telemetry_overhead_ratio_status_cached: telemetry?.paths.status_cached.ratio,
    telemetry_overhead_ratio_status_fresh: telemetry?.paths.status_fresh.ratio,
    telemetry_overhead_ratio_link_complete: telemetry?.paths.link_complete.ratio,
  };
}

/** `results.json` without the profiles and the tables. */
function resultsOf(r: StepResults, run: RunInfo, goals: readonly Goal[]) {
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
    stale_builds: run.staleBuilds,
    skipped: run.skipped,
    goals: goals.map((g) => ({
      key: g.key,
      kind: g.kind,
      ours: g.ours,
      reference: g.reference,
      reference_name: g.referenceName,
      value: g.value,
      goal: `${g.comparison} ${g.target}${g.note ? ` ${g.note}` : ''}`,
      met: g.met,
    })),
    ...Object.fromEntries(goals.map((g) => [g.key, g.value])),
    ...informationKeys(r),
    raw: {
      bundle: r.bundle,
      memory: r.memory ?? r.baselines,
      status_cached: r.cached,
      status_cached_logging_what_if: r.logging,
      status_fresh: r.fresh,
      linking: r.linking,
      cold_burst: r.burst,
      profile_page: r.page,
      statements: r.statements,
      postgres_two_instances: r.postgres,
      telemetry_overhead: r.telemetry,
    },
  };
}

const METS: Record<string, string> = { true: 'yes', false: 'NO', null: 'n/a' };

function goalRow(g: Goal): TableRow {
  const digits = g.kind === 'count' ? 0 : 2;
  return {
    metric: g.metric,
    ours: fmt(g.ours, digits),
    other: g.reference === undefined ? '' : `${fmt(g.reference, digits)} ${g.referenceName ?? ''}`.trim(),
    ratio: g.kind === 'ratio' ? fmt(g.value, 3) : '',
    goal: `${g.comparison} ${fmt(g.target, 3)}${g.note ? ` ${g.note}` : ''}`,
    met: METS[String(g.met)] ?? '',
  };
}

/** A row of preformatted cells; empty strings print as blanks. */
function row(metric: string, ours: string, other = '', ratioText = ''): TableRow {
  return { metric, ours, other, ratio: ratioText, goal: '', met: '' };
}

/** A row of ours against a reference, with their ratio. */
function versus(metric: string, ours: number, other: number, digits = 2): TableRow {
  return row(metric, fmt(ours, digits), fmt(other, digits), ratio(ours, other, 3));
}

/** The information rows (no goal), in the order of the steps' numbers. */
function informationRows(r: StepResults): TableRow[] {
  const rows: TableRow[] = [];
  const { cached, logging, fresh, linking, burst, page, baselines, statements, postgres, telemetry } = r;
  if (cached) {
    const s = cached.sides;
    rows.push(
      versus('1 status cached, p50 ms (vs floor)', s.ours.latency.p50, s.floor.latency.p50),
      versus('1 status cached, p99 ms (vs floor)', s.ours.latency.p99, s.floor.latency.p99),
      versus(
        '1 status cached, server CPU µs/request (vs floor)',
        s.ours.cpuUsPerRequest,
        s.floor.cpuUsPerRequest,
        1,
      ),
    );
  }
  if (logging) {
    const { info, warn } = logging;
    rows.push(
      versus('1 status cached, CPU µs/req, logs info vs warn', info.cpuUsPerRequest, warn.cpuUsPerRequest, 1),
    );
  }
  if (fresh) {
    const cpu = fresh.cpu_ms_per_request;
    const calls = fresh.connect_calls_per_request;
    rows.push(
      versus('2 status fresh, p50 ms (vs peer, ~2L)', fresh.ours.p50, fresh.peer.p50),
      versus('2 status fresh, p99 ms (vs direct call)', fresh.ours.p99, fresh.direct.p99),
      row(
        '2 status fresh, p50 - L ms (vs direct call)',
        fmt(fresh.status_fresh_overhead_ms),
        fmt(fresh.direct_overhead_ms),
      ),
      versus('2 status fresh, server CPU ms/request (vs peer)', cpu.ours, cpu.peer, 3),
      row('2 status fresh, Connect requests/request (vs peer)', fmt(calls.ours), fmt(calls.peer)),
    );
  }
  if (linking) {
    const l = linking;
    rows.push(
      row(
        '3 link, token requests new / existing (vs peer)',
        `${l.link_new_token_requests} / ${l.link_existing_token_requests}`,
        `${l.peer_link_new_token_requests} / ${l.peer_link_existing_token_requests}`,
      ),
      versus(
        '3 link existing user, server ms (*)',
        l.link_existing_server_ms,
        l.peer_link_existing_server_ms,
      ),
      versus('3 link new user, server ms (*)', l.link_new_server_ms, l.peer_link_new_server_ms),
      versus(
        '3 link existing user + status, ms',
        l.link_existing_server_ms,
        l.peer_link_existing_with_status_ms,
      ),
      versus('3 link new user + status, ms', l.link_new_server_ms, l.peer_link_new_with_status_ms),
    );
  }
  if (burst) {
    rows.push(
      versus(
        '4 cold burst, emulator CPU ms/call (vs peer)',
        burst.ours.cpuMsPerCall.emulator,
        burst.peer.cpuMsPerCall.emulator,
        3,
      ),
    );
  }
  if (page) {
    rows.push(
      versus(
        '5 profile page, first contentful paint ms (vs peer)',
        page.profile_first_contentful_paint_ms,
        page.peer_profile_first_contentful_paint_ms,
      ),
      versus(
        '5 profile page, later of card and FCP ms (vs peer)',
        page.profile_status_painted_ms,
        page.peer_profile_status_painted_ms,
      ),
      versus(
        '5 profile page, HTML first byte ms (vs peer)',
        page.ours_response_start_ms,
        page.peer_response_start_ms,
      ),
    );
  }
  if (baselines?.rss_node_tsx_baseline_mb !== undefined) {
    rows.push(row('6 node+tsx baseline RSS MB (old reference)', fmt(baselines.rss_node_tsx_baseline_mb, 1)));
  }
  if (statements) {
    const c = statements.counts;
    rows.push(
      row('7 database statements, profile page', fmt(c.profile_page)),
      row('7 database statements, link start', fmt(c.link_start)),
      row('7 database statements, link completion', fmt(c.link_complete)),
      row('7 database statements, checkout page', fmt(c.checkout_page)),
      row('7 database statements, place order', fmt(c.checkout_submit)),
      row('7 database statements, sign-in', fmt(c.sign_in)),
      ...STATEMENT_FLOWS.map((flow) =>
        row(`7 storefront CPU ms per request, ${flow.replace('_', ' ')}`, fmt(statements.cpuMs[flow], 2)),
      ),
    );
  }
  if (postgres) {
    const [a, b] = postgres.instances;
    rows.push(
      row(
        '8 PostgreSQL, 2 instances, req/s (A / B)',
        fmt(postgres.pg_two_instances_rps),
        `${fmt(a.rps)} / ${fmt(b.rps)}`,
      ),
      row('8 PostgreSQL, p50 / p99 ms (A)', `${fmt(a.latency.p50)} / ${fmt(a.latency.p99)}`),
      row('8 PostgreSQL, p50 / p99 ms (B)', `${fmt(b.latency.p50)} / ${fmt(b.latency.p99)}`),
      row(
        '8 PostgreSQL, statements/request (A / B)',
        fmt(postgres.pg_statements_per_status, 3),
        `${fmt(a.statementsPerRequest, 3)} / ${fmt(b.statementsPerRequest, 3)}`,
      ),
      row('8 PostgreSQL, storefront CPU ms/request', fmt(postgres.pg_storefront_cpu_ms_per_request, 4)),
      row('8 PostgreSQL, database CPU ms/request', fmt(postgres.pg_cpu_ms_per_request, 4)),
      row('8 PostgreSQL, database share of the step CPU', `${fmt(postgres.pg_cpu_share * 100, 1)}%`),
    );
  }
  if (telemetry) {
    for (const [path, result] of Object.entries(telemetry.paths)) {
      rows.push(
        versus(
          `9 ${path.replace('_', ' ')}, µs/call, telemetry hooks vs none (means)`,
          result.with_hooks_us,
          result.without_us,
          1,
        ),
      );
    }
  }
  return rows;
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
 * Writes `results.json` to `outPath` and prints the tables, the CPU profiles' summaries and where the
 * results went. Returns the keys of the count goals not met (the run fails on them, never on a ratio).
 */
export function report(r: StepResults, run: RunInfo, outPath: string, log: (line: string) => void): string[] {
  const goals = goalsOf(r, run);
  const results = resultsOf(r, run, goals);
  const information = informationRows(r);
  const table = [
    'Goals (ratios: ours / reference, from this run; counts: exact)',
    renderTable(goals.map(goalRow)),
    ...(information.length > 0 ? ['', 'Information', renderTable(information)] : []),
  ].join('\n');
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
  for (const [step, why] of Object.entries(run.skipped)) log(`Skipped: ${step} (${why}).`);
  if (run.staleBuilds.length > 0) {
    log(`WARNING: sources newer than their build in ${run.staleBuilds.join(', ')}: run \`npm run build\`.`);
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
  return goals.filter((g) => g.kind === 'count' && g.met === false).map((g) => g.key);
}
