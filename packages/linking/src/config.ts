/**
 * @module `@cartlink/linking/config`: the Connect part of a shop's configuration, read from the
 * environment and validated in one place, so that every Cartlink shop reads the same variables the
 * same way: `CONNECT_BASE_URL`, `CONNECT_AUTH_URL`, `CONNECT_CLIENT_ID`, `CONNECT_CLIENT_SECRET`,
 * `CONNECT_CLIENT_ID_NEXT` and `CONNECT_CLIENT_SECRET_NEXT` (a credential rotation's next set),
 * `CONNECT_REDIRECT_URI`, `CONNECT_USE_PKCE`, `CONNECT_RETAILER_ID`, `CONNECT_ISSUER`,
 * `CONNECT_REQUIRE_ISSUER`, `CONNECT_TIMEOUT_MS` and `INSTACART_WEB_URL`. A missing or malformed value
 * is a {@link ConfigVariableError} whose message is one line naming the variable, fit to stop
 * start-up. Web standards only.
 *
 * `readConnectConfig` applies no demo values by itself: a shop that has some (an emulator on
 * localhost, a demo client) passes them as `defaults`. The demo's own are {@link DEMO_CONNECT_DEFAULTS},
 * shared by the demo storefront and `cartlink check --demo`.
 * @example
 * ```ts
 * const config = readConnectConfig(process.env);
 * const connect = createConnectClient(toConnectClientOptions(config));
 * const linking = createLinking({ ...toLinkingOptions(config), connect, storage, loadConnectUserProfile });
 * ```
 * @see https://docs.instacart.com/connect (account linking how-to), "Prerequisites"
 */
import type { ConnectClientOptions } from '@cartlink/connect';
import { z } from 'zod';
import { LinkingConfigError } from './errors.js';
import type { LinkingOptions } from './linking.js';

/**
 * A configuration variable is missing or malformed. The message is one line, `VARIABLE: reason`, and
 * never repeats the value (it may be a secret).
 */
export class ConfigVariableError extends LinkingConfigError {
  override name = 'ConfigVariableError';
  /** The environment variable at fault, e.g. `CONNECT_BASE_URL`. */
  readonly variable: string;
  /** What is wrong with it, e.g. `must be an absolute http:// or https:// URL`. */
  readonly reason: string;

  constructor(variable: string, reason: string) {
    super(`${variable}: ${reason}`);
    this.variable = variable;
    this.reason = reason;
  }
}

/** The Connect configuration, validated. */
export interface ConnectConfig {
  /** `CONNECT_BASE_URL`: Connect's base URL, without a trailing slash. Required. */
  baseUrl: string;
  /** `CONNECT_AUTH_URL`: the authorization URL Instacart handed the retailer. Required. */
  authUrl: string;
  /** `CONNECT_CLIENT_ID`: the Connect OAuth application's client id. Required. */
  clientId: string;
  /** `CONNECT_CLIENT_SECRET`: the application's client secret. Required; never logged. */
  clientSecret: string;
  /**
   * `CONNECT_CLIENT_ID_NEXT` and `CONNECT_CLIENT_SECRET_NEXT`: during a credential rotation, the next
   * application's credentials (the clone Instacart made, with its own client id). Both or neither;
   * absent when unset, and then everything is as with one set. The Connect client asks this set
   * for its tokens first and falls back to `clientId` when Connect refuses it (`invalid_client`).
   * @see https://docs.instacart.com/connect ("OAuth credential rotation")
   */
  next?:
    | {
        /** `CONNECT_CLIENT_ID_NEXT`: the next application's client id, not `clientId`. */
        clientId: string;
        /** `CONNECT_CLIENT_SECRET_NEXT`: its secret; never logged. */
        clientSecret: string;
      }
    | undefined;
  /** `CONNECT_REDIRECT_URI`: the redirect URI registered with Instacart, the account profile page. Required. */
  redirectUri: string;
  /**
   * `CONNECT_USE_PKCE`: send a PKCE challenge (RFC 7636, S256) with every authorization request.
   * @default true
   */
  usePkce: boolean;
  /** `CONNECT_RETAILER_ID`: sent as `X-Retailer-Id` (multi-banner retailers); unset when not given. */
  retailerId?: string | undefined;
  /** `CONNECT_ISSUER`: RFC 9207 issuer; when set, an `iss` in the callback must match it. */
  issuer?: string | undefined;
  /**
   * `CONNECT_REQUIRE_ISSUER`: refuse a callback without `iss` (for an authorization server known to
   * send it). Needs `CONNECT_ISSUER`.
   * @default false
   */
  requireIssuer: boolean;
  /**
   * `CONNECT_TIMEOUT_MS`: the longest wait for one Connect call, retries included, so that sign-in
   * and checkout never hang on Instacart. From 100 to 120,000.
   * @default 5000
   */
  timeoutMs: number;
  /**
   * `INSTACART_WEB_URL`: base of Instacart's website, for the Manage and Join links; without a
   * trailing slash.
   * @default "https://www.instacart.com"
   */
  instacartWebUrl: string;
}

