/**
 * Serving the emulator over HTTP with `@hono/node-server`. A `drop` fault destroys the socket so
 * that the client sees a network failure, not a response. Every other answer goes out once the
 * client has finished sending its request body (see {@link discardRequestBody}).
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator.js';
import { ConnectionDroppedError } from './faults.js';

/** Options of {@link startEmulator}: those of `createEmulator` plus where to listen. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /**
   * Port to listen on; 0 picks a free one.
   *
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on.
   *
   * @default '127.0.0.1'
   */
  host?: string;
}

/** A listening emulator. */
export interface RunningEmulator {
  /** Base URL to reach it, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The port it listens on (the one picked when 0 was asked for). */
  port: number;
  /** The emulator behind the socket, for the typed helpers (`registerApp`, `advanceClock`, …). */
  emulator: Emulator;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** How long an idle keep-alive connection stays open (Node's default is 5 s). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** At most this much of a request body that the handler left unread is read and thrown away. */
const DISCARD_LIMIT_BYTES = 1024 * 1024;
/** For at most this long (a client that sends slower than this is not waited for). */
const DISCARD_TIMEOUT_MS = 10_000;

/**
 * Reads and throws away what the handler left of the request body (a 413 stops reading at the
 * limit; a 403, a 429 or a fault may not read it at all), so that the answer goes out once the
 * client has finished sending. A server that closes a connection while the client is still writing
 * resets it (TCP RST), and the client's stack then drops the answer it had not read yet: the client
 * sees "other side closed" instead of its 413. Keeping the connection open instead, the server also
 * has to read the rest before it can parse the next request.
 *
 * Returns `false` when it gives up, bounded in size and time against a client that never stops:
 * the connection is then closed after the answer (`Connection: close`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-9.6 (tear-down: a server that closes early risks a reset losing its response)
 */
async function discardRequestBody(request: Request, incoming: IncomingMessage): Promise<boolean> {
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

/** A listening host as it stands in a URL (IPv6 in brackets; the wildcard addresses as loopback). */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts an emulator on a port. Without an `issuer` option the issuer is the URL it listens on,
 * so that `iss` matches whatever a test connects to.
 *
 * @example
 * ```ts
 * const { url, emulator, close } = await startEmulator({ port: 0 });
 * ```
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  let emulator: Emulator | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const server = createAdaptorServer({
    hostname: host,
    fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
      // The issuer depends on the port, known only once listening; a request that races the
      // listening callback waits for the emulator to exist.
      await ready;
      if (!emulator) throw new Error('emulator not started');
      // Only HTTP/1 servers are created here; the cast narrows the adapter's union.
      const bindings = env as HttpBindings;
      try {
        const response = await emulator.app.fetch(request, bindings);
        return (await discardRequestBody(request, bindings.incoming))
          ? response
          : closingConnection(response);
      } catch (error) {
        if (!(error instanceof ConnectionDroppedError)) throw error;
        env.incoming.socket.destroy();
        return new Response(null, { status: 204 });
      }
    },
  });

  // An idle keep-alive connection should be closed by the client, not by the server: a server that
  // closes it first races the client's next request on it, which then fails with "other side closed"
  // and no answer. Node closes idle connections after 5 s and undici after about 4 s, a margin that a
  // busy client (a fuzzing test runner) loses; a minute leaves the closing to the client.
  if ('keepAliveTimeout' in server) {
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  try {
    emulator = createEmulator({ ...options, issuer: options.issuer ?? url });
  } catch (error) {
    server.close();
    throw error;
  }
  markReady();

  return {
    url,
    port,
    emulator,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
