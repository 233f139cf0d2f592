/**
 * @module The storefront as the bench runs it: a child process of its own (so its memory is its
 * own), built with `createStorefront(parseEnv(…))` exactly as `npm start` builds it, JSON logs at the
 * configured level, plus two floor routes that do what the status endpoint does except the linking:
 *
 * - `GET /bench/floor`, registered in the storefront's own Hono app: it passes through the same
 *   middleware as every route of the shop (request log line, security headers, the page session
 *   middleware, which looks up the session and its user) and answers a constant JSON body shaped like
 *   a status view. This is "the framework itself" for the ratio.
 * - `GET /bench/floor-bare`, answered before the Hono app: only the session lookup (the storefront's
 *   own session store and cookie reader) and the same constant JSON. It shows what the shop's own
 *   middleware costs on every request.
 *
 * It counts the database statements it runs (Kysely's `log` hook, through `createStorefront`'s
 * `databaseLog`: once per statement, `BEGIN` and `COMMIT` included) and the requests it answers, so
 * the runner can tell how many statements a request costs: it resets the counts, sends one request
 * with nothing else running (or a load), and reads them.
 *
 * Control over IPC: `create-users`, `create-sessions`, `counters`/`reset-counters`,
 * `profile-start`/`profile-stop` (a CPU profile through the inspector, written as a `.cpuprofile`),
 * `stop`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import {
  createSessionStore,
  createStorefront,
  DEMO_USERS,
  parseEnv,
  readCookie,
  type Storefront,
  sessionCookieSettings,
} from '@cartlink/storefront';
import { createAdaptorServer } from '@hono/node-server';
import { announceReady, serveControl } from './control';

/** What the `counters` control request answers. */
export interface StorefrontCounters {
  /** Database statements (`BEGIN` and `COMMIT` included). */
  statements: number;
  /** Requests that reached the server's handler. */
  requests: number;
  /** The statements' SQL, in order, when the count was reset with `trace: true` (else empty). */
  sql: string[];
  /**
   * The process's CPU time (user + system, every thread: libuv's pool that hashes passwords
   * included) since the reset, in µs. It includes answering the two control messages, a few µs.
   */
  cpuUs: number;
}

/** A constant body with the keys and about the size of a linked-active status view. */
export const FLOOR_BODY = Object.freeze({
  state: 'linked-active',
  reason: null,
  expiredAt: '2030-01-01T00:00:00.000Z',
  manageUrl: 'http://127.0.0.1:1/store/account/instacart-plus',
  joinUrl: 'http://127.0.0.1:1/signup?next=%2Fstore%2Faccount%2Finstacart-plus',
  verifiedAt: '2030-01-01T00:00:00.000Z',
});
const FLOOR_JSON = JSON.stringify(FLOOR_BODY);
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

let handler: ((request: Request) => Promise<Response>) | null = null;
const server = createAdaptorServer({
  fetch: (request: Request) => (handler ? handler(request) : new Response('starting', { status: 503 })),
});
// See servers/emulator.ts: the cold burst opens 1,000 connections at once.
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 2048, resolve));
const port = (server.address() as AddressInfo).port;
const publicUrl = `http://127.0.0.1:${port}`;

const config = parseEnv({ ...process.env, PORT: String(port), PUBLIC_URL: publicUrl });
const bundlePath = process.env.BENCH_ELEMENTS_BUNDLE;
// Statements since the runner last reset the count. The hook is one increment; what a log adds is
// Kysely's own (it times each statement for the log event), on the status path and the floors alike.
let statements = 0;
// Requests answered since the same reset: a load generator stops with requests in flight, which the
// server answered (and ran statements for) but the generator did not count.
let requests = 0;
// The statements' SQL, kept only while the runner asks for it (step 7), never under load.
let trace: string[] | null = null;
// CPU time at the last reset, for the CPU a counted request cost (process.cpuUsage: µs, all threads).
let cpuAtReset = process.cpuUsage();
const storefront: Storefront = await createStorefront(config, {
  ...(bundlePath ? { elementsBundle: { code: readFileSync(bundlePath, 'utf8') } } : {}),
  databaseLog: (event) => {
    statements += 1;
    trace?.push(event.query.sql);
  },
});

const cookie = sessionCookieSettings(config.publicUrl);
const sessions = createSessionStore(storefront.db, {
  idleSeconds: config.sessionIdleSeconds,
  now: () => new Date(),
});

// Added after the shop's own routes, so it runs behind all of the shop's middleware.
storefront.app.get('/bench/floor', (c) => {
  if (!c.get('user')) return c.json({ error: { code: 'not_signed_in' } }, 401);
  c.header('Cache-Control', 'no-store');
  return c.json(FLOOR_BODY);
});

handler = async (request) => {
  requests += 1;
  if (request.method === 'GET' && new URL(request.url).pathname === '/bench/floor-bare') {
    const session = await sessions.get(readCookie(request.headers.get('cookie'), cookie.name));
    if (session?.userId == null) return new Response('{"error":{"code":"not_signed_in"}}', { status: 401 });
    return new Response(FLOOR_JSON, { status: 200, headers: JSON_HEADERS });
  }
  return storefront.fetch(request);
};

let inspector: InspectorSession | undefined;
function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    inspector?.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

serveControl({
  /** Shop accounts for the bench (no password: their sessions are made with `create-sessions`). */
  'create-users': async (args) => {
    const { count } = args as { count: number };
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      await storefront.db
        .insertInto('shop_users')
        .values({
          id,
          email: `bench-${id}@example.test`,
          first_name: 'Bench',
          last_name: `Shopper ${i + 1}`,
          role: 'shopper',
          password_hash: 'none',
          created_at: Date.now(),
        })
        .execute();
      ids.push(id);
    }
    return ids;
  },
  /** Signed-in sessions (the `Cookie` header values), round-robin over the given or the demo shoppers. */
  'create-sessions': async (args) => {
    const { count, userIds } = args as { count: number; userIds?: string[] };
    const owners = userIds ?? DEMO_USERS.filter((user) => user.role === 'shopper').map((user) => user.id);
    const cookies: string[] = [];
    for (let i = 0; i < count; i++) {
      const { id } = await sessions.create(owners[i % owners.length] ?? null);
      cookies.push(`${cookie.name}=${id}`);
    }
    return cookies;
  },
  /** Statements run and requests answered since the last `reset-counters`, and the statements' SQL when traced. */
  counters: (): StorefrontCounters => {
    const cpu = process.cpuUsage(cpuAtReset);
    return { statements, requests, sql: trace ?? [], cpuUs: cpu.user + cpu.system };
  },
  /** Resets the counts; `{ trace: true }` keeps each statement's SQL until the next reset. */
  'reset-counters': (args) => {
    statements = 0;
    requests = 0;
    trace = (args as { trace?: boolean } | undefined)?.trace ? [] : null;
    cpuAtReset = process.cpuUsage();
    return null;
  },
  'profile-start': async (args) => {
    const { intervalUs } = args as { intervalUs: number };
    inspector = new InspectorSession();
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: intervalUs });
    await post('Profiler.start');
    return null;
  },
  'profile-stop': async (args) => {
    const { path } = args as { path: string };
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    inspector?.disconnect();
    inspector = undefined;
    writeFileSync(path, JSON.stringify(profile));
    return path;
  },
  stop: async () => {
    await new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    });
    await storefront.close();
    setImmediate(() => process.exit(0));
    return null;
  },
});
announceReady(publicUrl);
