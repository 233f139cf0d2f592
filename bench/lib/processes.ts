/**
 * @module Starting the bench's servers as child processes: each runs TypeScript through tsx's loader
 * (`node --import tsx`), so the child's pid is the Node process itself and `/proc/<pid>/status` gives
 * its own resident memory. The runner talks to a child over its IPC channel (see `servers/control.ts`)
 * and stops only the processes it started, by pid.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ControlReply, ReadyMessage } from '../servers/control';

/** A running child server. */
export interface ChildServer {
  name: string;
  url: string;
  pid: number;
  /** Sends a control request and waits for its answer. */
  call<T>(op: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Resident set size now, in MiB (VmRSS). */
  rssMb(): number;
  /** CPU time used so far (user + system, all threads), in ms, at the kernel's tick resolution. */
  cpuMs(): number;
  /** Asks the child to stop, then waits for it to exit (SIGKILL to this pid after a grace period). */
  stop(): Promise<void>;
  /** The last lines the child wrote to stderr, for error messages. */
  stderrTail(): string;
}

/** Resident set size of a process in MiB, from `/proc/<pid>/status`. */
export function readRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`No VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

const TICKS_PER_SECOND = 100;

/**
 * CPU time of a process so far (user + system, every thread, exited ones included), in ms, from
 * `/proc/<pid>/stat`. Kernel ticks are 10 ms: measure over hundreds of ms or more.
 */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Absolute path of a file under `bench/`. */
export function benchPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

/**
 * Starts `script` (a path under `bench/`) with `env` added to this process's environment and waits for
 * its `ready` message. Its stdout (the storefront's JSON log lines) goes to /dev/null; stderr is kept
 * for error messages.
 */
export async function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  options: { execArgv?: string[]; readyTimeoutMs?: number } = {},
): Promise<ChildServer> {
  const child: ChildProcess = fork(benchPath(script), [], {
    execArgv: [...(options.execArgv ?? []), '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start`);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const waiter of pending.values()) {
        waiter.reject(new Error(`${name} exited (${code ?? signal}) during a request\n${stderr}`));
      }
      pending.clear();
      resolve();
    });
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: not ready after ${options.readyTimeoutMs ?? 60_000} ms\n${stderr}`)),
      options.readyTimeoutMs ?? 60_000,
    );
    child.on('message', (message: ReadyMessage | ControlReply) => {
      if ('type' in message && message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.url);
        return;
      }
      if (!('id' in message)) return;
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    void exitPromise.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready\n${stderr}`));
    });
  });

  return {
    name,
    url,
    pid,
    call<T>(op: string, args?: unknown, timeoutMs = 60_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${op} timed out`));
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
    rssMb: () => readRssMb(pid),
    cpuMs: () => readCpuMs(pid),
    async stop() {
      if (exited) return;
      child.send({ id: 0, op: 'stop' });
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(killTimer);
    },
    stderrTail: () => stderr,
  };
}
