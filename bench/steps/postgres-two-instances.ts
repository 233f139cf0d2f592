/**
 * @module Step 8, two storefront instances on one PostgreSQL database under the cached-status load:
 * what the shop costs the database when it runs as several instances, as a retailer would run it.
 *
 * A fresh database on the server at 127.0.0.1:5432 (`cartlink_bench_<pid>_<random>`, dropped at the
 * end) and an emulator of its own; instance A starts and migrates the empty database, then instance
 * B starts on it (its migrations find the work done). A demo shopper signs in on each through the
 * form (the sessions live in the shared database) and links once on it; after a fresh verification,
 * each instance takes the cached-status load (`GET /cartlink/status`, autocannon, its own
 * connections), both at once, for the step's duration. Reported: per instance requests/s, p50/p99,
 * statements per request and storefront CPU per request (both over the requests the instance counted
 * itself, in-flight ones at the end included); and
 * PostgreSQL's CPU time (every `postgres` process, see `lib/postgres-cpu.ts`) per request and as a
 * share of all the CPU the step spent (the two storefronts, PostgreSQL, the runner that generates the
 * load, and the emulator).
 *
 * Without a server at that address the step says it was skipped and reports nothing, except under
 * `CI=true`, where it fails (as the PostgreSQL suites do, `testing/postgres.ts`).
 */
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import { DEMO_USERS } from '@cartlink/storefront';
import { createTestDatabase, isPostgresAvailable, POSTGRES_ADMIN_URL } from '../../testing/postgres';
import { linkAccount } from '../../testing/shop-steps';
import {
  type BenchContext,
  cookieHeader,
  type Shopper,
  STOREFRONT_APP,
  signInDemoShopper,
  verifyLinked,
} from '../lib/context';
import { type LoadRun, runLoad } from '../lib/load';
import { type PostgresCpu, postgresCpuSince, readPostgresCpu } from '../lib/postgres-cpu';
import { type ChildServer, startEmulatorServer, startStorefrontServer } from '../lib/servers';
import { round, type Summary, summarize } from '../lib/stats';
import type { StorefrontCounters } from '../servers/storefront-with-floor';

/** One instance's share of the load. */
export interface InstanceResult {
  name: string;
  /** Answers autocannon counted. */
  requests: number;
  /** Requests the instance answered (autocannon's, and those in flight when it stopped). */
  served: number;
  rps: number;
  latency: Summary;
  statementsPerRequest: number;
  cpuMsPerRequest: number;
}

export interface PostgresTwoInstancesResult {
  database: string;
  durationSec: number;
  connectionsPerInstance: number;
  instances: [InstanceResult, InstanceResult];
  /** CPU time during the measured load, in ms, by process. */
  cpuMs: { storefronts: number; postgres: number; runner: number; emulator: number; total: number };
  /** Backends of other databases on the shared server during the load (not counted above). */
  postgresOtherDatabasesCpuMs: number;
  postgresProcesses: number;
  /** Both instances' requests per second, together. */
  pg_two_instances_rps: number;
  pg_statements_per_status: number;
  pg_cpu_ms_per_request: number;
  /** PostgreSQL's share of all the CPU time the step spent, 0 to 1. */
  pg_cpu_share: number;
  pg_storefront_cpu_ms_per_request: number;
}

/** The runner's own CPU time (it runs the load generator), in ms. */
function runnerCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Signs `user` in on `storefront` through the form and links it there to a new Instacart+ member. */
async function signInAndLink(
  storefront: ChildServer,
  admin: EmulatorAdmin,
  user: { id: string; email: string },
): Promise<Shopper> {
  const shopper = await signInDemoShopper(storefront.url, user);
  const member = await admin.seedShopper('member');
  const linked = await linkAccount(shopper.client, admin, member.id);
  if (linked.outcome !== 'linked')
    throw new Error(`${storefront.name}: link ${linked.outcome ?? linked.http}`);
  return shopper;
}

