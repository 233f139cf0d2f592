/**
 * @module Starting the bench's servers, each in a child process of its own through the repository's one
 * launcher (`testing/processes.ts`), so that `/proc/<pid>` gives its own memory and CPU time: the
 * emulator with latency L, the storefront (demo configuration, pointed at that emulator, its own
 * database, JSON logs at `info` as `npm start` runs it), the peer, and the memory baselines. Every one
 * runs on plain `node` from the shells compiled at the start of the run (`compile-servers.ts`), except
 * the tsx baseline, which is there to show what tsx's loader alone costs. Each announces itself and
 * takes bench-only requests over IPC (`servers/control.ts`). The servers still running are kept here,
 * so that the end of a run, an error or Ctrl-C stops every one of them.
 */
import { fileURLToPath } from 'node:url';
import { type ChildServer, type ServerOptions, startServer, tsxCommand } from '../../testing/processes';
import { type CompiledServers, compileServers, type ServerEntry } from './compile-servers';
import { PEER_APP, STOREFRONT_APP } from './context';

export type { ChildServer };

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file under `bench/`. */
export function benchPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

const running = new Set<ChildServer>();
let compiled: CompiledServers | undefined;

/** Compiles the server shells into `dir` (the run's temporary directory); before any server starts. */
export async function prepareServers(dir: string): Promise<void> {
  compiled = await compileServers(dir);
}

function nodeCommand(entry: ServerEntry): { command: string; args: string[] } {
  if (!compiled) throw new Error('prepareServers() must run before a server starts');
  return { command: process.execPath, args: [compiled.path(entry)] };
}

async function startBenchServer(
  name: string,
  command: { command: string; args: string[] },
  env: Record<string, string>,
  ready: ServerOptions['ready'] = 'ipc',
): Promise<ChildServer> {
  const server = await startServer({
    name,
    ...command,
    cwd: REPO_ROOT,
    env,
    ready,
    // The storefront prints a JSON log line per request; reading thousands a second in the runner,
    // which shares the machine with the servers and the load generator, would become part of what
    // is measured.
    stdout: ready === 'ipc' ? 'ignore' : 'keep',
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

/** The memory baseline of the ratios: plain `node` with an empty `node:http` server. */
export function startEmptyHttpServer(): Promise<ChildServer> {
  return startBenchServer('node:http baseline', nodeCommand('empty-http'), {}, (line) =>
    line.startsWith('listening on ') ? line.slice('listening on '.length) : null,
  );
}

/** The old baseline, for information: tsx's loader and the control channel, nothing else. */
export function startTsxBaselineServer(): Promise<ChildServer> {
  return startBenchServer('node+tsx baseline', tsxCommand(benchPath('servers/idle.ts')), {});
}

export function startEmulatorServer(latencyMs: number, name = 'emulator'): Promise<ChildServer> {
  return startBenchServer(name, nodeCommand('emulator'), { BENCH_LATENCY_MS: String(latencyMs) });
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

/** Options of {@link startStorefrontServer}. */
export interface StorefrontServerOptions {
  name?: string;
  /** An elements bundle file to serve instead of the package's prebuilt one (saves a read at start). */
  prebuiltBundlePath?: string;
  env?: Record<string, string>;
}

/**
 * A storefront on `databaseUrl` (a SQLite file or a `postgres://` URL, as `DATABASE_URL` takes it),
 * pointed at the emulator at `emulatorUrl`.
 */
export function startStorefrontServer(
  emulatorUrl: string,
  databaseUrl: string,
  options: StorefrontServerOptions = {},
): Promise<ChildServer> {
  return startBenchServer(options.name ?? 'storefront', nodeCommand('storefront'), {
    // Whatever the caller's shell sets, the bench runs the demo defaults (empty means unset).
    ...Object.fromEntries(UNSET_STOREFRONT_VARIABLES.map((name) => [name, ''])),
    DATABASE_URL: databaseUrl,
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
  return startBenchServer('peer', nodeCommand('peer'), {
    PEER_CONNECT_BASE_URL: emulatorUrl,
    PEER_CONNECT_AUTH_URL: `${emulatorUrl}/oauth/authorize`,
    PEER_CLIENT_ID: PEER_APP.clientId,
    PEER_CLIENT_SECRET: PEER_APP.clientSecret,
    PEER_INSTACART_WEB_URL: emulatorUrl,
    // The storefront's stylesheet, icon and script, which the peer's page serves too.
    PEER_ASSETS_DIR: `${REPO_ROOT}apps/storefront/assets`,
    BENCH_ELEMENTS_BUNDLE: bundlePath,
  });
}
