/**
 * @module Step 4, the cold burst: a storefront that has just started (empty token cache, new
 * database) and a fresh emulator get `burstSize` concurrent `GET /cartlink/status` calls, one per
 * shopper, each with a session of its own (shop accounts and sessions made in the storefront's
 * database before the burst: no Connect call). No shopper has a verification yet, so every call must
 * ask Connect, and every one needs a fulfillment token: the cache should fetch exactly one and share
 * it. The same burst against the peer (which fetches a token per request by design) shows what that
 * sharing saves; the goals are ratios to it: our server's CPU per call (`cold_burst_cpu_ratio`, the
 * process's user + system time over the burst divided by its calls) and our p99
 * (`cold_burst_p99_ratio`), each at most the peer's. A second burst on another fresh pair runs under the CPU profiler, to show where the
 * storefront's time goes when a thousand shoppers arrive at once.
 *
 * The burst is sent with a bare `fetch` per shopper, not the shop client: the runner shares the two
 * cores with the servers, and a thousand clients' jars, timeout signals and body scans would be work
 * on the same machine at the very moment the p99 is taken.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readCalls, resetCalls } from '../lib/connect-calls';
import type { BenchContext } from '../lib/context';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from '../lib/cpu-profile';
import { type ChildServer, startEmulatorServer, startStorefrontServer } from '../lib/servers';
import { round, type Summary, summarize } from '../lib/stats';

export interface BurstSide {
  size: number;
  latency: Summary;
  /** Wall time from the first request sent to the last answer. */
  wallMs: number;
  /** Answers by status element state (or HTTP status when not 200). */
  outcomes: Record<string, number>;
  tokenRequests: number;
  statusCalls: number;
  /** CPU time during the burst, per status call, in ms: the server answering it, and the emulator. */
  cpuMsPerCall: { server: number; emulator: number };
}

export interface ColdBurstResult {
  ours: BurstSide;
  /** A second burst on another fresh pair, under the CPU profiler (its p99 is not the measured one). */
  profile: ProfileSummary & { file: string; p99Ms: number; tokenRequests: number };
  peer: BurstSide;
  cold_burst_token_requests: number;
  cold_burst_p99_ms: number;
  peer_cold_burst_token_requests: number;
  peer_cold_burst_p99_ms: number;
  /** The storefront's CPU per cold status / the peer server's: a goal. */
  cold_burst_cpu_ratio: number;
  /** Our p99 / the peer's: a goal. */
  cold_burst_p99_ratio: number;
}

async function burst(
  url: string,
  cookies: readonly string[],
): Promise<Omit<BurstSide, 'tokenRequests' | 'statusCalls' | 'cpuMsPerCall'>> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    cookies.map(async (cookie) => {
      const sent = performance.now();
      let outcome: string;
      try {
        const response = await fetch(url, { headers: { Accept: 'application/json', Cookie: cookie } });
        const text = await response.text();
        outcome =
          response.status === 200 ? (JSON.parse(text) as { state: string }).state : `http-${response.status}`;
      } catch (error) {
        outcome = `error-${(error as Error).message}`;
      }
      latencies.push(performance.now() - sent);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }),
  );
  return {
    size: cookies.length,
    latency: summarize(latencies),
    wallMs: Math.round(performance.now() - started),
    outcomes,
  };
}

export async function runColdBurstStep(ctx: BenchContext): Promise<ColdBurstResult> {
  const size = ctx.sizes.burstSize;

  /** A fresh emulator and storefront, one burst (profiled or not), both stopped after. */
  async function oursBurst(run: string, profileFile?: string): Promise<BurstSide> {
    const emulator = await startEmulatorServer(ctx.latencyMs, 'emulator (cold burst)');
    let storefront: ChildServer | undefined;
    try {
      storefront = await startStorefrontServer(emulator.url, join(ctx.tmpDir, `cold-burst-${run}.db`), {
        name: 'storefront (cold burst)',
      });
      // One shopper per call: nothing could be shared between them but the fulfillment token.
      const userIds = await storefront.call<string[]>('create-users', { count: size });
      const cookies = await storefront.call<string[]>('create-sessions', { count: size, userIds });
      await resetCalls(emulator);
      if (profileFile) await storefront.call('profile-start', { intervalUs: 200 });
      const cpu = { server: storefront.cpuMs(), emulator: emulator.cpuMs() };
      const result = await burst(`${storefront.url}/cartlink/status`, cookies);
      const cpuMsPerCall = {
        server: round((storefront.cpuMs() - cpu.server) / size, 3),
        emulator: round((emulator.cpuMs() - cpu.emulator) / size, 3),
      };
      if (profileFile) await storefront.call('profile-stop', { path: profileFile });
      const calls = await readCalls(emulator);
      return { ...result, tokenRequests: calls.tokenRequests, statusCalls: calls.statusGets, cpuMsPerCall };
    } finally {
      await storefront?.stop();
      await emulator.stop();
    }
  }

  const ours = await oursBurst('measured');
  // The same burst again on another fresh pair, under the CPU profiler: where the storefront's time goes.
  const profileFile = ctx.profilePath('cold-burst');
  const profiled = await oursBurst('profiled', profileFile);
  const profile = summarizeProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile);

  // The peer against the main emulator: it keeps no token, so "cold" is every request for it.
  const peerCookies = await Promise.all(
    Array.from({ length: size }, (_, i) =>
      ctx.peer.call<string>('create-session', { userId: `burst-shopper-${i}`, firstName: 'Burst' }),
    ),
  );
  await resetCalls(ctx.emulator);
  const cpu = { server: ctx.peer.cpuMs(), emulator: ctx.emulator.cpuMs() };
  const peerResult = await burst(`${ctx.peer.url}/status`, peerCookies);
  const cpuMsPerCall = {
    server: round((ctx.peer.cpuMs() - cpu.server) / size, 3),
    emulator: round((ctx.emulator.cpuMs() - cpu.emulator) / size, 3),
  };
  const peerCalls = await readCalls(ctx.emulator);
  const peer = {
    ...peerResult,
    tokenRequests: peerCalls.tokenRequests,
    statusCalls: peerCalls.statusGets,
    cpuMsPerCall,
  };

  ctx.log(
    `  ours: ${ours.tokenRequests} token request(s), p99 ${ours.latency.p99} ms, ${JSON.stringify(ours.outcomes)}, ` +
      `CPU/call ${JSON.stringify(ours.cpuMsPerCall)}; peer: ${peer.tokenRequests}, p99 ${peer.latency.p99} ms, ` +
      `${JSON.stringify(peer.outcomes)}, CPU/call ${JSON.stringify(peer.cpuMsPerCall)}`,
  );
  return {
    ours,
    peer,
    profile: {
      ...profile,
      file: basename(profileFile),
      p99Ms: profiled.latency.p99,
      tokenRequests: profiled.tokenRequests,
    },
    cold_burst_token_requests: ours.tokenRequests,
    cold_burst_p99_ms: ours.latency.p99,
    peer_cold_burst_token_requests: peer.tokenRequests,
    peer_cold_burst_p99_ms: peer.latency.p99,
    cold_burst_cpu_ratio: round(ours.cpuMsPerCall.server / peer.cpuMsPerCall.server, 3),
    cold_burst_p99_ratio: round(ours.latency.p99 / peer.latency.p99, 3),
  };
}
