/**
 * @module Starting the bench's three kinds of server with their configuration: the emulator with
 * latency L, the storefront (demo configuration, pointed at that emulator, its own SQLite file, JSON
 * logs at `info` as `npm start` runs it) and the peer.
 */
import { PEER_APP, STOREFRONT_APP } from './context';
import { type ChildServer, startChild } from './processes';

const UNSET_STOREFRONT_VARIABLES = [
  'HOST',
  'CONNECT_REDIRECT_URI',
  'CONNECT_RETAILER_ID',
  'CONNECT_ISSUER',
  'CONNECT_TIMEOUT_MS',
  'DELIVERY_GRACE_SECONDS',
  'SESSION_IDLE_SECONDS',
];

export function startEmulatorServer(latencyMs: number, name = 'emulator'): Promise<ChildServer> {
  return startChild(name, 'servers/emulator.ts', { BENCH_LATENCY_MS: String(latencyMs) });
}

export function startStorefrontServer(
  emulatorUrl: string,
  databasePath: string,
  options: { name?: string; prebuiltBundlePath?: string; env?: Record<string, string> } = {},
): Promise<ChildServer> {
  return startChild(options.name ?? 'storefront', 'servers/storefront-with-floor.ts', {
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
    ...(options.prebuiltBundlePath
      ? { BENCH_ELEMENTS_BUNDLE: options.prebuiltBundlePath }
      : { BENCH_ELEMENTS_BUNDLE: '' }),
    ...options.env,
  });
}

export function startPeerServer(emulatorUrl: string, bundlePath: string): Promise<ChildServer> {
  return startChild('peer', 'peers/naive-server.ts', {
    PEER_CONNECT_BASE_URL: emulatorUrl,
    PEER_CONNECT_AUTH_URL: `${emulatorUrl}/oauth/authorize`,
    PEER_CLIENT_ID: PEER_APP.clientId,
    PEER_CLIENT_SECRET: PEER_APP.clientSecret,
    PEER_INSTACART_WEB_URL: emulatorUrl,
    BENCH_ELEMENTS_BUNDLE: bundlePath,
  });
}
