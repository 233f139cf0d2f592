/**
 * Command-line and environment options of the emulator CLI, validated in one place: a bad value
 * stops start-up with one line naming it. The flags that describe data (`--app`, `--redirect-uri`,
 * `--account`) and settings (`--issuer-param`, `--require-pkce`, `--latency-ms`) become a scenario,
 * validated by the same schema as a `--scenario` file and, through it, the admin API's bodies.
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { normalizePublicHost, PublicHostError } from './host-guard.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits, MAX_LOGIN_WINDOW_SECONDS } from './login-throttle.js';
import {
  type EmulatorScenario,
  type ScenarioApp,
  type ScenarioInstacartUser,
  scenarioSchema,
} from './scenario.js';
import { DEMO_SEED, type SeedName } from './seed.js';
import { cloneAppBodySchema, describeIssue } from './validation.js';

/** The CLI's validated options. */
export interface CliOptions {
  /** `--port`: 4010 by default, 0 picks a free port. */
  port: number;
  /** `--host`: the interface to listen on. */
  host: string;
  /** `--seed`: the data under the scenario. */
  seed: SeedName;
  /** `--state-file`. */
  stateFile: string | undefined;
  /** `--scenario`: the JSON scenario file, read by the CLI (not by this parser). */
  scenarioFile: string | undefined;
  /** What the data and settings flags describe, validated; `{}` when there are none. */
  scenario: EmulatorScenario;
  /** `--public-url`, without a trailing slash. */
  publicUrl: string | undefined;
  /** `--admin-token` or `EMULATOR_ADMIN_TOKEN`. */
  adminToken: string | undefined;
  /** Host names answered besides the loopback ones and the public URL's, normalized. */
  publicHosts: string[];
  /** `--login-…`: the Instacart log-in limits. */
  loginLimits: LoginLimits;
  /** `--help`. */
  help: boolean;
}

/** A command-line mistake; its message is the one line to print. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** `--help` text. */
export const USAGE = `Usage: cartlink-emulator [options]      (or: npx @cartlink/emulator [options])
       cartlink-emulator apps <list|clone|disable|enable|delete> [CLIENT_ID] [--url URL]   (see apps --help)

An emulator of the Instacart Connect API. The first line it prints is
"Instacart Connect emulator listening on <url> (public URL <url>)"; <url> is where to connect.

Server:
  --port N                        port to listen on (default 4010; 0 picks a free one)
  --host HOST                     interface to listen on (default 127.0.0.1)
  --public-url URL                public base URL, the issuer of iss (default http://localhost:<port>)
  --public-host HOST              another host name to answer for, besides localhost, 127.0.0.1, [::1] and the
                                  public URL's host; repeatable (or EMULATOR_PUBLIC_HOSTS, comma-separated);
                                  any other Host header is answered 421 (DNS rebinding)
  --admin-token T                 lets non-loopback clients use /_emulator/ (or EMULATOR_ADMIN_TOKEN; default none)
  --state-file FILE               keep the state in FILE across restarts (default: in memory)
  --login-failures-per-account N  failed Instacart log-ins per email in the window (default ${DEFAULT_LOGIN_LIMITS.failuresPerAccount})
  --login-attempts-per-address N  Instacart log-ins per client address in the window (default ${DEFAULT_LOGIN_LIMITS.attemptsPerAddress})
  --login-window-seconds N        window of both log-in limits (default ${DEFAULT_LOGIN_LIMITS.windowSeconds})

Data: the seed, then the scenario file, then these flags; kept by POST /_emulator/reset:
  --seed demo|empty               initial data (default demo: app ${DEMO_SEED.app.clientId}, three Instacart accounts)
  --scenario FILE                 a JSON scenario: apps, redirect_uris, instacart_users, settings (default none)
  --app ID:SECRET[:NAME]          register an OAuth app (NAME defaults to ID; needs --redirect-uri ID=URL); repeatable
  --redirect-uri [ID=]URL         add a redirect URI to app ID (default ${DEMO_SEED.app.clientId}); repeatable
  --account EMAIL:PASSWORD[:MEMBERSHIP]
                                  create an Instacart account; repeatable. MEMBERSHIP: none (default), plus
                                  (Instacart+ for a year) or plus:WHEN (until WHEN: 2027-01-31, an ISO 8601
                                  date-time, or +365d; a past WHEN such as -30d is a lapsed subscription)

Settings (as PATCH /_emulator/settings):
  --issuer-param, --no-issuer-param  add RFC 9207 iss to authorization redirects (default off)
  --require-pkce, --no-require-pkce  refuse authorization requests without PKCE (default off)
  --latency-ms N                  delay added to every Connect API call, 0 to 60000 (default 0)

  --help                          this text`;

