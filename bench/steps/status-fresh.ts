/**
 * @module Step 2, a status that must ask Connect: sequential requests, one at a time, interleaved
 * between three sides so that the machine's noise falls on all of them alike:
 *
 * - ours: `POST /cartlink/verify`, the status path with a fresh verification (`getStatus` with
 *   `fresh: true`, what the status endpoint does once the stored verification is older than the
 *   freshness window): one Connect call with the cached fulfillment token on a kept-alive connection;
 * - the peer: `GET /status`, a fresh token and then the status call, each on a new connection;
 * - direct: the runner itself calls Connect's get-account-information with a token and keep-alive,
 *   which is what L plus the emulator and loopback cost without any storefront.
 *
 * The goal is `status_fresh_ratio`: ours' p50 over the direct call's p50, at L = 20 ms (written into
 * `results.json`). The direct call is the floor of this path: one Connect call and nothing around it,
 * measured on the same machine in the same rounds, so that what the ratio shows above 1 is what the
 * storefront adds (session, stored link, verification written, JSON). At least 400 samples per side,
 * interleaved (each round rotates the order), so that the machine's noise falls on all sides alike.
 * The peer's p50 (about 2L: a token, then the call, each on a new connection) is information.
 *
 * The three sides are timed with the same bare `fetch` (a cookie or a bearer token, nothing else), not
 * the shop client: a millisecond is the unit here, and the client's per-request work (a `Request`, a
 * timeout signal, the cookie jar, a CSRF scan of every body) would fall on two sides and not the third.
 */

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readCalls, resetCalls } from '../lib/connect-calls';
import { type BenchContext, cookieHeader, STOREFRONT_APP } from '../lib/context';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from '../lib/cpu-profile';
import { round, type Summary, summarize } from '../lib/stats';

export interface StatusFreshResult {
  /** Where ours spends its time on this path: ours alone, sequential, under the CPU profiler. */
  profile: ProfileSummary & { file: string; requests: number };
  ours: Summary;
  peer: Summary;
  direct: Summary;
  /** ours p50 / the direct Connect call's p50: the goal. */
  status_fresh_ratio: number;
  /** ours p50 minus L (the first definition, now information). */
  status_fresh_overhead_ms: number;
  peer_status_fresh_ms: number;
  /** The direct Connect call's p50 minus L: emulator, loopback and timers, no storefront. */
  direct_overhead_ms: number;
  /** ours p50 minus the direct call's p50: what the storefront adds to one Connect call. */
  ours_minus_direct_ms: number;
  /** CPU per request of the storefront (ours) and of the peer's server, all threads, in ms. */
  cpu_ms_per_request: { ours: number; peer: number };
  /** Per request, counted by the emulator. */
  connect_calls_per_request: { ours: number; peer: number };
  token_requests_per_request: { ours: number; peer: number };
}

/** Sends one request and reads its body; throws unless it answered 200 (and, for JSON, `linked-active`). */
async function expectLinked(side: string, url: string, init: RequestInit, json = true): Promise<void> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${side}: ${response.status} ${text.slice(0, 200)}`);
  const state = json ? (JSON.parse(text) as { state?: string }).state : 'linked-active';
  if (state !== 'linked-active') throw new Error(`${side}: status ${state}`);
}

/** How long `fn` took, in ms. */
async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function runStatusFreshStep(ctx: BenchContext): Promise<StatusFreshResult> {
  const { emulator, storefront } = ctx;
  // The storefront's application, registered through the admin client, which keeps its secret.
  const token = await ctx.admin.fulfillmentToken(STOREFRONT_APP.clientId);
  const accept = { Accept: 'application/json' };
  const cookies = { ours: cookieHeader(ctx.shopper), peer: cookieHeader(ctx.peerShopper) };
  const sides = {
    ours: () =>
      expectLinked('ours', `${storefront.url}/cartlink/verify`, {
        method: 'POST',
        headers: {
          ...accept,
          'Content-Type': 'application/json',
          Cookie: cookies.ours,
          Origin: storefront.url,
        },
        body: '{}',
      }),
    peer: () =>
      expectLinked('peer', `${ctx.peer.url}/status`, {
        headers: { ...accept, Cookie: cookies.peer },
      }),
    direct: () =>
      expectLinked(
        'direct',
        `${emulator.url}/v2/fulfillment/users/${encodeURIComponent(ctx.shopper.id)}/link`,
        { headers: { ...accept, Authorization: `Bearer ${token}` } },
        false,
      ),
  };
  type Side = keyof typeof sides;
  const order: Side[] = ['ours', 'peer', 'direct'];
  const samples: Record<Side, number[]> = { ours: [], peer: [], direct: [] };

  // Warm-up (JIT, connection pools), not recorded.
  for (let i = 0; i < Math.min(10, ctx.sizes.freshRequests); i++)
    for (const side of order) await sides[side]();

  // Count Connect calls per request for ours and the peer on a short run of each alone.
  const perRequest = async (side: 'ours' | 'peer') => {
    await resetCalls(emulator);
    for (let i = 0; i < 5; i++) await sides[side]();
    const calls = await readCalls(emulator);
    return { total: calls.total / 5, tokens: calls.tokenRequests / 5 };
  };
  const oursCalls = await perRequest('ours');
  const peerCalls = await perRequest('peer');

  const cpuBefore = { ours: storefront.cpuMs(), peer: ctx.peer.cpuMs() };
  for (let i = 0; i < ctx.sizes.freshRequests; i++) {
    // Rotate the order each round.
    for (let k = 0; k < order.length; k++) {
      const side = order[(i + k) % order.length] as Side;
      samples[side].push(await timed(sides[side]));
    }
  }
  const n = ctx.sizes.freshRequests;
  const cpuPerRequest = {
    ours: round((storefront.cpuMs() - cpuBefore.ours) / n, 3),
    peer: round((ctx.peer.cpuMs() - cpuBefore.peer) / n, 3),
  };
  const file = ctx.profilePath('status-fresh');
  await storefront.call('profile-start', { intervalUs: 100 });
  for (let i = 0; i < ctx.sizes.freshProfiledRequests; i++) await sides.ours();
  await storefront.call('profile-stop', { path: file });
  const profile = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);

  const ours = summarize(samples.ours);
  const peerSummary = summarize(samples.peer);
  const direct = summarize(samples.direct);
  ctx.log(
    `  p50 ours ${ours.p50} ms, direct Connect ${direct.p50} ms (ratio ${round(ours.p50 / direct.p50, 3)}), ` +
      `peer ${peerSummary.p50} ms, ${samples.ours.length} samples a side (L = ${ctx.latencyMs}); ` +
      `CPU/request ours ${cpuPerRequest.ours} ms, peer ${cpuPerRequest.peer} ms`,
  );
  return {
    profile: { ...profile, file: basename(file), requests: ctx.sizes.freshProfiledRequests },
    ours,
    peer: peerSummary,
    direct,
    status_fresh_ratio: round(ours.p50 / direct.p50, 3),
    status_fresh_overhead_ms: round(ours.p50 - ctx.latencyMs),
    peer_status_fresh_ms: peerSummary.p50,
    direct_overhead_ms: round(direct.p50 - ctx.latencyMs),
    ours_minus_direct_ms: round(ours.p50 - direct.p50),
    cpu_ms_per_request: cpuPerRequest,
    connect_calls_per_request: { ours: oursCalls.total, peer: peerCalls.total },
    token_requests_per_request: { ours: oursCalls.tokens, peer: peerCalls.tokens },
  };
}
