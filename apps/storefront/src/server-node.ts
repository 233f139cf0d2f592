/**
 * @module Runs the storefront on Node's HTTP server.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createStorefront, type Storefront, type StorefrontDeps } from './app';
import type { StorefrontConfig } from './env';

/** A storefront listening on a port. */
export interface RunningStorefront {
  /** The public URL (`config.publicUrl`). */
  url: string;
  /** The port it listens on (the chosen one when the config said 0). */
  port: number;
  storefront: Storefront;
  /** Stops listening, drops open connections and closes the database. */
  close(): Promise<void>;
}

/** Builds the config once the port is known: for tests that listen on port 0. */
export type ConfigForPort = (port: number) => StorefrontConfig;

/**
 * Starts the storefront. Given a config, it listens on `config.port` and `config.host`. Given a
 * function, it first listens on `listen.port` (default 0, a free port) and `listen.host` (default
 * 127.0.0.1), then builds the config for the port it got, so that `PUBLIC_URL` and the redirect URI
 * can name a port chosen by the system.
 * @example
 * const shop = await startStorefront((port) => parseEnv({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }));
 * // ... shop.url ...
 * await shop.close();
 */
export async function startStorefront(
  config: StorefrontConfig | ConfigForPort,
  deps: StorefrontDeps = {},
  listen: { port?: number; host?: string } = {},
): Promise<RunningStorefront> {
  let handler: ((request: Request) => Promise<Response>) | null = null;
  const server = createAdaptorServer({
    // Until the storefront is built (a port-first start), requests get a plain 503.
    fetch: (request) => (handler ? handler(request) : new Response('Starting\n', { status: 503 })),
  });
  const listenOn = async (port: number, host: string): Promise<number> => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  };
  const closeServer = () =>
    new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    });

  let storefront: Storefront;
  let port: number;
  if (typeof config === 'function') {
    port = await listenOn(listen.port ?? 0, listen.host ?? '127.0.0.1');
    try {
      storefront = await createStorefront(config(port), deps);
    } catch (error) {
      await closeServer();
      throw error;
    }
  } else {
    storefront = await createStorefront(config, deps);
    try {
      port = await listenOn(config.port, config.host);
    } catch (error) {
      await storefront.close();
      throw error;
    }
  }
  handler = storefront.fetch;
  return {
    url: storefront.config.publicUrl,
    port,
    storefront,
    async close() {
      await closeServer();
      await storefront.close();
    },
  };
}
