/**
 * @module What every step gets: the mode, L, the running servers, the emulator's admin client, and the
 * shoppers' signed-in sessions.
 */
import type { EmulatorAdmin } from '@cartlink/emulator/testing';
import { DEMO_PASSWORD } from '@cartlink/storefront';
import type { ChildServer } from '../../testing/processes';
import { ShopClient } from '../../testing/shop-client';
import { verify } from '../../testing/shop-steps';

/** The OAuth application of the storefront (docs/product.md's demo application). */
export const STOREFRONT_APP = {
  clientId: 'cartlink-demo',
  clientSecret: 'cartlink-demo-secret',
  name: 'Corner Market',
} as const;

/** The peer is another retailer: its own OAuth application, so its Connect users and links are its own. */
export const PEER_APP = {
  clientId: 'naive-peer',
  clientSecret: 'naive-peer-secret',
  name: 'Peer Market',
} as const;

/** Sizes of a run: the full bench or the CI smoke (same code paths, tiny counts). */
export interface BenchSizes {
  /** Step 6: how long after a server is ready its "idle" RSS is read. */
  idleSettleMs: number;
  /** Step 1: alternating rounds, seconds per side per round, connections. */
  loadRounds: number;
  loadRoundSec: number;
  loadWarmupSec: number;
  loadConnections: number;
  /** Step 1 profile: seconds of profiled load; rounds of the logging what-if. */
  profileSec: number;
  loggingRounds: number;
  /** Step 2: sequential requests per side (interleaved), and of ours alone under the profiler. */
  freshRequests: number;
  freshProfiledRequests: number;
  /** Step 3: link samples per case and side. */
  linkSamples: number;
  /** Step 4: concurrent requests. */
  burstSize: number;
  /** Step 5: page loads per side. */
  pageLoads: number;
  /** Step 7: requests counted per flow (the counts must agree; more than one shows that they do). */
  statementSamples: number;
  /** Step 8: seconds of warm-up and of measured load, connections per instance. */
  pgWarmupSec: number;
  pgLoadSec: number;
  pgConnections: number;
  /** Step 9: alternating rounds; cached statuses, fresh statuses and link completions per side and round. */
  telemetryRounds: number;
  telemetryStatusCalls: number;
  telemetryFreshCalls: number;
  telemetryLinkCalls: number;
}

export const FULL_SIZES: BenchSizes = {
  idleSettleMs: 3000,
  loadRounds: 4,
  loadRoundSec: 3,
  loadWarmupSec: 2,
  loadConnections: 10,
  profileSec: 5,
  loggingRounds: 2,
  freshRequests: 400,
  freshProfiledRequests: 150,
  linkSamples: 6,
  burstSize: 1000,
  pageLoads: 16,
  statementSamples: 7,
  pgWarmupSec: 2,
  pgLoadSec: 10,
  pgConnections: 10,
  telemetryRounds: 11,
  telemetryStatusCalls: 10_000,
  telemetryFreshCalls: 300,
  telemetryLinkCalls: 40,
};

export const SMOKE_SIZES: BenchSizes = {
  idleSettleMs: 1000,
  loadRounds: 1,
  loadRoundSec: 0.5,
  loadWarmupSec: 0.2,
  loadConnections: 4,
  profileSec: 0.5,
  loggingRounds: 1,
  freshRequests: 5,
  freshProfiledRequests: 5,
  linkSamples: 1,
  burstSize: 100,
  pageLoads: 1,
  statementSamples: 2,
  pgWarmupSec: 0.2,
  pgLoadSec: 0.5,
  pgConnections: 2,
  telemetryRounds: 3,
  telemetryStatusCalls: 40,
  telemetryFreshCalls: 5,
  telemetryLinkCalls: 2,
};

/** The servers and sessions of a run. */
export interface BenchContext {
  smoke: boolean;
  sizes: BenchSizes;
  latencyMs: number;
  tmpDir: string;
  /** Where a step writes a CPU profile of the storefront (kept after the run, outside the repository). */
  profilePath(name: string): string;
  /** The elements bundle built once by the runner, for the peer's page. */
  bundlePath: string;
  emulator: ChildServer;
  /** The emulator's admin API and sandbox authorize call. */
  admin: EmulatorAdmin;
  storefront: ChildServer;
  /** The storefront's SQLite file (a second instance on it serves the same sessions). */
  storefrontDatabasePath: string;
  peer: ChildServer;
  /**
   * alex@example.com, signed in through the form. Linked by step 3 (or before the first step that
   * needs it), and the session it holds is the current one after each link.
   */
  shopper: Shopper;
  /** The peer's first shopper (`peer-shopper-1`), linked with the demo shopper by the same step. */
  peerShopper: Shopper;
  log(line: string): void;
}

/** The demo shopper the runner signs in and links (one of the storefront's seeded accounts). */
export const DEMO_SHOPPER = { email: 'alex@example.com', id: '5d1f0c3e-8a4b-4c6e-9f21-a1e0c0de0001' };

/** A shopper: the shop's user id and the client that holds the session. */
export interface Shopper {
  id: string;
  client: ShopClient;
}

/** The `Cookie` header of a shopper's session, for load generators and lean timed loops. */
export function cookieHeader(shopper: Shopper): string {
  return shopper.client.jar.header() ?? '';
}

/** A demo shopper signed in through the storefront's form at `origin`, as a browser does. */
export async function signInDemoShopper(
  origin: string,
  user: { id: string; email: string },
): Promise<Shopper> {
  const client = new ShopClient(origin);
  const answer = await client.signIn(user.email, DEMO_PASSWORD);
  if (answer.status !== 303) throw new Error(`POST /signin for ${user.email} on ${origin}: ${answer.status}`);
  return { id: user.id, client };
}

/** A shopper whose session the server made over IPC (`create-sessions`, `create-session`). */
export function shopperWithSession(origin: string, id: string, cookie: string): Shopper {
  const client = new ShopClient(origin);
  client.jar.store([cookie]);
  return { id, client };
}

/**
 * A fresh membership verification (`POST /cartlink/verify`): the status requests after it reuse it
 * for the 60 s window. Throws unless the shopper is linked and a member.
 */
export async function verifyLinked(shopper: Shopper): Promise<void> {
  const { http, status } = await verify(shopper.client);
  if (status?.state !== 'linked-active') {
    throw new Error(`POST /cartlink/verify: ${status?.state ?? http}, expected linked-active`);
  }
}
