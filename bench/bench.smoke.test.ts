/**
 * The bench's CI check: `bench/run.ts --smoke` (every step, tiny durations and counts) runs to the
 * end and writes every goal's key. It asserts the counts that do not depend on the machine's speed
 * (Connect calls, token requests, database statements, bundle bytes) and never a timing: this machine
 * is shared and noisy, and the smoke run's ratios are only there to prove they are computed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'cartlink-bench-smoke-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Every goal that is a ratio of ours to a reference measured in the same run. */
const RATIO_KEYS = [
  'status_cached_ratio',
  'status_cached_ratio_bare',
  'status_fresh_ratio',
  'cold_burst_cpu_ratio',
  'cold_burst_p99_ratio',
  'profile_status_visible_ratio',
  'rss_idle_ratio',
  'rss_loaded_ratio',
  'telemetry_overhead_ratio',
] as const;

/** Counts beside them: Connect calls, token requests, database statements, the bundle's bytes. */
const COUNT_KEYS = [
  'link_existing_calls',
  'link_new_calls',
  'peer_link_new_calls',
  'cold_burst_token_requests',
  'elements_gzip_bytes',
  'db_statements_status_cached',
  'db_statements_status_fresh',
  'db_statements_link_start',
  'db_statements_link_complete',
  'db_statements_checkout_page',
  'db_statements_checkout_submit',
] as const;

/** Step 8's keys: absent when PostgreSQL is not reachable, which CI does not allow. */
const POSTGRES_KEYS = [
  'pg_two_instances_rps',
  'pg_statements_per_status',
  'pg_cpu_ms_per_request',
  'pg_cpu_share',
  'pg_storefront_cpu_ms_per_request',
] as const;

function runSmoke(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run bench -- --smoke', () => {
  it('runs every step, reports every goal as a number and meets the count goals', {
    timeout: 240_000,
  }, async () => {
    const out = join(outDir, 'results.json');
    const { code, output } = await runSmoke(out);
    // The results are written before the run ends with the count goals' verdict: read them first,
    // so that a missed count fails on its own line below rather than on the exit code.
    let results: Record<string, unknown>;
    try {
      results = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new Error(`the smoke run wrote no results (exit ${code}):\n${output}`);
    }
    expect(results.mode).toBe('smoke');
    expect(results.latency_ms).toBe(20);
    for (const key of [...RATIO_KEYS, ...COUNT_KEYS]) {
      expect(typeof results[key], key).toBe('number');
      expect(Number.isFinite(results[key]), key).toBe(true);
    }
    if (process.env.CI === 'true' || results.pg_two_instances_rps !== undefined) {
      for (const key of POSTGRES_KEYS) expect(typeof results[key], key).toBe('number');
    }
    expect(results.link_existing_calls).toBe(2);
    expect(results.link_new_calls).toBe(3);
    expect(results.peer_link_new_calls).toBe(4);
    expect(results.cold_burst_token_requests).toBe(1);
    expect(results.elements_gzip_bytes).toBeLessThanOrEqual(14_336);
    // Exactly 2, not at most: the session, then the stored verification. Fewer would mean the
    // statement counter itself had stopped counting.
    expect(results.db_statements_status_cached).toBe(2);
    expect(results.db_statements_status_fresh).toBeLessThanOrEqual(3);
    expect(output).toContain('| metric');
    expect(code, output).toBe(0);
  });
});
