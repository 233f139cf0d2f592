/**
 * @module Starting the bench's servers, each in a child process of its own through the repository's one
 * launcher (`testing/processes.ts`), so that `/proc/<pid>` gives its own memory and CPU time: the
 * emulator with latency L, the storefront (demo configuration, pointed at that emulator, its own SQLite
 * file, JSON logs at `info` as `npm start` runs it), the peer, and the memory baseline. Each announces
 * itself and takes bench-only requests over IPC (`servers/control.ts`). The servers still running are
 * kept here, so that the end of a run, an error or Ctrl-C stops every one of them.
 */
import { fileURLToPath } from 'node:url';
import { type ChildServer, startServer, tsxCommand } from '../../testing/processes';
import { PEER_APP, STOREFRONT_APP } from './context';

export type { ChildServer };

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file under `bench/`. */
export function benchPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

const running = new Set<ChildServer>();

async function startBenchServer(name: string, entry: string, env: Record<string, string>) {
  const server = await startServer({
    name,
    ...tsxCommand(benchPath(entry)),
    cwd: REPO_ROOT,
    env,
    ready: 'ipc',
    // The storefront prints a JSON log line per request; reading thousands a second in the runner,
    // which shares the machine with the servers and the load generator, would become part of what
    // is measured.
    stdout: 'ignore',
    stopGraceMs: 10_000,
  });
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

/** The servers started and not yet exited. */
export function runningServers(): ChildServer[] {
  return [...running];
}

/** Stops every server still running. */
export async function stopAllServers(): Promise<void> {
  await Promise.allSettled(runningServers().map((server) => server.stop()));
}

/** The memory baseline: tsx's loader and the control channel, nothing else. */
export function startIdleServer(): Promise<ChildServer> {
  return startBenchServer('node+tsx', 'servers/idle.ts', {});
}

export function startEmulatorServer(latencyMs: number, name = 'emulator'): Promise<ChildServer> {
  return startBenchServer(name, 'servers/emulator.ts', { BENCH_LATENCY_MS: String(latencyMs) });
}

const UNSET_STOREFRONT_VARIABLES = [
  'HOST',
  'CONNECT_REDIRECT_URI',
  'CONNECT_RETAILER_ID',
  'CONNECT_ISSUER',
  'CONNECT_TIMEOUT_MS',
  'DELIVERY_GRACE_SECONDS',
  'SESSION_IDLE_SECONDS',
];

export function startStorefrontServer(
  emulatorUrl: string,
  databasePath: string,
  options: { name?: string; prebuiltBundlePath?: string; env?: Record<string, string> } = {},
): Promise<ChildServer> {
  return startBenchServer(options.name ?? 'storefront', 'servers/storefront-with-floor.ts', {
    // Whatever the caller's shell sets, the bench runs the demo defaults (empty means unset).
    ...Object.fromEntries(UNSET_STOREFRONT_VARIABLES.map((name) => [name, ''])),
    DATABASE_URL: databasePath,
    CONNECT_BASE_URL: emulatorUrl,
    CONNECT_AUTH_URL: `${emulatorUrl}/oauth/authorize`,
    CONNECT_CLIENT_ID: STOREFRONT_APP.clientId,
    CONNECT_CLIENT_SECRET: STOREFRONT_APP.clientSecret,
    CONNECT_USE_PKCE: 'true',
    INSTACART_WEB_URL: emulatorUrl,
    LOG_LEVEL: 'info',
    BENCH_ELEMENTS_BUNDLE: options.prebuiltBundlePath ?? '',
    ...options.env,
  });
}

export function startPeerServer(emulatorUrl: string, bundlePath: string): Promise<ChildServer> {
  return startBenchServer('peer', 'peers/naive-server.ts', {
    PEER_CONNECT_BASE_URL: emulatorUrl,
    PEER_CONNECT_AUTH_URL: `${emulatorUrl}/oauth/authorize`,
    PEER_CLIENT_ID: PEER_APP.clientId,
    PEER_CLIENT_SECRET: PEER_APP.clientSecret,
    PEER_INSTACART_WEB_URL: emulatorUrl,
    BENCH_ELEMENTS_BUNDLE: bundlePath,
  });
}
