/**
 * @module The storefront's one reader of the environment. Every variable is validated here with a
 * schema; a missing or malformed value becomes a {@link ConfigError} whose message is one line naming
 * the variable, which `main.ts` prints before exiting with status 1. Nothing else reads `process.env`.
 * The Connect variables (`CONNECT_*` and `INSTACART_WEB_URL`) are read by `readConnectConfig` of
 * `@cartlink/linking/config`, the reader every Cartlink shop shares; this module gives it the demo
 * defaults and adds the storefront's own rules. That includes a credential rotation's next set,
 * `CONNECT_CLIENT_ID_NEXT` and `CONNECT_CLIENT_SECRET_NEXT` (both or neither; no demo default), which
 * `app.ts` hands the Connect client.
 *
 * Throttling and load shedding (beyond the contract's variables; defaults in brackets):
 * - `SIGNIN_ACCOUNT_LIMIT` [10]: sign-in attempts per account (the email typed, known or not) per
 *   window; a successful sign-in clears the count.
 * - `SIGNIN_ADDRESS_LIMIT` [100]: sign-in attempts per client address (IPv6: per /64) per window.
 * - `LINK_START_LIMIT` [10]: link starts (`POST /cartlink/authorize`) per session per window.
 * - `RATE_LIMIT_WINDOW_SECONDS` [900]: the window of all three.
 * - `TRUST_PROXY` [none]: IPs and CIDR networks of the reverse proxies whose `X-Forwarded-For` is
 *   believed (the right-most address that is not one of them is the client); without it the client
 *   is the TCP peer.
 * - `PASSWORD_HASH_CONCURRENCY` [cores, at most libuv's 4 threads]: password checks at once.
 * - `QUEUE_DEADLINE_MS` [5000]: the longest a sign-in waits for a password check before it is
 *   answered 503 with `Retry-After`.
 *
 * Telemetry (unset by default; see `telemetry-node.ts`):
 * - `METRICS_TOKEN`: serves Prometheus metrics on `GET /metrics` to `Authorization: Bearer <token>`
 *   only; at least 32 characters.
 * - `OTEL_EXPORTER_OTLP_ENDPOINT`: exports traces and metrics over OTLP/HTTP to this collector.
 * @see ../../../README.md, "Configuration (storefront)" (names and demo defaults)
 */
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDatabaseUrl } from '@cartlink/linking';
import {
  ConfigVariableError,
  type ConnectConfig,
  DEMO_CONNECT_DEFAULTS,
  DEMO_DATABASE_URL,
  demoConnectDefaults,
  httpUrlVariable,
  integerVariable,
  type ReadConnectConfigOptions,
  readConnectConfig,
} from '@cartlink/linking/config';
import { z } from 'zod';
import { type ProxyEntry, parseTrustedProxies } from './client-address.js';
import type { RateLimitSettings } from './rate-limits.js';

