/**
 * @module The control channel between the bench runner and the servers it starts as child processes
 * (Node IPC, never a network port): a server announces itself with `ready`, and answers numbered
 * requests with a reply carrying the same id. Bench-only operations (creating sessions, starting a CPU
 * profile, stopping) travel here, so nothing of the kind is reachable over HTTP.
 */

/** A server's first message: where it listens. */
export interface ReadyMessage {
  type: 'ready';
  url: string;
}

/** A numbered request from the runner. */
export interface ControlRequest {
  id: number;
  op: string;
  args?: unknown;
}

/** The answer to a {@link ControlRequest}. */
export interface ControlReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

type Handler = (args: unknown) => Promise<unknown> | unknown;

/**
 * Serves control requests in a child process: each `op` maps to a handler whose result (or error
 * message) goes back to the runner.
 */
export function serveControl(handlers: Record<string, Handler>): void {
  process.on('message', (message: ControlRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.id !== 'number') return;
    const handler = handlers[message.op];
    const reply = (body: Omit<ControlReply, 'id'>) => process.send?.({ id: message.id, ...body });
    if (!handler) {
      reply({ ok: false, error: `unknown op ${message.op}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (value) => reply({ ok: true, value }),
        (error: unknown) =>
          reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
}

/** Tells the runner that the server listens at `url`. */
export function announceReady(url: string): void {
  if (!process.send)
    throw new Error('This server is meant to be started by bench/run.ts (needs an IPC channel)');
  process.send({ type: 'ready', url } satisfies ReadyMessage);
}