/** The applications commands of a running emulator, as `cartlink-emulator apps …` takes them. */
export type AppsAction = 'list' | 'clone' | 'disable' | 'enable' | 'delete';

const APPS_ACTIONS: readonly AppsAction[] = ['list', 'clone', 'disable', 'enable', 'delete'];

/** `cartlink-emulator apps …`, validated. */
export interface AppsCommand {
  /** What to do. */
  action: AppsAction;
  /** The application to act on; `undefined` for `list`. */
  clientId: string | undefined;
  /** `--url`: the running emulator's base URL, without a trailing slash. */
  url: string;
  /** `--admin-token` or `EMULATOR_ADMIN_TOKEN`, for an emulator that is not on loopback. */
  adminToken: string | undefined;
  /** `clone` only: `--client-id`, `--client-secret` and `--redirect-uri` (repeatable) of the clone. */
  clone: { clientId?: string; clientSecret?: string; redirectUris?: string[] };
}

/** `cartlink-emulator apps --help` text. */
export const APPS_USAGE = `Usage: cartlink-emulator apps <command> [CLIENT_ID] [options]

Manages the OAuth applications of a running emulator through its admin API, as Instacart's Developer
Dashboard does for a credential rotation. Prints the answer as JSON on stdout; a refusal goes to
stderr with exit code 1, a usage mistake with exit code 2.

Commands:
  list                      every application: client_id, retailer_id, status, name, redirect_uris,
                            scopes, live_tokens (never a secret)
  clone CLIENT_ID           a new application of the same retailer, with the same scopes and redirect
                            URIs and new credentials; prints its client_secret (shown this once)
  disable CLIENT_ID         no new tokens (401 invalid_client); issued tokens work until they expire
  enable CLIENT_ID          issues tokens again
  delete CLIENT_ID          removes it; refused (409 app_has_live_tokens) while a token it issued lives

Options:
  --url URL                 the emulator's base URL (default http://localhost:4010)
  --admin-token T           for an emulator that is not on loopback (or EMULATOR_ADMIN_TOKEN)
  --client-id ID            clone: the clone's client_id (default: random)
  --client-secret S         clone: the clone's client_secret (default: random)
  --redirect-uri URL        clone: a redirect URI of the clone instead of the original's; repeatable
  --help                    this text`;

/**
 * Parses `cartlink-emulator apps …` (`argv` after `apps`) and the environment; `'help'` for
 * `--help`, whatever else is given.
 *
 * @throws {@link CliUsageError} naming the first mistake
 */