/** The variables {@link readConnectConfig} reads, in the order it reads them. */
export const CONNECT_VARIABLES = [
  'CONNECT_BASE_URL',
  'CONNECT_AUTH_URL',
  'CONNECT_CLIENT_ID',
  'CONNECT_CLIENT_SECRET',
  'CONNECT_CLIENT_ID_NEXT',
  'CONNECT_CLIENT_SECRET_NEXT',
  'CONNECT_REDIRECT_URI',
  'CONNECT_USE_PKCE',
  'CONNECT_RETAILER_ID',
  'CONNECT_ISSUER',
  'CONNECT_REQUIRE_ISSUER',
  'CONNECT_TIMEOUT_MS',
  'INSTACART_WEB_URL',
] as const;

/** One of {@link CONNECT_VARIABLES}. */
export type ConnectVariable = (typeof CONNECT_VARIABLES)[number];

/** Options of {@link readConnectConfig}. */
export interface ReadConnectConfigOptions {
  /**
   * Values to use for variables that are unset or empty, as the environment would spell them (e.g.
   * `{ CONNECT_BASE_URL: 'http://localhost:4010' }` for a demo on the emulator). They are validated
   * like the environment's own. They replace the library's defaults, and give a required variable a
   * value.
   * @default {}
   */
  defaults?: Partial<Record<ConnectVariable, string>>;
}

/**
 * An environment variable that holds an absolute `http:` or `https:` URL. Exported with
 * {@link integerVariable} so that an app validating its own variables beside the `CONNECT_*` ones
 * says the same thing in the same words.
 */
export const httpUrlVariable = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'must be an absolute http:// or https:// URL',
  });

/** An environment variable that holds a whole number from `min` to `max`, parsed to a number. */
export const integerVariable = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((value) => value >= min && value <= max, { message: `must be between ${min} and ${max}` });

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const nonEmpty = z.string().min(1, { message: 'must not be empty' });

// Each variable has its own schema, so that an error names exactly one variable. A later setting
// (throttling, say) is one more line here and one more field of ConnectConfig.
const schemas = {
  CONNECT_BASE_URL: httpUrlVariable,
  CONNECT_AUTH_URL: httpUrlVariable,
  CONNECT_CLIENT_ID: nonEmpty,
  CONNECT_CLIENT_SECRET: nonEmpty,
  CONNECT_CLIENT_ID_NEXT: nonEmpty,
  CONNECT_CLIENT_SECRET_NEXT: nonEmpty,
  CONNECT_REDIRECT_URI: httpUrlVariable,
  CONNECT_USE_PKCE: flag,
  CONNECT_RETAILER_ID: nonEmpty.max(200),
  CONNECT_ISSUER: httpUrlVariable,
  CONNECT_REQUIRE_ISSUER: flag,
  CONNECT_TIMEOUT_MS: integerVariable(100, 120_000),
  INSTACART_WEB_URL: httpUrlVariable,
} as const satisfies Record<ConnectVariable, z.ZodType>;

/** The library's own defaults: policies, not demo values. Everything else is required or optional. */
const LIBRARY_DEFAULTS: Partial<Record<ConnectVariable, string>> = {
  CONNECT_USE_PKCE: 'true',
  CONNECT_REQUIRE_ISSUER: 'false',
  CONNECT_TIMEOUT_MS: '5000',
  INSTACART_WEB_URL: 'https://www.instacart.com',
};

type Parsed<V extends ConnectVariable> = z.output<(typeof schemas)[V]>;

/** The demo's Connect values, as {@link demoConnectDefaults} spells them. */
export interface DemoConnectDefaults {
  /** The emulator's origin. */
  CONNECT_BASE_URL: string;
  /** The emulator's authorization page, `/oauth/authorize`. */
  CONNECT_AUTH_URL: string;
  /** The emulator's demo application, `cartlink-demo`. */
  CONNECT_CLIENT_ID: string;
  /** Its secret, `cartlink-demo-secret`: public, for local use only. */
  CONNECT_CLIENT_SECRET: string;
  /** The demo shop's account profile page, the redirect URI the emulator's demo seed registers. */
  CONNECT_REDIRECT_URI: string;
  /** `true`. */
  CONNECT_USE_PKCE: string;
  /** The emulator, which serves stand-ins of the Manage and Join pages. */
  INSTACART_WEB_URL: string;
}

