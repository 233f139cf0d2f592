/**
 * @module Child processes of the package test: commands with a time limit (`npm install`, `tsc`) and
 * servers that are ready when they print a line (the emulator, the example shops). Every child runs
 * in its own process group and is registered until it exits, so that a timeout, a failed step or an
 * interrupted run stops it and whatever it started (node-gyp under `npm install`), by its own pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Children still running: process group id to name. */
const liveGroups = new Map<number, string>();

/** Sends `signal` to the process group a child leads (the child was spawned `detached`). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGKILLs every child still running; for the runner's exit and interrupt paths. */
export function killLiveChildren(): string[] {
  const killed: string[] = [];
  for (const [pid, name] of liveGroups) {
    signalGroup(pid, 'SIGKILL');
    killed.push(`${name} (pid ${pid})`);
  }
  liveGroups.clear();
  return killed;
}
process.on('exit', () => {
  killLiveChildren();
});

/** A command that failed: its message says which, how, and ends with the tail of its output. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly result: CommandResult,
  ) {
    super(message);
  }
}

/** What a finished command printed and how it ended. */
export interface CommandResult {
  /** The command line, for messages. */
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Killed (with its process group) after this long. */
  timeoutMs: number;
  /** Resolve instead of throwing on a non-zero exit (the caller reads `code`). Default false. */
  allowFailure?: boolean;
}

/** The last `lines` lines of a text, for error messages. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function track(child: ChildProcess, name: string): number {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start`);
  liveGroups.set(pid, name);
  child.once('exit', () => liveGroups.delete(pid));
  return pid;
}

/**
 * Runs a command to its end, capturing its output. Throws a {@link CommandError} on a timeout, and on
 * a non-zero exit unless `allowFailure`.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandResult> {
  const label = [command, ...args].join(' ');
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = track(child, label);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(pid, 'SIGKILL');
  }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result: CommandResult = {
        command: label,
        code,
        signal,
        stdout,
        stderr,
        ms: performance.now() - started,
        timedOut,
      };
      if (timedOut) {
        reject(
          new CommandError(
            `\`${label}\` did not finish within ${Math.round(options.timeoutMs / 1000)} s (killed)\n${tail(stderr || stdout)}`,
            result,
          ),
        );
      } else if (code !== 0 && !options.allowFailure) {
        reject(
          new CommandError(
            `\`${label}\` exited with ${code ?? signal}\n${tail(`${stdout}\n${stderr}`)}`,
            result,
          ),
        );
      } else {
        resolve(result);
      }
    });
  });
}

/** A running server started by {@link startServer}. */
export interface ChildServer {
  name: string;
  pid: number;
  /** The URL its ready line named. */
  url: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM to its process group, SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env?: Record<string, string | undefined>;
  /**
   * Reads the URL from the line that says the server is ready, or null for any other line; throwing
   * gives up at once (a first line that is not the expected one).
   */
  ready: (line: string) => string | null;
  readyTimeoutMs: number;
}

/**
 * Starts a server and waits for its ready line on stdout. Rejects, with the server stopped and its
 * output in the message, when it exits first or the line does not come in time.
 */
export async function startServer(options: ServerOptions): Promise<ChildServer> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = track(child, options.name);
  let output = '';
  let ended = false;
  // 'close', not 'exit': 'exit' may come before stdout and stderr are drained, and the message of a
  // server that stopped early must hold its last lines (the reason it stopped).
  const end = new Promise<string>((resolve) => {
    child.once('close', (code, signal) => {
      ended = true;
      resolve(String(code ?? signal));
    });
  });
  const server: ChildServer = {
    name: options.name,
    pid,
    url: '',
    output: () => output,
    async stop() {
      if (ended) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5_000);
      await end;
      clearTimeout(timer);
    },
  };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  let pending = '';
  let onLine: ((line: string) => void) | null = null;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    pending += chunk;
    for (let index = pending.indexOf('\n'); index !== -1; index = pending.indexOf('\n')) {
      const line = pending.slice(0, index);
      pending = pending.slice(index + 1);
      onLine?.(line);
    }
  });
  try {
    server.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${options.name} printed no ready line within ${Math.round(options.readyTimeoutMs / 1000)} s\n${tail(output)}`,
            ),
          ),
        options.readyTimeoutMs,
      );
      onLine = (line) => {
        let url: string | null;
        try {
          url = options.ready(line);
        } catch (error) {
          clearTimeout(timer);
          onLine = null;
          reject(error);
          return;
        }
        if (url === null) return;
        clearTimeout(timer);
        onLine = null;
        resolve(url);
      };
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} could not start: ${error.message}`));
      });
      void end.then((how) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${how}) before it was ready\n${tail(output)}`));
      });
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether an error says a port was taken: `EADDRINUSE` in its message (a server's output ends it). */
export function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && /\bEADDRINUSE\b/.test(error.message);
}

/**
 * Runs `start` with a free port, and once more with another when it fails with `EADDRINUSE`: the port
 * {@link findFreePort} returns is closed before the child binds it, so another process may take it in
 * between. For a child that must know its port before it starts (its public URL names it), where
 * `PORT=0` does not do. `onRetry` is told why the second attempt is made; `pickPort` finds the ports
 * (a test gives its own).
 */
export async function withFreePort<T>(
  start: (port: number) => Promise<T>,
  onRetry: (message: string) => void = () => {},
  pickPort: () => Promise<number> = findFreePort,
): Promise<T> {
  const port = await pickPort();
  try {
    return await start(port);
  } catch (error) {
    if (!isAddressInUse(error)) throw error;
    const next = await pickPort();
    onRetry(`port ${port} was taken before the server bound it (EADDRINUSE): trying port ${next}`);
    return start(next);
  }
}
