/**
 * `startTestEmulator`: an emulator on a free loopback port for one test file or one CI job, in this
 * process (fast; the typed in-process helpers stay at hand) or as a child process running the
 * package's own command (what a shop under test meets in CI; it can be killed without taking the
 * test runner down). Either way the test gets its URL, an {@link EmulatorAdmin} and one `stop()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Emulator, EmulatorOptions } from '../emulator.js';
import type { SeedName } from '../seed.js';
import { startEmulator, urlHost } from '../server-node.js';
import { EmulatorAdmin } from './admin-client.js';

/** Options of {@link startTestEmulator}. */
export interface TestEmulatorOptions
  extends Pick<
    EmulatorOptions,
    'scenario' | 'adminToken' | 'issuer' | 'publicHosts' | 'loginLimits' | 'latencyMs' | 'stateFile'
  > {
  /**
   * `demo`: the demo application (`cartlink-demo`, redirect URI `http://localhost:3000/account/profile`)
   * and three Instacart accounts, `plus@`, `basic@` and `lapsed@instacart.test` (password `instacart`);
   * `empty`: nothing.
   *
   * @default 'demo'
   */
  seed?: SeedName;
  /**
   * Run the emulator as a child process (`node <the package's cli.js> --port 0 …`) instead of in
   * this process.
   *
   * @default false
   */
  child?: boolean;
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
  /**
   * How long a child may take to print its first line, in milliseconds.
   *
   * @default 60000
   */
  readyTimeoutMs?: number;
}

/** A running test emulator. */
export interface TestEmulator {
  /** Where it listens, e.g. `http://127.0.0.1:41234`; also its issuer unless `issuer` was given. */
  readonly url: string;
  /** The typed admin client of this emulator. */
  readonly admin: EmulatorAdmin;
  /** The emulator object, with its in-process helpers; `undefined` for a child. */
  readonly emulator: Emulator | undefined;
  /** The child's process id; `undefined` in process. */
  readonly pid: number | undefined;
  /** What a child wrote to stderr (the last 8 KiB), for a failing test's message. */
  stderr(): string;
  /** Stops it: closes the server, or SIGTERM to the child (SIGKILL after 5 s) and waits for the exit. */
  stop(): Promise<void>;
}

/** The first line the command prints (packages/emulator/README.md: "The first line is machine-readable"). */
const READY_LINE = /^Instacart Connect emulator listening on (\S+) /;

/**
 * Starts an emulator on a free port (demo seed unless told otherwise) and waits until it answers.
 *
 * @example
 * ```ts
 * import { startTestEmulator } from '@cartlink/emulator/testing';
 *
 * const emulator = await startTestEmulator({ child: true, scenario: { settings: { require_pkce: true } } });
 * const shopper = await emulator.admin.seedShopper('lapsed');
 * // … point the shop's CONNECT_BASE_URL at emulator.url …
 * await emulator.stop();
 * ```
 */
export async function startTestEmulator(options: TestEmulatorOptions = {}): Promise<TestEmulator> {
  return options.child ? startChild(options) : startInProcess(options);
}

async function startInProcess(options: TestEmulatorOptions): Promise<TestEmulator> {
  const { child: _child, readyTimeoutMs: _readyTimeoutMs, ...emulatorOptions } = options;
  let running: Awaited<ReturnType<typeof startEmulator>>;
  try {
    running = await startEmulator({ port: 0, ...emulatorOptions });
  } catch (error) {
    throw new Error(`startTestEmulator: ${(error as Error).message}`, { cause: error });
  }
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= running.close();
    return stopping;
  };
  return {
    url: running.url,
    admin: new EmulatorAdmin(running.url, options.adminToken ? { adminToken: options.adminToken } : {}),
    emulator: running.emulator,
    pid: undefined,
    stderr: () => '',
    stop,
  };
}