export function parseAppsCommand(
  argv: string[],
  env: Record<string, string | undefined>,
): AppsCommand | 'help' {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'admin-token': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new CliUsageError(`apps: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (values.help === true) return 'help';
  const [action, clientId, ...extra] = positionals;
  const text = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const rawUrl = (text('url') ?? 'http://localhost:4010').replace(/\/+$/, '');
  const adminToken = text('admin-token') ?? env.EMULATOR_ADMIN_TOKEN;
  if (action === undefined || !APPS_ACTIONS.includes(action as AppsAction)) {
    throw new CliUsageError(
      `apps needs a command: ${APPS_ACTIONS.join(', ')}${action === undefined ? '' : `, got "${action}"`}`,
    );
  }
  const known = action as AppsAction;
  if (extra.length > 0) throw new CliUsageError(`apps ${known}: unexpected argument "${extra[0]}"`);
  if (known === 'list' && clientId !== undefined) {
    throw new CliUsageError(`apps list takes no client id, got "${clientId}"`);
  }
  if (known !== 'list' && (clientId === undefined || clientId === '')) {
    throw new CliUsageError(`apps ${known} needs the application's client id`);
  }
  if (!URL.canParse(rawUrl) || !['http:', 'https:'].includes(new URL(rawUrl).protocol)) {
    throw new CliUsageError(`--url must be an absolute http(s) URL, got "${rawUrl}"`);
  }
  const newClientId = text('client-id');
  const newSecret = text('client-secret');
  const redirectUris = Array.isArray(values['redirect-uri']) ? values['redirect-uri'] : [];
  if (
    known !== 'clone' &&
    (newClientId !== undefined || newSecret !== undefined || redirectUris.length > 0)
  ) {
    throw new CliUsageError(
      `--client-id, --client-secret and --redirect-uri belong to apps clone, not apps ${known}`,
    );
  }
  const clone = cloneAppBodySchema.safeParse({
    ...(newClientId === undefined ? {} : { client_id: newClientId }),
    ...(newSecret === undefined ? {} : { client_secret: newSecret }),
    ...(redirectUris.length > 0 ? { redirect_uris: redirectUris } : {}),
  });
  if (!clone.success) throw new CliUsageError(`apps clone: ${describeIssue(clone.error)}`);
  return {
    action: known,
    clientId,
    url: rawUrl,
    adminToken: adminToken === '' ? undefined : adminToken,
    clone: {
      ...(clone.data.client_id === undefined ? {} : { clientId: clone.data.client_id }),
      ...(clone.data.client_secret === undefined ? {} : { clientSecret: clone.data.client_secret }),
      ...(clone.data.redirect_uris === undefined ? {} : { redirectUris: clone.data.redirect_uris }),
    },
  };
}

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

/** `--app ID:SECRET[:NAME]`; the secret is never echoed. */
function parseAppFlag(value: string): ScenarioApp {
  const [clientId = '', clientSecret, ...name] = value.split(':');
  if (clientId === '' || clientSecret === undefined || clientSecret === '') {
    throw new CliUsageError(
      `--app must be CLIENT_ID:CLIENT_SECRET[:NAME], got "${clientId}${clientSecret === undefined ? '' : ':…'}"`,
    );
  }
  return {
    client_id: clientId,
    client_secret: clientSecret,
    name: name.join(':') || clientId,
    redirect_uris: [],
  };
}

/** `--redirect-uri [ID=]URL`: an `=` before any `:` or `/` ends a client id (URLs have a scheme first). */
function parseRedirectUriFlag(value: string): { clientId: string; uri: string } {
  const match = /^([^:/=]+)=(.*)$/.exec(value);
  return match
    ? { clientId: match[1] ?? '', uri: match[2] ?? '' }
    : { clientId: DEMO_SEED.app.clientId, uri: value };
}

/** `--account EMAIL:PASSWORD[:MEMBERSHIP]`; the password is never echoed. */
function parseAccountFlag(value: string): ScenarioInstacartUser {
  const first = value.indexOf(':');
  const email = first === -1 ? value : value.slice(0, first);
  const rest = first === -1 ? undefined : value.slice(first + 1);
  const second = rest?.indexOf(':') ?? -1;
  const password = second === -1 ? rest : rest?.slice(0, second);
  const membership = second === -1 ? 'none' : (rest?.slice(second + 1) ?? 'none');
  if (password === undefined) {
    throw new CliUsageError(`--account must be EMAIL:PASSWORD[:MEMBERSHIP], got "${email}"`);
  }
  if (membership === 'none') return { email, password, instacartplus_member: false };
  if (membership === 'plus') return { email, password, instacartplus_member: true };
  if (membership.startsWith('plus:')) {
    return { email, password, instacartplus_member: true, expired_at: membership.slice('plus:'.length) };
  }
  throw new CliUsageError(
    `--account ${email}: MEMBERSHIP must be none, plus or plus:WHEN (2027-01-31, an ISO 8601 date-time, +365d, -30d), got "${membership}"`,
  );
}

/** An on/off switch given as `--x` or `--no-x`, or neither. */
function onOff(values: Record<string, unknown>, name: string): boolean | undefined {
  const on = values[name] === true;
  const off = values[`no-${name}`] === true;
  if (on && off) throw new CliUsageError(`--${name} and --no-${name} contradict each other`);
  return on ? true : off ? false : undefined;
}

