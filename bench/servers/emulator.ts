/**
 * @module The Connect emulator for the bench, in its own process, over real HTTP on loopback, with
 * the fixed latency L (`BENCH_LATENCY_MS`) added to every Connect call (`/v2/…`). It counts every
 * Connect call it answers, telling the two uses of the token endpoint apart by their `grant_type`
 * (a fulfillment token is `client_credentials`, a code exchange `authorization_code`), because the
 * emulator's own request log keeps no bodies and only the last 1,000 entries.
 *
 * Bench-only control (over IPC): `calls` (and `reset-calls`). Everything else, the admin API and the
 * sandbox authorize call included, is the emulator's own, reached over HTTP through `EmulatorAdmin`.
 */
import type { AddressInfo } from 'node:net';
import { createEmulator, type Emulator } from '@cartlink/emulator';
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { announceReady, serveControl } from './control';

/** One Connect call as the emulator answered it. */
export interface ConnectCall {
  method: string;
  /** The route template, e.g. `/v2/fulfillment/users/{user_id}/link`. */
  route: string;
  /** `client_credentials` or `authorization_code` for the token endpoint. */
  grant?: string;
  status: number;
  /** When it arrived, ms on this process's monotonic clock. */
  at: number;
  /** Time to answer, L included. */
  durationMs: number;
}

const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? '20');

function routeOf(pathname: string): string {
  return pathname.replace(/^\/v2\/fulfillment\/users\/[^/]+\/link$/, '/v2/fulfillment/users/{user_id}/link');
}

let calls: ConnectCall[] = [];
let emulator: Emulator | undefined;

const server = createAdaptorServer({
  fetch: async (request: Request, bindings: HttpBindings | Http2Bindings) => {
    if (!emulator) return new Response('starting', { status: 503 });
    // Only an HTTP/1 server is created here (as in the emulator's own server-node.ts).
    const env = bindings as HttpBindings;
    const pathname = new URL(request.url).pathname;
    if (!pathname.startsWith('/v2/')) return emulator.app.fetch(request, env);
    const at = performance.now();
    let grant: string | undefined;
    if (request.method === 'POST' && pathname === '/v2/oauth/token') {
      const body = (await request
        .clone()
        .json()
        .catch(() => null)) as { grant_type?: unknown } | null;
      if (typeof body?.grant_type === 'string') grant = body.grant_type;
    }
    const response = await emulator.app.fetch(request, env);
    calls.push({
      method: request.method,
      route: routeOf(pathname),
      ...(grant ? { grant } : {}),
      status: response.status,
      at,
      durationMs: performance.now() - at,
    });
    return response;
  },
});

// A backlog above Node's default 511: the cold burst opens up to 1,000 connections at once, and a
// dropped SYN would add a one-second retransmission that has nothing to do with the code measured.
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 2048, resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
emulator = createEmulator({ seed: 'demo', latencyMs, issuer: url });

serveControl({
  calls: () => calls,
  'reset-calls': () => {
    calls = [];
    return null;
  },
  stop: () => {
    server.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
    setImmediate(() => process.exit(0));
    return null;
  },
});
announceReady(url);