/**
 * The demo's Connect values for an emulator at `connectUrl` and a shop at `shopUrl` (origins, no
 * trailing slash), spelled as the environment would, to pass as `defaults` of
 * {@link readConnectConfig}. Never for production: the demo secret is public.
 * @example
 * ```ts
 * readConnectConfig(process.env, { defaults: demoConnectDefaults({ connectUrl: 'http://localhost:4100' }) });
 * ```
 */
export function demoConnectDefaults(
  origins: { connectUrl?: string; shopUrl?: string } = {},
): DemoConnectDefaults {
  const connect = origins.connectUrl ?? 'http://localhost:4010';
  return {
    CONNECT_BASE_URL: connect,
    CONNECT_AUTH_URL: `${connect}/oauth/authorize`,
    CONNECT_CLIENT_ID: 'cartlink-demo',
    CONNECT_CLIENT_SECRET: 'cartlink-demo-secret',
    CONNECT_REDIRECT_URI: `${origins.shopUrl ?? 'http://localhost:3000'}/account/profile`,
    CONNECT_USE_PKCE: 'true',
    INSTACART_WEB_URL: connect,
  };
}

/**
 * The demo's Connect values on the documented ports: the emulator `npm start` runs on
 * http://localhost:4010 with its demo application, and the demo shop on http://localhost:3000 (see
 * the repository's README, "Configuration (storefront)"). The one source of them: the demo storefront
 * and `cartlink check --demo` both read them here.
 */
export const DEMO_CONNECT_DEFAULTS: Readonly<DemoConnectDefaults> = Object.freeze(demoConnectDefaults());

/**
 * The demo storefront's database, relative to the repository root (where `npm start` and
 * `npm run check` run): a SQLite file.
 */
export const DEMO_DATABASE_URL = '.data/storefront.db';

/**
 * Reads and validates the Connect configuration from `env` (`process.env`, or a plain object in
 * tests). A value is trimmed, and an empty one counts as unset, so `CONNECT_RETAILER_ID=` in a shell
 * is the same as leaving it out. An unset variable takes its value from `options.defaults`, then from
 * the library's defaults (see {@link ConnectConfig}); a required one with neither is missing.
 *
 * @throws {ConfigVariableError} naming the first variable that is missing or malformed, in the order
 * of {@link CONNECT_VARIABLES}; the missing one of `CONNECT_CLIENT_ID_NEXT` and
 * `CONNECT_CLIENT_SECRET_NEXT` when only the other is set; `CONNECT_CLIENT_ID_NEXT` when it equals
 * `CONNECT_CLIENT_ID`; `CONNECT_REQUIRE_ISSUER` when it is set without `CONNECT_ISSUER`.
 * @example
 * ```ts
 * const config = readConnectConfig(process.env, {
 *   defaults: { CONNECT_BASE_URL: 'http://localhost:4010', CONNECT_AUTH_URL: 'http://localhost:4010/oauth/authorize' },
 * });
 * ```
 */
