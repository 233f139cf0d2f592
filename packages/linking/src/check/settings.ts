/**
 * @module What `cartlink check` reads: the `CONNECT_*` variables through the package's own schema
 * (`readConnectConfig`), and `DATABASE_URL`. Unlike a shop at start-up, which stops at the first bad
 * variable, the check collects every problem, so that each line can say whether its own variables
 * are usable and the other lines still run.
 */
import {
  CONNECT_VARIABLES,
  ConfigVariableError,
  type ConnectConfig,
  type ConnectVariable,
  DEMO_CONNECT_DEFAULTS,
  DEMO_DATABASE_URL,
  demoConnectDefaults,
  readConnectConfig,
} from '../config.js';

/** The two variables of a credential rotation's next set: both or neither. */
const NEXT_SET_VARIABLES: readonly ConnectVariable[] = [
  'CONNECT_CLIENT_ID_NEXT',
  'CONNECT_CLIENT_SECRET_NEXT',
];

/** The variables `cartlink check` reads: the Connect ones and the database's. */
export type CheckVariable = ConnectVariable | 'DATABASE_URL';

/** The configuration as the check read it. */
export interface CheckSettings {
  /** Whether the demo's values filled the unset variables (`--demo`). */
  demo: boolean;
  /**
   * The Connect configuration. A variable listed in {@link CheckSettings.problems} holds a stand-in
   * here (the library's default, or an inert value) that no check may use: look it up first.
   */
  config: ConnectConfig;
  /** `DATABASE_URL` (trimmed), or the demo's with `--demo`; undefined when unset. */
  databaseUrl: string | undefined;
  /** Why each unusable variable is unusable, as the schema says it (`is required`, `must be …`). */
  problems: ReadonlyMap<CheckVariable, string>;
}

/**
 * Values that pass the schema, put in place of a variable found missing or malformed so that reading
 * can go on to the next one. The library's defaults where it has one; nothing for an optional
 * variable, which is simply left unset.
 */
const STAND_INS: Partial<Record<ConnectVariable, string>> = {
  CONNECT_BASE_URL: 'http://unusable.invalid',
  CONNECT_AUTH_URL: 'http://unusable.invalid/oauth/authorize',
  CONNECT_CLIENT_ID: 'unusable',
  CONNECT_CLIENT_SECRET: 'unusable',
  CONNECT_REDIRECT_URI: 'http://unusable.invalid/account/profile',
  CONNECT_USE_PKCE: 'true',
  CONNECT_REQUIRE_ISSUER: 'false',
  CONNECT_TIMEOUT_MS: '5000',
  INSTACART_WEB_URL: 'https://www.instacart.com',
};

function isConnectVariable(name: string): name is ConnectVariable {
  return (CONNECT_VARIABLES as readonly string[]).includes(name);
}

/** A TCP port as `PORT` and `EMULATOR_PORT` give it, or undefined when unset, 0 or not a port. */
function portOf(value: string | undefined): number | undefined {
  const port = Number(value?.trim());
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
}

/**
 * The demo's values, following `PORT` and `EMULATOR_PORT` as the demo storefront's do (`npm start`
 * with other ports registers the redirect URI on those ports).
 */
function demoDefaultsFor(
  env: Readonly<Record<string, string | undefined>>,
): Partial<Record<ConnectVariable, string>> {
  const shopPort = portOf(env.PORT);
  const emulatorPort = portOf(env.EMULATOR_PORT);
  if (shopPort === undefined && emulatorPort === undefined) return { ...DEMO_CONNECT_DEFAULTS };
  return {
    ...demoConnectDefaults({
      ...(emulatorPort !== undefined ? { connectUrl: `http://localhost:${emulatorPort}` } : {}),
      ...(shopPort !== undefined ? { shopUrl: `http://localhost:${shopPort}` } : {}),
    }),
  };
}

/**
 * Reads the configuration from `env` (`process.env`, or a plain object in tests), with the demo's
 * values for unset variables when `demo` is true and none otherwise (a required variable left unset
 * is then a problem: `is required`).
 *
 * `readConnectConfig` throws at the first bad variable; it is called again with that variable set
 * aside (and a stand-in in its place) until it succeeds, so every problem is found by the same schema
 * a shop reads its configuration with.
 */
