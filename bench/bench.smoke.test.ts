/**
 * The bench's CI check: `bench/run.ts --smoke` (every step, tiny durations and counts) runs to the
 * end and writes every key the issue names. It asserts the deterministic counts (Connect calls, token
 * requests, bundle bytes) and never a timing: this machine is shared and noisy.
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

const ISSUE_KEYS = [
  'status_cached_ratio',
  'status_fresh_overhead_ms',
  'peer_status_fresh_ms',
  'link_existing_calls',
  'link_new_calls',
  'peer_link_new_calls',
  'link_existing_server_ms',
  'link_new_server_ms',
  'peer_link_new_server_ms',
  'cold_burst_token_requests',
  'cold_burst_p99_ms',
  'profile_status_visible_ms',
  'peer_profile_status_visible_ms',
  'elements_gzip_bytes',
  'rss_idle_mb',
  'rss_loaded_mb',
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
  it('runs every step and meets the count goals', { timeout: 240_000 }, async () => {
    const out = join(outDir, 'results.json');
    const { code, output } = await runSmoke(out);
    expect(code, output).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    for (const key of ISSUE_KEYS) expect(typeof results[key], key).toBe('number');
    expect(results.mode).toBe('smoke');
    expect(results.link_existing_calls).toBe(2);
    expect(results.link_new_calls).toBe(3);
    expect(results.peer_link_new_calls).toBe(4);
    expect(results.cold_burst_token_requests).toBe(1);
    expect(results.elements_gzip_bytes).toBeLessThanOrEqual(12_288);
    expect(output).toContain('| metric');
  });
});
