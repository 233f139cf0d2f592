/**
 * @module Child processes of the resilience run: the emulator (`packages/emulator/src/cli.ts`) and the
 * storefront (`apps/storefront/src/main.ts`), each started as `node --import tsx <entry>` so that the
 * pid we hold is the server itself (the `tsx` CLI would put a second process in between, and a
 * `kill -9` of that wrapper would leave the real server running). Every child is registered in a
 * {@link Scope} and stopped by its own pid, also when the run fails or is interrupted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from here so `tsx` and the workspaces resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Scopes not closed yet, so that an interrupted run can still clean up after every section. */
const openScopes = new Set<Scope>();

/** Cleanup steps run in reverse order of registration, each bounded in time, errors collected. */
export class Scope {
  private readonly steps: Array<{ label: string; run: () => Promise<void> | void }> = [];

  constructor() {
    openScopes.add(this);
  }

  /** Registers a cleanup step. */
  add(label: string, run: () => Promise<void> | void): void {
    this.steps.push({ label, run });
  }

  /** Runs every step (last registered first); returns the failures as text. */
  async close(): Promise<string[]> {
    openScopes.delete(this);
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      if (!step) break;
      try {
        await withTimeout(Promise.resolve(step.run()), 20_000, `cleanup ${step.label}`);
      } catch (error) {
        failures.push(`${step.label}: ${describeError(error)}`);
      }
    }
    return failures;
  }
}

/** Closes every scope still open (on SIGINT or the hard time limit); returns the failures. */
export async function closeOpenScopes(): Promise<string[]> {
  const failures: string[] = [];
  for (const scope of [...openScopes].reverse()) failures.push(...(await scope.close()));
  return failures;
}

/** Every child still running, so that an abrupt exit of the runner can SIGKILL them by pid. */
const liveChildren = new Map<number, string>();
process.on('exit', () => {
  for (const pid of liveChildren.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** A running child server. */
export interface ChildServer {
  name: string;
  pid: number;
  url: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** `kill -9` of this pid, then waits for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period; waits for the exit. */
  stop(): Promise<void>;
  /** The last lines of stderr. */
  stderrTail(): string;
  /** Log lines at level error or worse (pino level ≥ 50), or `[emulator] unexpected error` lines. */
  errorLines(): string[];
}

/** A free TCP port on loopback (closed again before it is returned). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface SpawnOptions {
  name: string;
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  /** Recognises the line that says the server is ready and returns its URL. */
  ready: (line: string) => string | null;
  readyTimeoutMs?: number;
}

async function spawnServer(scope: Scope, options: SpawnOptions): Promise<ChildServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', options.entry, ...(options.args ?? [])],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: could not start`);
  liveChildren.set(pid, options.name);
  let exited = false;
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      liveChildren.delete(pid);
      resolve({ code, signal });
    });
  });
  let stderr = '';
  const errors: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-6000);
    if (/unexpected error|Error:/i.test(chunk) && errors.length < 50) errors.push(chunk.trim().slice(0, 400));
  });
  let buffered = '';
  let onLine: ((line: string) => void) | null = null;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let index = buffered.indexOf('\n');
    while (index !== -1) {
      const line = buffered.slice(0, index);
      buffered = buffered.slice(index + 1);
      index = buffered.indexOf('\n');
      onLine?.(line);
      if (line.startsWith('{')) {
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
          if ((entry.level ?? 0) >= 50 && errors.length < 50) {
            errors.push(
              `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`.slice(0, 400),
            );
          }
        } catch {
          // Not a log line.
        }
      }
    }
  });

  const server: ChildServer = {
    name: options.name,
    pid,
    url: '',
    exited: exitedPromise,
    hasExited: () => exited,
    async kill9() {
      if (exited) return;
      process.kill(pid, 'SIGKILL');
      await exitedPromise;
    },
    async stop() {
      if (exited) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) process.kill(pid, 'SIGKILL');
      }, 5_000);
      await exitedPromise;
      clearTimeout(timer);
    },
    stderrTail: () => stderr.trim().split('\n').slice(-8).join('\n'),
    errorLines: () => [...errors],
  };
  scope.add(`stop ${options.name} (pid ${pid})`, () => server.stop());

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  server.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.name}: not ready after ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    onLine = (line) => {
      const url = options.ready(line);
      if (url !== null) {
        clearTimeout(timer);
        onLine = null;
        resolve(url);
      }
    };
    void exitedPromise.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready: ${stderr.trim()}`));
    });
  });
  return server;
}

/** Starts the emulator CLI on a free port with the demo seed, plus `args` (e.g. log-in limits). */
export function startEmulatorChild(
  scope: Scope,
  name = 'emulator',
  args: string[] = [],
): Promise<ChildServer> {
  return spawnServer(scope, {
    name,
    entry: 'packages/emulator/src/cli.ts',
    args: ['--port', '0', '--seed', 'demo', ...args],
    ready: (line) => /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? null,
  });
}

/** What a storefront child needs: its port, its database and the emulator it talks to. */
export interface StorefrontChildOptions {
  name: string;
  port: number;
  databaseUrl: string;
  emulatorUrl: string;
  env?: Record<string, string>;
}

/** Starts `apps/storefront/src/main.ts` with its configuration in the environment, as docs/product.md names it. */
export function startStorefrontChild(scope: Scope, options: StorefrontChildOptions): Promise<ChildServer> {
  const publicUrl = `http://127.0.0.1:${options.port}`;
  return spawnServer(scope, {
    name: options.name,
    entry: 'apps/storefront/src/main.ts',
    env: {
      PORT: String(options.port),
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      DATABASE_URL: options.databaseUrl,
      CONNECT_BASE_URL: options.emulatorUrl,
      CONNECT_AUTH_URL: `${options.emulatorUrl}/oauth/authorize`,
      CONNECT_CLIENT_ID: 'cartlink-demo',
      CONNECT_CLIENT_SECRET: 'cartlink-demo-secret',
      CONNECT_USE_PKCE: 'true',
      INSTACART_WEB_URL: options.emulatorUrl,
      LOG_LEVEL: 'warn',
      // Every shopper of the run comes from 127.0.0.1, so the per-address sign-in limit (100 in 15
      // minutes by default) is raised here, explicitly; the storefront exempts no address itself.
      SIGNIN_ADDRESS_LIMIT: '1000000',
      ...options.env,
    },
    ready: (line) => (line.startsWith('Corner Market: ') ? publicUrl : null),
  });
}

/** Rejects after `ms` with a message naming `label`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One line for an error, with its cause. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`.split('\n')[0] ?? error.message;
}

/** Sleeps. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}
