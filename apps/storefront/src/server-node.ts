/**
 * @module Runs the storefront on Node's HTTP server. Every answer goes out once the client has
 * finished sending its request body (see `discardRequestBody`).
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createStorefront, type Storefront, type StorefrontDeps } from './app.js';
import type { StorefrontConfig } from './env.js';

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

/** At most this much of a request body that the shop left unread is read and thrown away. */
const DISCARD_LIMIT_BYTES = 1024 * 1024;
/** For at most this long (a client that sends slower than this is not waited for). */
const DISCARD_TIMEOUT_MS = 10_000;

/**
 * Reads and throws away what the shop left of the request body (a 413 refused by its
 * `Content-Length`, a 403 or 415 answered before reading), so that the answer goes out once the
 * client has finished sending. A server that closes a connection while the client is still writing
 * resets it (TCP RST), and the client's stack then drops the answer it had not read yet: the
 * client sees "other side closed" instead of its 413. Keeping the connection open instead, the
 * server also has to read the rest before it can parse the next request.
 *
 * Returns `false` when it gives up, bounded in size and time against a client that never stops:
 * the connection is then closed after the answer (`Connection: close`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-9.6 (tear-down: a server that closes early risks a reset losing its response)
 */
async function discardRequestBody(
  request: Request,
  incoming: { complete: boolean; headers: { 'content-length'?: string | undefined } },
): Promise<boolean> {
  if (incoming.complete) return true;
  if (Number(incoming.headers['content-length']) > DISCARD_LIMIT_BYTES) return false;
  // No body stream (GET, HEAD): Node itself discards whatever follows before the next request.
  const body = request.body;
  if (!body) return true;
  if (body.locked) return false;
  const reader = body.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => undefined);
  }, DISCARD_TIMEOUT_MS);
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) return false;
      if (done) return true;
      received += value.byteLength;
      if (received > DISCARD_LIMIT_BYTES) return false;
    }
  } catch {
    // The client went away: there is nobody left to answer.
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** The answer, with `Connection: close` (Node then closes the connection once it is sent). */
function closingConnection(response: Response): Response {
  const copy = new Response(response.body, response);
  copy.headers.set('connection', 'close');
  return copy;
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
  let handler: Storefront['fetch'] | null = null;
  const server = createAdaptorServer({
    // Until the storefront is built (a port-first start), requests get a plain 503. The socket's peer
    // goes along for the per-address sign-in limit.
    fetch: async (request, env) => {
      const response = handler
        ? await handler(request, { remoteAddress: env.incoming.socket.remoteAddress })
        : new Response('Starting\n', { status: 503, headers: { 'Retry-After': '1' } });
      return (await discardRequestBody(request, env.incoming)) ? response : closingConnection(response);
    },
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
