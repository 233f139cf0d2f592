/**
 * Serving the emulator over HTTP with `@hono/node-server`. A `drop` fault destroys the socket so
 * that the client sees a network failure, not a response.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator';
import { ConnectionDroppedError } from './faults';

/** Options of {@link startEmulator}: those of `createEmulator` plus where to listen. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; loopback by default. */
  host?: string;
}

/** A listening emulator. */
export interface RunningEmulator {
  /** Base URL to reach it, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  emulator: Emulator;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
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
      try {
        // Only HTTP/1 servers are created here; the cast narrows the adapter's union.
        return await emulator.app.fetch(request, env as HttpBindings);
      } catch (error) {
        if (!(error instanceof ConnectionDroppedError)) throw error;
        env.incoming.socket.destroy();
        return new Response(null, { status: 204 });
      }
    },
  });

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
