/**
 * Command-line and environment options of the emulator CLI, validated in one place: a bad value
 * stops start-up with one line naming it.
 */
import { parseArgs } from 'node:util';
import { normalizePublicHost, PublicHostError } from './host-guard.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits, MAX_LOGIN_WINDOW_SECONDS } from './login-throttle.js';
import type { SeedName } from './seed.js';

/** The CLI's validated options. */
export interface CliOptions {
  port: number;
  host: string;
  seed: SeedName;
  stateFile: string | undefined;
  publicUrl: string | undefined;
  latencyMs: number;
  adminToken: string | undefined;
  /** Host names answered besides the loopback ones and the public URL's, normalized. */
  publicHosts: string[];
  loginLimits: LoginLimits;
  help: boolean;
}

/** A command-line mistake; its message is the one line to print. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** `--help` text. */
export const USAGE = `Usage: cartlink-emulator [options]

  --port N                        port to listen on (default 4010; 0 picks a free one)
  --host HOST                     interface to listen on (default 127.0.0.1)
  --seed demo|empty               initial data (default demo)
  --state-file FILE               keep the state in FILE across restarts (default: in memory)
  --public-url URL                public base URL, the issuer of iss (default http://localhost:<port>)
  --latency-ms N                  delay added to every Connect API call (default 0)
  --admin-token T                 lets non-loopback clients use /_emulator/ (or EMULATOR_ADMIN_TOKEN)
  --public-host HOST              another host name to answer for, besides localhost, 127.0.0.1, [::1] and the
                                  public URL's host; repeatable (or EMULATOR_PUBLIC_HOSTS, comma-separated);
                                  any other Host header is answered 421 (DNS rebinding)
  --login-failures-per-account N  failed Instacart log-ins per email in the window (default ${DEFAULT_LOGIN_LIMITS.failuresPerAccount})
  --login-attempts-per-address N  Instacart log-ins per client address in the window (default ${DEFAULT_LOGIN_LIMITS.attemptsPerAddress})
  --login-window-seconds N        window of both log-in limits (default ${DEFAULT_LOGIN_LIMITS.windowSeconds})
  --help                          this text`;

function integer(name: string, value: string | undefined, fallback: number, max: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max || Number(value) < min) {
    throw new CliUsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

function publicHosts(flags: string[], fromEnvironment: string | undefined): string[] {
  const given =
    flags.length > 0 ? flags : (fromEnvironment ?? '').split(',').filter((host) => host.trim() !== '');
  try {
    return given.map(normalizePublicHost);
  } catch (error) {
    if (error instanceof PublicHostError) {
      throw new CliUsageError(`--public-host (or EMULATOR_PUBLIC_HOSTS): ${error.message}`);
    }
    throw error;
  }
}

/** Upper bound of the log-in limits: large enough for any load test, small enough to stay an integer. */
const MAX_LOGIN_LIMIT = 1_000_000_000;

/** Parses `argv` (without `node` and the script) and the environment. */
export function parseCliOptions(argv: string[], env: Record<string, string | undefined>): CliOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        seed: { type: 'string' },
        'state-file': { type: 'string' },
        'public-url': { type: 'string' },
        'latency-ms': { type: 'string' },
        'admin-token': { type: 'string' },
        'public-host': { type: 'string', multiple: true },
        'login-failures-per-account': { type: 'string' },
        'login-attempts-per-address': { type: 'string' },
        'login-window-seconds': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const text = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const seed = text('seed') ?? 'demo';
  if (seed !== 'demo' && seed !== 'empty')
    throw new CliUsageError(`--seed must be demo or empty, got "${seed}"`);
  let publicUrl = text('public-url');
  if (publicUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(publicUrl);
    } catch {
      throw new CliUsageError(`--public-url must be an absolute URL, got "${publicUrl}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliUsageError(`--public-url must be http or https, got "${publicUrl}"`);
    }
    // The issuer identifier has no trailing slash, so `iss` compares equal to what clients configure.
    publicUrl = publicUrl.replace(/\/+$/, '');
  }
  const adminToken = text('admin-token') ?? env.EMULATOR_ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new CliUsageError(
      'the admin token (--admin-token or EMULATOR_ADMIN_TOKEN) must be at least 16 characters',
    );
  }
  return {
    port: integer('port', text('port'), 4010, 65_535),
    host: text('host') ?? '127.0.0.1',
    seed,
    stateFile: text('state-file'),
    publicUrl,
    latencyMs: integer('latency-ms', text('latency-ms'), 0, 60_000),
    adminToken: adminToken === '' ? undefined : adminToken,
    publicHosts: publicHosts(
      Array.isArray(values['public-host']) ? values['public-host'] : [],
      env.EMULATOR_PUBLIC_HOSTS,
    ),
    loginLimits: {
      failuresPerAccount: integer(
        'login-failures-per-account',
        text('login-failures-per-account'),
        DEFAULT_LOGIN_LIMITS.failuresPerAccount,
        MAX_LOGIN_LIMIT,
        1,
      ),
      attemptsPerAddress: integer(
        'login-attempts-per-address',
        text('login-attempts-per-address'),
        DEFAULT_LOGIN_LIMITS.attemptsPerAddress,
        MAX_LOGIN_LIMIT,
        1,
      ),
      windowSeconds: integer(
        'login-window-seconds',
        text('login-window-seconds'),
        DEFAULT_LOGIN_LIMITS.windowSeconds,
        MAX_LOGIN_WINDOW_SECONDS,
        1,
      ),
    },
    help: values.help === true,
  };
}
