/**
 * @module The one launcher of child processes for the repository's tooling (the package test, the
 * resilience run, the bench): commands with a time limit (`npm install`, `tsc`) and servers that are
 * ready when they print a line or send a `ready` message over IPC (the emulator, the storefront, the
 * example shops, the bench's servers). Every child runs in its own process group and is registered
 * until it exits, so that a timeout, a failed step or an interrupted run stops it and whatever it
 * started (node-gyp under `npm install`), by its own pid. TypeScript entries run as
 * `node --import tsx <entry>` ({@link tsxCommand}), so the pid held is the server itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/**
 * Registers a child by its process group. A child that could not be started (no such command, no
 * such folder) has no pid and emits `error` next: a listener is attached here at once, so that the
 * event is never unhandled (which would crash the runner), and the caller's own `error` listener
 * turns it into a rejection.
 */
function track(child: ChildProcess, name: string): number {
  child.on('error', () => {});
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
  /** The URL its ready line (or `ready` message) named. */
  url: string;
  /** Resolves once the process has exited and its output is drained, with how it ended. */
  exited: Promise<string>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** Everything it printed so far, stdout and stderr interleaved (the last 256 KiB). */
  output(): string;
  /** The last lines of stderr, for error messages. */
  stderrTail(): string;
  /**
   * Lines that report a failure: JSON log lines at level error or worse (pino's 50 and up), and
   * stderr lines naming an error (`Error:`, `unexpected error`).
   */
  errorLines(): string[];
  /** Resident set size now, in MiB (`VmRSS` of /proc). */
  rssMb(): number;
  /** CPU time used so far (user + system, every thread), in ms, at the kernel's 10 ms tick. */
  cpuMs(): number;
  /** A request over the IPC channel (servers started with `ipc: true`); resolves with the reply's value. */
  call<T>(op: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** SIGTERM to its process group (the `stop` request over IPC when it has one), SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** `kill -9` of its process group, then waits for the exit: a crash, for recovery tests. */
  kill9(): Promise<void>;
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
   * gives up at once (a first line that is not the expected one). `'ipc'`: the server announces
   * itself with a `{type: 'ready', url}` message over the IPC channel instead (implies `ipc`).
   */
  ready: ((line: string) => string | null) | 'ipc';
  /** Opens an IPC channel (Node's `process.send`) for {@link ChildServer.call}. Default false. */
  ipc?: boolean;
  /** @default 60000 */
  readyTimeoutMs?: number;
  /** How long `stop` waits before SIGKILL. @default 5000 */
  stopGraceMs?: number;
  /**
   * `'ignore'` sends stdout to /dev/null: for a server that logs a line per request under load (the
   * runner would read and parse every one), ready by IPC. @default 'keep'
   */
  stdout?: 'keep' | 'ignore';
}

/** The command and arguments that run a TypeScript file through tsx's loader, as one Node process. */
export function tsxCommand(entry: string, args: readonly string[] = []): { command: string; args: string[] } {
  // `node --import tsx`, not the `tsx` CLI: the pid held is then the server itself, and a kill -9 of
  // it is the server's crash, not a wrapper's.
  return { command: process.execPath, args: ['--import', 'tsx', entry, ...args] };
}

/** The reply of a child to a numbered IPC request. */
interface ControlReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

const OUTPUT_LIMIT = 256 * 1024;
const TICKS_PER_SECOND = 100;

/** Resident set size of a process in MiB, from `/proc/<pid>/status`. */
export function readRssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`No VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** CPU time of a process so far (user + system, every thread), in ms, from `/proc/<pid>/stat`. */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** The failure a line reports, or null: a JSON log line at level error or worse, or an error on stderr. */
function errorOf(line: string, fromStderr: boolean): string | null {
  if (line.startsWith('{')) {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) < 50) return null;
      return `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`.slice(0, 400);
    } catch {
      return null;
    }
  }
  return fromStderr && /unexpected error|Error:/i.test(line) ? line.trim().slice(0, 400) : null;
}

/** Calls `onLine` with each line of a stream, the last one too when it has no newline. */
function eachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let pending = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    pending += chunk;
    for (let index = pending.indexOf('\n'); index !== -1; index = pending.indexOf('\n')) {
      onLine(pending.slice(0, index));
      pending = pending.slice(index + 1);
    }
  });
  stream?.on('end', () => {
    if (pending !== '') onLine(pending);
    pending = '';
  });
}

/**
 * Starts a server and waits until it is ready: its ready line on stdout, or its `ready` message over
 * IPC. Rejects, with the server stopped and its output in the message, when it exits first or is not
 * ready in time.
 */
export async function startServer(options: ServerOptions): Promise<ChildServer> {
  const ipc = options.ipc === true || options.ready === 'ipc';
  if (options.stdout === 'ignore' && options.ready !== 'ipc') {
    throw new Error(`${options.name}: a server whose stdout is ignored must say it is ready over IPC`);
  }
  const stdout = options.stdout === 'ignore' ? 'ignore' : 'pipe';
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ipc ? ['ignore', stdout, 'pipe', 'ipc'] : ['ignore', stdout, 'pipe'],
    detached: true,
  });
  const pid = track(child, options.name);
  let output = '';
  let stderr = '';
  const errors: string[] = [];
  let ended = false;
  // 'close', not 'exit': 'exit' may come before stdout and stderr are drained, and the message of a
  // server that stopped early must hold its last lines (the reason it stopped).
  const end = new Promise<string>((resolve) => {
    child.once('close', (code, signal) => {
      ended = true;
      resolve(String(code ?? signal));
    });
  });
  const keep = (line: string, fromStderr: boolean) => {
    output = `${output}${line}\n`.slice(-OUTPUT_LIMIT);
    if (fromStderr) stderr = `${stderr}${line}\n`.slice(-8192);
    const error = errorOf(line, fromStderr);
    if (error !== null && errors.length < 50) errors.push(error);
  };
  let onLine: ((line: string) => void) | null = null;
  eachLine(child.stderr, (line) => keep(line, true));
  eachLine(child.stdout, (line) => {
    keep(line, false);
    onLine?.(line);
  });

  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let onReadyMessage: ((url: string) => void) | null = null;
  child.on('message', (message: { type?: string; url?: string } | ControlReply) => {
    if ('type' in message && message.type === 'ready' && typeof message.url === 'string') {
      onReadyMessage?.(message.url);
      return;
    }
    if (!('id' in message)) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`${options.name}: ${message.error}`));
  });
  void end.then((how) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`${options.name} exited (${how}) during a request\n${tail(stderr)}`));
    }
    pending.clear();
  });

  const waitForEnd = async (graceMs: number) => {
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    await end;
    clearTimeout(timer);
  };
  const server: ChildServer = {
    name: options.name,
    pid,
    url: '',
    exited: end,
    hasExited: () => ended,
    output: () => output,
    stderrTail: () => tail(stderr, 8),
    errorLines: () => [...errors],
    rssMb: () => readRssMb(pid),
    cpuMs: () => readCpuMs(pid),
    call<T>(op: string, args?: unknown, timeoutMs = 60_000): Promise<T> {
      if (!ipc) return Promise.reject(new Error(`${options.name} has no IPC channel`));
      if (ended) return Promise.reject(new Error(`${options.name} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${options.name}: ${op} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, op, args });
      });
    },
    async stop() {
      if (ended) return;
      if (ipc && child.connected) child.send({ id: 0, op: 'stop' });
      else signalGroup(pid, 'SIGTERM');
      await waitForEnd(options.stopGraceMs ?? 5_000);
    },
    async kill9() {
      if (ended) return;
      signalGroup(pid, 'SIGKILL');
      await end;
    },
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const ready = options.ready;
  try {
    server.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${options.name} was not ready within ${Math.round(readyTimeoutMs / 1000)} s\n${tail(output)}`,
            ),
          ),
        readyTimeoutMs,
      );
      const done = (url: string) => {
        clearTimeout(timer);
        onLine = null;
        onReadyMessage = null;
        resolve(url);
      };
      if (ready === 'ipc') {
        onReadyMessage = done;
      } else {
        onLine = (line) => {
          let url: string | null;
          try {
            url = ready(line);
          } catch (error) {
            clearTimeout(timer);
            onLine = null;
            reject(error);
            return;
          }
          if (url !== null) done(url);
        };
      }
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