export function readCheckSettings(
  env: Readonly<Record<string, string | undefined>>,
  options: { demo: boolean },
): CheckSettings {
  const problems = new Map<CheckVariable, string>();
  const source: Record<string, string | undefined> = { ...env };
  const defaults: Partial<Record<ConnectVariable, string>> = options.demo ? demoDefaultsFor(env) : {};
  let config: ConnectConfig | undefined;
  while (config === undefined) {
    try {
      config = readConnectConfig(source, { defaults });
    } catch (error) {
      // Each round sets one more variable aside, so this ends within CONNECT_VARIABLES.length rounds.
      if (!(error instanceof ConfigVariableError) || !isConnectVariable(error.variable)) throw error;
      if (problems.has(error.variable)) throw error;
      problems.set(error.variable, error.reason);
      // The next set is one whole: a problem with either variable sets both aside (the set is left
      // unconfigured), else the pair rule would name the other one on the next round.
      const setAside = NEXT_SET_VARIABLES.includes(error.variable) ? NEXT_SET_VARIABLES : [error.variable];
      for (const variable of setAside) {
        source[variable] = undefined;
        const standIn = STAND_INS[variable];
        if (standIn === undefined) delete defaults[variable];
        else defaults[variable] = standIn;
      }
    }
  }

  const given = env.DATABASE_URL?.trim();
  const databaseUrl =
    given === undefined || given === '' ? (options.demo ? DEMO_DATABASE_URL : undefined) : given;
  if (databaseUrl === undefined) problems.set('DATABASE_URL', 'is required');
  return { demo: options.demo, config, databaseUrl, problems };
}

/** What each variable is, for the line that asks for it to be set. */
const MEANING: Record<CheckVariable, string> = {
  CONNECT_BASE_URL:
    "Connect's base URL (https://connect.dev.instacart.tools for development, https://connect.instacart.com for production)",
  CONNECT_AUTH_URL: 'the authorization URL Instacart gave you',
  CONNECT_CLIENT_ID: "your Connect OAuth application's client id",
  CONNECT_CLIENT_SECRET: "your Connect OAuth application's client secret",
  CONNECT_CLIENT_ID_NEXT:
    "the next application's client id during a credential rotation (with CONNECT_CLIENT_SECRET_NEXT), or leave both unset",
  CONNECT_CLIENT_SECRET_NEXT:
    "the next application's client secret during a credential rotation (with CONNECT_CLIENT_ID_NEXT), or leave both unset",
  CONNECT_REDIRECT_URI:
    'the redirect URI registered with Instacart, your account profile page (https://shop.example/account/profile)',
  CONNECT_USE_PKCE: 'true or false (unset: true)',
  CONNECT_RETAILER_ID: 'your retailer id (multi-banner retailers), at most 200 characters, or leave it unset',
  CONNECT_ISSUER: "the authorization server's issuer URL (RFC 9207), or leave it unset",
  CONNECT_REQUIRE_ISSUER: 'true or false, true only together with CONNECT_ISSUER',
  CONNECT_TIMEOUT_MS: 'a number of milliseconds from 100 to 120000 (unset: 5000)',
  INSTACART_WEB_URL: "the base of Instacart's website (unset: https://www.instacart.com)",
  DATABASE_URL:
    "the shop's database: a SQLite file path, sqlite:relative/path.db, sqlite:///absolute/path.db or postgres://…",
};

/**
 * The problems among `variables`, as a failed line's summary and fix; undefined when they are all
 * usable.
 */
export function describeProblems(
  settings: CheckSettings,
  variables: readonly CheckVariable[],
): { summary: string; fix: string } | undefined {
  const bad = variables.filter((variable) => settings.problems.has(variable));
  if (bad.length === 0) return undefined;
  const summary = bad.map((variable) => `${variable}: ${settings.problems.get(variable)}`).join('; ');
  const unset = bad.some((variable) => settings.problems.get(variable) === 'is required');
  const fix = `${bad.map((variable) => `set ${variable} to ${MEANING[variable]}`).join('; ')}${
    unset && !settings.demo ? ' (for the local demo on the emulator: --demo)' : ''
  }`;
  return { summary, fix };
}

/**
 * The first problem among `variables` owned by another line, as a skipped line's summary; undefined
 * when they are all usable. The owner's line reports the problem and its fix, so it is told once.
 */
export function describeBorrowedProblem(
  settings: CheckSettings,
  variables: readonly { variable: CheckVariable; owner: string }[],
): string | undefined {
  const bad = variables.find(({ variable }) => settings.problems.has(variable));
  return bad === undefined ? undefined : `not checked: needs a usable ${bad.variable} (see ${bad.owner})`;
}