/** A configuration value is missing or malformed. The message is one line that names the variable. */
export class ConfigError extends Error {
  readonly code = 'config_error';
  /** The environment variable at fault. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Levels pino knows, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the storefront needs to start, already validated. Tests build it by hand. */
export interface StorefrontConfig {
  /** TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** The shop's public origin, without a trailing slash, e.g. `https://shop.example`. */
  publicUrl: string;
  /**
   * Where the data lives: an absolute SQLite file path, `:memory:`, a `sqlite:` URL or a
   * `postgres://` URL (see `parseDatabaseUrl` in `@cartlink/linking`).
   */
  databaseUrl: string;
  /**
   * The `CONNECT_*` settings, as `@cartlink/linking/config` reads them; `redirectUri` is this shop's
   * account profile page, and `next` the rotation's next credential set when one is configured.
   */
  connect: Omit<ConnectConfig, 'instacartWebUrl'>;
  /** `INSTACART_WEB_URL`: base of the Instacart website, for the Manage and Join links. */
  instacartWebUrl: string;
  /** How old a verification may be and still justify a discount when Connect is down at checkout. */
  deliveryGraceSeconds: number;
  /** A session unused for this long is gone. */
  sessionIdleSeconds: number;
  /**
   * Attempts allowed per window: `SIGNIN_ACCOUNT_LIMIT` (10), `SIGNIN_ADDRESS_LIMIT` (100),
   * `LINK_START_LIMIT` (10), `RATE_LIMIT_WINDOW_SECONDS` (900).
   */
  rateLimits: RateLimitSettings;
  /**
   * `TRUST_PROXY`: the reverse proxies whose `X-Forwarded-For` names the client. Empty (the default):
   * the client is the TCP peer and `X-Forwarded-For` is ignored.
   */
  trustProxy: readonly ProxyEntry[];
  /** `PASSWORD_HASH_CONCURRENCY`: password checks running at once (default: the cores, at most libuv's pool of 4). */
  passwordHashConcurrency: number;
  /**
   * `QUEUE_DEADLINE_MS`: the longest a sign-in waits for a password-check slot before it is answered
   * 503 with `Retry-After` (default 5000).
   */
  queueDeadlineMs: number;
  logLevel: LogLevel;
  /**
   * `METRICS_TOKEN`: the bearer token of `GET /metrics` (Prometheus text), at least 32 characters.
   * Unset: the route does not exist. A secret: never logged.
   */
  metricsToken?: string;
  /**
   * `OTEL_EXPORTER_OTLP_ENDPOINT`: the OTLP/HTTP collector's base URL; traces go to `/v1/traces` and
   * metrics to `/v1/metrics` below it. Unset: nothing is exported.
   */
  otlpEndpoint?: string;
}

/** The repository root, against which a relative SQLite path is resolved (`.data/` lives there). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The demo values: the emulator and the shop on their local ports. The Connect ones come from
 * `@cartlink/linking/config`, which `cartlink check --demo` reads too.
 */
export const DEMO_DEFAULTS = {
  PORT: '3000',
  PUBLIC_URL: 'http://localhost:3000',
  DATABASE_URL: DEMO_DATABASE_URL,
  ...DEMO_CONNECT_DEFAULTS,
} as const;

const nonEmpty = z.string().min(1, { message: 'must not be empty' });

// Each variable has its own schema so that an error names exactly one variable.
const schemas = {
  PORT: integerVariable(0, 65535),
  EMULATOR_PORT: integerVariable(1, 65535),
  HOST: nonEmpty,
  PUBLIC_URL: httpUrlVariable,
  DATABASE_URL: nonEmpty,
  DELIVERY_GRACE_SECONDS: integerVariable(0, 86_400),
  SESSION_IDLE_SECONDS: integerVariable(60, 30 * 86_400),
  SIGNIN_ACCOUNT_LIMIT: integerVariable(1, 1_000_000),
  SIGNIN_ADDRESS_LIMIT: integerVariable(1, 1_000_000),
  LINK_START_LIMIT: integerVariable(1, 1_000_000),
  RATE_LIMIT_WINDOW_SECONDS: integerVariable(1, 7 * 86_400),
  TRUST_PROXY: z.string(),
  PASSWORD_HASH_CONCURRENCY: integerVariable(1, 256),
  QUEUE_DEADLINE_MS: integerVariable(0, 120_000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
  // Telemetry (see telemetry-node.ts): both optional, unset by default.
  METRICS_TOKEN: z
    .string()
    .min(32, { message: 'must be at least 32 characters (a random token, e.g. openssl rand -hex 32)' })
    .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrlVariable,
} as const;

type Variable = keyof typeof schemas;
type Parsed<V extends Variable> = z.output<(typeof schemas)[V]>;

/** The source of variables: `process.env` in production, a plain object in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * The number of cores, but no more than the threads of libuv's pool, where scrypt runs (4 unless
 * `UV_THREADPOOL_SIZE` says otherwise): checks beyond that would wait in libuv's own queue, out of
 * reach of the queue deadline.
 */
function defaultHashConcurrency(source: EnvSource): number {
  const pool = Number(source.UV_THREADPOOL_SIZE);
  const threads = Number.isInteger(pool) && pool > 0 ? pool : 4;
  return Math.max(1, Math.min(availableParallelism(), threads));
}

/**
 * Reads and validates the storefront's configuration from `source`. An empty value counts as unset,
 * so `FOO=` in a shell falls back to the demo default like a missing one.
 *
 * Relative SQLite paths in `DATABASE_URL` are resolved against the repository root, so the data lands
 * in `<repo>/.data/` whichever directory the shop is started from.
 *
 * @throws {ConfigError} naming the first variable that is missing or malformed.
 * @example
 * const config = parseEnv({ PORT: '0', DATABASE_URL: ':memory:' });
 */
export function parseEnv(source: EnvSource): StorefrontConfig {
  function read<V extends Variable>(variable: V, fallback: string): Parsed<V>;
  function read<V extends Variable>(variable: V, fallback?: undefined): Parsed<V> | undefined;
  function read<V extends Variable>(variable: V, fallback?: string): Parsed<V> | undefined {
    const raw = source[variable];
    const value = raw === undefined || raw.trim() === '' ? fallback : raw.trim();
    if (value === undefined) return undefined;
    const result = schemas[variable].safeParse(value);
    if (!result.success) {
      throw new ConfigError(variable, result.error.issues[0]?.message ?? 'is malformed');
    }
    return result.data as Parsed<V>;
  }

  // The demo defaults follow the ports: with PORT and EMULATOR_PORT set, the shop's public URL (and so
  // its redirect URI) and the Connect URLs point at those ports (`npm start` registers that redirect
  // URI with the emulator). PORT=0 (a free port, chosen later) leaves the documented defaults.
  const port = read('PORT', DEMO_DEFAULTS.PORT);
  const emulatorPort = read('EMULATOR_PORT', '4010');
  const demoShop = port === 0 ? DEMO_DEFAULTS.PUBLIC_URL : `http://localhost:${port}`;
  const demoConnect = `http://localhost:${emulatorPort}`;

  const publicUrlRaw = read('PUBLIC_URL', demoShop);
  const publicUrl = new URL(publicUrlRaw);
  if (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash || publicUrl.username) {
    throw new ConfigError(
      'PUBLIC_URL',
      'must be an origin such as https://shop.example.com, with no path or query',
    );
  }
  const origin = publicUrl.origin;
  const secure = publicUrl.protocol === 'https:';

  const databaseUrl = read('DATABASE_URL', DEMO_DEFAULTS.DATABASE_URL);
  let location: ReturnType<typeof parseDatabaseUrl>;
  try {
    location = parseDatabaseUrl(databaseUrl);
  } catch (error) {
    throw new ConfigError('DATABASE_URL', error instanceof Error ? error.message : 'is malformed');
  }

  // In production (https) the demo secret must never be used by accident: ask for it explicitly.
  const secretProvided =
    source.CONNECT_CLIENT_SECRET !== undefined && source.CONNECT_CLIENT_SECRET.trim() !== '';
  if (secure && !secretProvided) {
    throw new ConfigError(
      'CONNECT_CLIENT_SECRET',
      'is required when PUBLIC_URL is https (the demo secret is for local use only)',
    );
  }

  let trustProxy: ProxyEntry[];
  try {
    trustProxy = parseTrustedProxies(read('TRUST_PROXY', ''));
  } catch (error) {
    throw new ConfigError('TRUST_PROXY', error instanceof Error ? error.message : 'is malformed');
  }

  const { instacartWebUrl, ...connect } = readConnect(
    source,
    demoConnectDefaults({ connectUrl: demoConnect, shopUrl: origin }),
  );
  const redirect = new URL(connect.redirectUri);
  // The shop hosts the callback on its profile page; any other redirect URI could never complete a link.
  if (redirect.origin !== origin || redirect.pathname !== '/account/profile' || redirect.search) {
    throw new ConfigError(
      'CONNECT_REDIRECT_URI',
      `must be ${origin}/account/profile (the account profile page)`,
    );
  }

  return {
    port,
    host: read('HOST', '127.0.0.1'),
    publicUrl: origin,
    databaseUrl:
      location.dialect === 'sqlite' && location.path !== ':memory:' && !isAbsolute(location.path)
        ? resolve(REPO_ROOT, location.path)
        : location.dialect === 'sqlite'
          ? location.path
          : location.url,
    connect: { ...connect, redirectUri: redirect.href },
    instacartWebUrl,
    deliveryGraceSeconds: read('DELIVERY_GRACE_SECONDS', '900'),
    sessionIdleSeconds: read('SESSION_IDLE_SECONDS', '7200'),
    rateLimits: {
      signInAccount: read('SIGNIN_ACCOUNT_LIMIT', '10'),
      signInAddress: read('SIGNIN_ADDRESS_LIMIT', '100'),
      linkStart: read('LINK_START_LIMIT', '10'),
      windowSeconds: read('RATE_LIMIT_WINDOW_SECONDS', '900'),
    },
    trustProxy,
    passwordHashConcurrency: read('PASSWORD_HASH_CONCURRENCY', String(defaultHashConcurrency(source))),
    queueDeadlineMs: read('QUEUE_DEADLINE_MS', '5000'),
    logLevel: read('LOG_LEVEL', 'info'),
    metricsToken: read('METRICS_TOKEN'),
    otlpEndpoint: read('OTEL_EXPORTER_OTLP_ENDPOINT'),
  };
}

/**
 * The Connect settings through the shared reader of `@cartlink/linking/config`, with the storefront's
 * demo `defaults`; its errors become the storefront's {@link ConfigError}, naming the same variable.
 */
function readConnect(
  source: EnvSource,
  defaults: NonNullable<ReadConnectConfigOptions['defaults']>,
): ConnectConfig {
  try {
    return readConnectConfig(source, { defaults });
  } catch (error) {
    if (error instanceof ConfigVariableError) throw new ConfigError(error.variable, error.reason);
    throw error;
  }
}

/** Reads the configuration from this process's environment: the only place `process.env` is read. */
export function readEnv(): StorefrontConfig {
  return parseEnv(process.env);
}