/** Names the flag behind the first issue of the flags' scenario: `--account qa@shop.test: expired_at: …`. */
function describeFlagIssue(error: z.ZodError, raw: EmulatorScenario): string {
  const issue = error.issues[0];
  if (!issue) return 'the flags are invalid';
  const [part, index, field, ...rest] = issue.path;
  const fieldPath = [field, ...rest].filter((segment) => segment !== undefined).join('.');
  const what = fieldPath === '' ? issue.message : `${fieldPath}: ${issue.message}`;
  if (part === 'apps' && typeof index === 'number') {
    const app = raw.apps?.[index];
    if (field === 'redirect_uris' && typeof rest[0] === 'number') {
      return `--redirect-uri ${app?.client_id}=${app?.redirect_uris[rest[0]]}: ${issue.message}`;
    }
    if (field === 'redirect_uris') {
      return `--app ${app?.client_id} needs at least one --redirect-uri ${app?.client_id}=URL`;
    }
    return `--app ${app?.client_id}: ${what}`;
  }
  if (part === 'redirect_uris' && typeof index === 'string') {
    const uri = typeof field === 'number' ? raw.redirect_uris?.[index]?.[field] : undefined;
    return `--redirect-uri ${index}=${uri ?? ''}: ${issue.message}`;
  }
  if (part === 'instacart_users' && typeof index === 'number') {
    return `--account ${raw.instacart_users?.[index]?.email}: ${what}`;
  }
  if (part === 'settings' && typeof index === 'string') {
    return `--${index.replaceAll('_', '-')}: ${issue.message}`;
  }
  return issue.message;
}

/**
 * The scenario the data and settings flags describe. Redirect URIs for an app of `--app` go into
 * it (an app needs one); the others are added to an existing app (the demo app by default).
 */
function scenarioFromFlags(
  values: Record<string, string | boolean | string[] | undefined>,
): EmulatorScenario {
  const list = (name: string) => {
    const value = values[name];
    return Array.isArray(value) ? value : [];
  };
  const raw: EmulatorScenario = {};
  const apps = list('app').map(parseAppFlag);
  const added: Record<string, string[]> = {};
  for (const flag of list('redirect-uri')) {
    const { clientId, uri } = parseRedirectUriFlag(flag);
    const targets = apps.filter((candidate) => candidate.client_id === clientId);
    for (const app of targets) app.redirect_uris.push(uri);
    if (targets.length === 0) added[clientId] = [...(added[clientId] ?? []), uri];
  }
  if (Object.keys(added).length > 0) raw.redirect_uris = added;
  if (apps.length > 0) raw.apps = apps;
  const accounts = list('account').map(parseAccountFlag);
  if (accounts.length > 0) raw.instacart_users = accounts;
  const settings: NonNullable<EmulatorScenario['settings']> = {};
  const issuerParam = onOff(values, 'issuer-param');
  if (issuerParam !== undefined) settings.issuer_param = issuerParam;
  const requirePkce = onOff(values, 'require-pkce');
  if (requirePkce !== undefined) settings.require_pkce = requirePkce;
  const latency = values['latency-ms'];
  if (typeof latency === 'string') {
    if (!/^-?\d+$/.test(latency))
      throw new CliUsageError(`--latency-ms must be an integer, got "${latency}"`);
    settings.latency_ms = Number(latency);
  }
  if (Object.keys(settings).length > 0) raw.settings = settings;
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) throw new CliUsageError(describeFlagIssue(result.error, raw));
  return result.data;
}

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
        scenario: { type: 'string' },
        app: { type: 'string', multiple: true },
        'redirect-uri': { type: 'string', multiple: true },
        account: { type: 'string', multiple: true },
        'issuer-param': { type: 'boolean' },
        'no-issuer-param': { type: 'boolean' },
        'require-pkce': { type: 'boolean' },
        'no-require-pkce': { type: 'boolean' },
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
  const scenarioFile = text('scenario');
  if (scenarioFile === '') throw new CliUsageError('--scenario needs a file name');
  return {
    port: integer('port', text('port'), 4010, 65_535),
    host: text('host') ?? '127.0.0.1',
    seed,
    stateFile: text('state-file'),
    scenarioFile,
    scenario: scenarioFromFlags(values),
    publicUrl,
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