export function readConnectConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: ReadConnectConfigOptions = {},
): ConnectConfig {
  const defaults = options.defaults ?? {};

  function read<V extends ConnectVariable>(variable: V): Parsed<V> | undefined {
    const given = env[variable]?.trim();
    const value =
      given === undefined || given === '' ? (defaults[variable] ?? LIBRARY_DEFAULTS[variable]) : given;
    if (value === undefined) return undefined;
    const result = schemas[variable].safeParse(value.trim());
    if (!result.success) {
      throw new ConfigVariableError(variable, result.error.issues[0]?.message ?? 'is malformed');
    }
    return result.data as Parsed<V>;
  }

  function readRequired<V extends ConnectVariable>(variable: V): Parsed<V> {
    const value = read(variable);
    if (value === undefined) throw new ConfigVariableError(variable, 'is required');
    return value;
  }

  /** The rotation's next set: both variables or neither, and a client id of its own. */
  function readNextCredentials(currentClientId: string): ConnectConfig['next'] {
    const nextClientId = read('CONNECT_CLIENT_ID_NEXT');
    const nextClientSecret = read('CONNECT_CLIENT_SECRET_NEXT');
    if (nextClientId === undefined && nextClientSecret === undefined) return undefined;
    if (nextClientId === undefined) {
      throw new ConfigVariableError(
        'CONNECT_CLIENT_ID_NEXT',
        'is required with CONNECT_CLIENT_SECRET_NEXT (set both, or neither)',
      );
    }
    if (nextClientSecret === undefined) {
      throw new ConfigVariableError(
        'CONNECT_CLIENT_SECRET_NEXT',
        'is required with CONNECT_CLIENT_ID_NEXT (set both, or neither)',
      );
    }
    // Calls name a set by its client id; a rotation's clone always has a new one.
    if (nextClientId === currentClientId) {
      throw new ConfigVariableError(
        'CONNECT_CLIENT_ID_NEXT',
        "must differ from CONNECT_CLIENT_ID (the next application's client id is its own)",
      );
    }
    return { clientId: nextClientId, clientSecret: nextClientSecret };
  }

  const baseUrl = readRequired('CONNECT_BASE_URL').replace(/\/+$/, '');
  const authUrl = readRequired('CONNECT_AUTH_URL');
  const clientId = readRequired('CONNECT_CLIENT_ID');
  const clientSecret = readRequired('CONNECT_CLIENT_SECRET');
  const next = readNextCredentials(clientId);
  const redirectUri = readRequired('CONNECT_REDIRECT_URI');
  const usePkce = readRequired('CONNECT_USE_PKCE');
  const retailerId = read('CONNECT_RETAILER_ID');
  const issuer = read('CONNECT_ISSUER');
  const requireIssuer = readRequired('CONNECT_REQUIRE_ISSUER');
  if (requireIssuer && issuer === undefined) {
    throw new ConfigVariableError('CONNECT_REQUIRE_ISSUER', 'needs CONNECT_ISSUER, the issuer to require');
  }
  return {
    baseUrl,
    authUrl,
    clientId,
    clientSecret,
    ...(next === undefined ? {} : { next }),
    redirectUri,
    usePkce,
    ...(retailerId === undefined ? {} : { retailerId }),
    ...(issuer === undefined ? {} : { issuer }),
    requireIssuer,
    timeoutMs: readRequired('CONNECT_TIMEOUT_MS'),
    instacartWebUrl: readRequired('INSTACART_WEB_URL').replace(/\/+$/, ''),
  };
}

/**
 * The options of `createConnectClient` (from `@cartlink/connect`) that the configuration decides:
 * the base URL, the credentials (the next set as `nextCredentials` during a rotation), the retailer
 * id, and `CONNECT_TIMEOUT_MS` as the limit of each attempt and of the whole call with its retries.
 * Add the rest (`fetch`, `onRequest`, `onCredentialsChange`, …) beside it.
 * @example
 * ```ts
 * const connect = createConnectClient({ ...toConnectClientOptions(config), acceptLanguage: 'en-US' });
 * ```
 */
export function toConnectClientOptions(
  config: ConnectConfig,
): Pick<
  ConnectClientOptions,
  'baseUrl' | 'clientId' | 'clientSecret' | 'nextCredentials' | 'timeoutMs' | 'retry' | 'retailerId'
> {
  return {
    baseUrl: config.baseUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    ...(config.next === undefined
      ? {}
      : { nextCredentials: { clientId: config.next.clientId, clientSecret: config.next.clientSecret } }),
    timeoutMs: config.timeoutMs,
    // CONNECT_TIMEOUT_MS bounds a whole call, retries included, not each attempt: a page that waits on a
    // hanging Connect waits this long, not attempts times this long.
    retry: { budgetMs: config.timeoutMs },
    ...(config.retailerId === undefined ? {} : { retailerId: config.retailerId }),
  };
}

/**
 * The options of `createLinking` (from `@cartlink/linking`) that the configuration decides. Spread it and add the
 * connect client, the storage and `loadConnectUserProfile`.
 * @example
 * ```ts
 * const linking = createLinking({
 *   ...toLinkingOptions(config),
 *   connect,
 *   storage,
 *   loadConnectUserProfile: async (userId) => ({ firstName: await firstNameOf(userId) }),
 * });
 * ```
 */
export function toLinkingOptions(
  config: ConnectConfig,
): Pick<
  LinkingOptions,
  | 'authorizationEndpoint'
  | 'clientId'
  | 'redirectUri'
  | 'usePkce'
  | 'issuer'
  | 'requireIssuer'
  | 'instacartWebUrl'
> {
  return {
    authorizationEndpoint: config.authUrl,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    usePkce: config.usePkce,
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    requireIssuer: config.requireIssuer,
    instacartWebUrl: config.instacartWebUrl,
  };
}