/**
 * The command to run: the compiled `cli.js` next to this module's folder once the package is built;
 * inside the Cartlink repository, where tests load the TypeScript sources, `cli.ts` through tsx.
 */
function cliCommand(): string[] {
  const compiled = fileURLToPath(new URL('../cli.js', import.meta.url));
  if (existsSync(compiled)) return [compiled];
  const source = fileURLToPath(new URL('../cli.ts', import.meta.url));
  if (existsSync(source)) return ['--import', 'tsx', source];
  throw new Error(`startTestEmulator: neither ${compiled} nor its source exists`);
}

/** The command-line flags that carry `options` (the scenario goes through a file). */
function cliArguments(options: TestEmulatorOptions, scenarioFile: string | undefined): string[] {
  const limits = options.loginLimits ?? {};
  return [
    ...['--port', String(options.port ?? 0), '--host', options.host ?? '127.0.0.1'],
    ...['--seed', options.seed ?? 'demo'],
    ...(scenarioFile ? ['--scenario', scenarioFile] : []),
    // The CLI's issuer for a fixed port is http://localhost:<port>; the kit's is the URL it returns.
    ...(options.issuer
      ? ['--public-url', options.issuer]
      : options.port
        ? ['--public-url', `http://${urlHost(options.host ?? '127.0.0.1')}:${options.port}`]
        : []),
    ...(options.adminToken ? ['--admin-token', options.adminToken] : []),
    ...(options.stateFile ? ['--state-file', options.stateFile] : []),
    ...(options.latencyMs === undefined ? [] : ['--latency-ms', String(options.latencyMs)]),
    ...(options.publicHosts ?? []).flatMap((host) => ['--public-host', host]),
    ...(limits.failuresPerAccount === undefined
      ? []
      : ['--login-failures-per-account', String(limits.failuresPerAccount)]),
    ...(limits.attemptsPerAddress === undefined
      ? []
      : ['--login-attempts-per-address', String(limits.attemptsPerAddress)]),
    ...(limits.windowSeconds === undefined ? [] : ['--login-window-seconds', String(limits.windowSeconds)]),
  ];
}

/** Children still running, killed if this process exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const live of liveChildren) live.kill('SIGKILL');
  });
}

async function startChild(options: TestEmulatorOptions): Promise<TestEmulator> {
  const directory = options.scenario ? mkdtempSync(join(tmpdir(), 'cartlink-emulator-')) : undefined;
  const scenarioFile = directory ? join(directory, 'scenario.json') : undefined;
  if (scenarioFile) writeFileSync(scenarioFile, JSON.stringify(options.scenario));
  const removeScenario = () => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  };

  // The emulator's configuration comes from the flags alone, not from this process's environment.
  const { EMULATOR_ADMIN_TOKEN: _token, EMULATOR_PUBLIC_HOSTS: _hosts, ...env } = process.env;
  const child = spawn(process.execPath, [...cliCommand(), ...cliArguments(options, scenarioFile)], {
    env,
    // The IPC channel is how the child notices this process going away, even by a signal.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  killOnExit(child);
  // 'error' without 'exit' when the process could not be started at all.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
  });

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timeoutMs = options.readyTimeoutMs ?? 60_000;
      const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      let pending = '';
      const onData = (chunk: string) => {
        pending += chunk;
        const match = READY_LINE.exec(pending);
        if (match?.[1]) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`exited with ${child.exitCode ?? child.signalCode} before it was ready`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    removeScenario();
    throw new Error(`startTestEmulator (child): ${(error as Error).message}\n${stderr.trim()}`);
  } finally {
    // Keep draining stdout so that a chatty child never blocks on a full pipe.
    child.stdout?.resume();
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      removeScenario();
    })();
    return stopping;
  };
  return {
    url,
    admin: new EmulatorAdmin(url, options.adminToken ? { adminToken: options.adminToken } : {}),
    emulator: undefined,
    pid: child.pid,
    stderr: () => stderr,
    stop,
  };
}