export async function runPostgresTwoInstancesStep(
  ctx: BenchContext,
): Promise<PostgresTwoInstancesResult | undefined> {
  // Throws under CI=true when the server does not answer.
  if (!(await isPostgresAvailable())) {
    ctx.log(
      `  skipped: PostgreSQL at ${POSTGRES_ADMIN_URL} did not answer (under CI=true this fails the run)`,
    );
    return undefined;
  }
  const { sizes } = ctx;
  const database = await createTestDatabase('cartlink_bench');
  const databaseName = new URL(database.url).pathname.slice(1);
  const started: ChildServer[] = [];
  try {
    const emulator = await startEmulatorServer(ctx.latencyMs, 'emulator (PostgreSQL)');
    started.push(emulator);
    // One after the other: B's migrations find A's done (the migration lock would serialise them
    // anyway; starting them apart keeps the start-up out of the way of each other's clock).
    const instances: ChildServer[] = [];
    for (const name of ['A', 'B']) {
      const instance = await startStorefrontServer(emulator.url, database.url, {
        name: `storefront ${name} (PostgreSQL)`,
        prebuiltBundlePath: ctx.bundlePath,
      });
      started.push(instance);
      instances.push(instance);
    }
    const [a, b] = instances as [ChildServer, ChildServer];
    const admin = new EmulatorAdmin(emulator.url);
    await admin.registerApp({
      client_id: STOREFRONT_APP.clientId,
      client_secret: STOREFRONT_APP.clientSecret,
      name: STOREFRONT_APP.name,
      redirect_uris: instances.map((instance) => `${instance.url}/account/profile`),
    });
    const [alex, blair] = DEMO_USERS.filter((user) => user.role === 'shopper');
    if (!alex || !blair) throw new Error('two demo shoppers expected');
    const shoppers = [await signInAndLink(a, admin, alex), await signInAndLink(b, admin, blair)];

    // A verification each, so that every status request of the load reuses it (the window is 60 s).
    for (const shopper of shoppers) await verifyLinked(shopper);
    const loadBoth = (durationSec: number) =>
      Promise.all(
        instances.map((instance, i) =>
          runLoad({
            url: `${instance.url}/cartlink/status`,
            cookie: cookieHeader(shoppers[i] as Shopper),
            connections: sizes.pgConnections,
            durationSec,
          }),
        ),
      );
    // Warm-up: JIT, and every pool connection open before PostgreSQL's CPU is first read.
    await loadBoth(sizes.pgWarmupSec);

    for (const instance of instances) await instance.call('reset-counters');
    const cpuBefore = {
      instances: instances.map((instance) => instance.cpuMs()),
      postgres: readPostgresCpu(databaseName),
      runner: runnerCpuMs(),
      emulator: emulator.cpuMs(),
    };
    const runs = await loadBoth(sizes.pgLoadSec);
    const cpuAfter = {
      instances: instances.map((instance) => instance.cpuMs()),
      postgres: readPostgresCpu(databaseName),
      runner: runnerCpuMs(),
      emulator: emulator.cpuMs(),
    };
    // Counted by the servers: the requests still in flight when the load stopped were answered (and
    // ran their statements) but autocannon did not count them.
    const counters = await Promise.all(
      instances.map((instance) => instance.call<StorefrontCounters>('counters')),
    );
    for (const [i, run] of runs.entries()) {
      if (run.non2xx > 0 || run.errors > 0) {
        throw new Error(`${instances[i]?.name}: ${run.non2xx} non-2xx answers and ${run.errors} errors`);
      }
    }

    const instanceCpu = cpuAfter.instances.map((after, i) => after - (cpuBefore.instances[i] ?? 0));
    const postgres: PostgresCpu = postgresCpuSince(cpuBefore.postgres, cpuAfter.postgres);
    const cpuMs = {
      storefronts: instanceCpu.reduce((sum, ms) => sum + ms, 0),
      postgres: postgres.ms,
      runner: round(cpuAfter.runner - cpuBefore.runner, 0),
      emulator: cpuAfter.emulator - cpuBefore.emulator,
      total: 0,
    };
    cpuMs.total = cpuMs.storefronts + cpuMs.postgres + cpuMs.runner + cpuMs.emulator;
    const instanceResult = (i: number, run: LoadRun): InstanceResult => {
      const served = counters[i]?.requests ?? Number.NaN;
      return {
        name: instances[i]?.name ?? '',
        requests: run.requests,
        served,
        rps: round(run.requests / run.durationSec, 0),
        latency: summarize(run.latenciesMs),
        statementsPerRequest: round((counters[i]?.statements ?? Number.NaN) / served, 3),
        cpuMsPerRequest: round((instanceCpu[i] ?? 0) / served, 4),
      };
    };
    const requests = counters.reduce((sum, counted) => sum + counted.requests, 0);
    const totalStatements = counters.reduce((sum, counted) => sum + counted.statements, 0);
    const result: PostgresTwoInstancesResult = {
      database: databaseName,
      durationSec: sizes.pgLoadSec,
      connectionsPerInstance: sizes.pgConnections,
      instances: [instanceResult(0, runs[0] as LoadRun), instanceResult(1, runs[1] as LoadRun)],
      cpuMs,
      postgresOtherDatabasesCpuMs: postgres.otherDatabasesMs,
      postgresProcesses: postgres.processes,
      pg_two_instances_rps: round(
        runs.reduce((sum, run) => sum + run.requests / run.durationSec, 0),
        0,
      ),
      pg_statements_per_status: round(totalStatements / requests, 3),
      pg_cpu_ms_per_request: round(postgres.ms / requests, 4),
      pg_cpu_share: round(postgres.ms / cpuMs.total, 3),
      pg_storefront_cpu_ms_per_request: round(cpuMs.storefronts / requests, 4),
    };
    const [ra, rb] = result.instances;
    ctx.log(
      `  req/s A ${ra.rps}, B ${rb.rps} (p50 ${ra.latency.p50} / ${rb.latency.p50} ms); ` +
        `statements/request ${result.pg_statements_per_status}; CPU/request storefront ` +
        `${result.pg_storefront_cpu_ms_per_request} ms, PostgreSQL ${result.pg_cpu_ms_per_request} ms ` +
        `(${round(result.pg_cpu_share * 100, 1)}% of the step's CPU)`,
    );
    return result;
  } finally {
    for (const server of started.reverse()) await server.stop();
    await database.drop();
  }
}
