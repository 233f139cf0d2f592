/**
 * @module Step 1, what-if: how much of the cached status request is the storefront's request log.
 * The profile names logging among the largest costs of the status path; this measures it directly. A
 * second storefront instance on the same database (so the same sessions and verifications), started
 * the same way but with `LOG_LEVEL=warn`, takes the same load as the first, in alternating rounds; the
 * difference in CPU per request is what logging at `info` costs (the request line, with pino's
 * redaction, and its write).
 */
import { getStatus } from '../../testing/shop-steps';
import { type BenchContext, cookieHeader, verifyLinked } from '../lib/context';
import { runLoad } from '../lib/load';
import { type ChildServer, startStorefrontServer } from '../lib/servers';
import { round } from '../lib/stats';

export interface LoggingSide {
  logLevel: string;
  requests: number;
  rps: number;
  cpuUsPerRequest: number;
}

export interface LoggingWhatIfResult {
  info: LoggingSide;
  warn: LoggingSide;
  /** 1 - CPU per request without logs / with logs: the share of the status request that is logging. */
  logging_cpu_share: number;
}

export async function runLoggingWhatIf(ctx: BenchContext): Promise<LoggingWhatIfResult> {
  const quiet = await startStorefrontServer(ctx.emulator.url, ctx.storefrontDatabasePath, {
    name: 'storefront (LOG_LEVEL=warn)',
    env: { LOG_LEVEL: 'warn' },
  });
  try {
    const cookie = cookieHeader(ctx.shopper);
    await verifyLinked(ctx.shopper);
    const servers = { info: ctx.storefront, warn: quiet };
    for (const server of Object.values(servers)) {
      // The same shopper on either instance: one database, one session cookie.
      const { http, status } = await getStatus(ctx.shopper.client.on(server.url));
      if (status?.state !== 'linked-active')
        throw new Error(`${server.name}: status ${status?.state ?? http}`);
    }
    const load = (server: ChildServer, durationSec: number) =>
      runLoad({
        url: `${server.url}/cartlink/status`,
        cookie,
        connections: ctx.sizes.loadConnections,
        durationSec,
      });
    for (const server of Object.values(servers)) await load(server, ctx.sizes.loadWarmupSec);

    const totals = { info: { requests: 0, sec: 0, cpuMs: 0 }, warn: { requests: 0, sec: 0, cpuMs: 0 } };
    for (let i = 0; i < ctx.sizes.loggingRounds; i++) {
      const order = i % 2 === 0 ? (['info', 'warn'] as const) : (['warn', 'info'] as const);
      for (const level of order) {
        const server = servers[level];
        const cpuBefore = server.cpuMs();
        const run = await load(server, ctx.sizes.loadRoundSec);
        if (run.non2xx > 0 || run.errors > 0) throw new Error(`${server.name}: errors under load`);
        totals[level].cpuMs += server.cpuMs() - cpuBefore;
        totals[level].requests += run.requests;
        totals[level].sec += run.durationSec;
      }
    }
    const side = (level: 'info' | 'warn'): LoggingSide => ({
      logLevel: level,
      requests: totals[level].requests,
      rps: round(totals[level].requests / totals[level].sec, 0),
      cpuUsPerRequest: round((totals[level].cpuMs * 1000) / totals[level].requests, 1),
    });
    const info = side('info');
    const warn = side('warn');
    const result = {
      info,
      warn,
      logging_cpu_share: round(1 - warn.cpuUsPerRequest / info.cpuUsPerRequest, 3),
    };
    ctx.log(
      `  status with LOG_LEVEL=info ${info.rps} req/s, ${info.cpuUsPerRequest} µs CPU/request; ` +
        `warn ${warn.rps} req/s, ${warn.cpuUsPerRequest} µs: logging is ${round(result.logging_cpu_share * 100, 1)}% of the CPU`,
    );
    return result;
  } finally {
    await quiet.stop();
  }
}
