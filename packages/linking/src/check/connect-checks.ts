/**
 * @module The checks of the Connect side of the seed's prerequisites, over `fetch` alone (web
 * standards): the other settings, the client credentials (each set, during a rotation, and which
 * one is in use), the authorization URL, the redirect URI (its form, then whether the authorization
 * endpoint accepts it for this client), PKCE, and the clock against Connect's. Each line reports the
 * variables it owns; a line that only borrows a
 * variable (the client id, for the redirect URI's registration) is skipped when it is unusable and
 * points at the owner, so one mistake makes one failed line.
 */
import {
  ConnectConfigurationError,
  ConnectNetworkError,
  ConnectOAuthError,
  ConnectTimeoutError,
  createConnectClient,
  InvalidClientError,
} from '@cartlink/connect';
import { type AuthorizationAnswer, probeAuthorization } from './authorization-probe.js';
import { type CheckFetch, describeFetchFailure, discardBody } from './http.js';
import { inspectRedirectUri } from './redirect-uri.js';
import {
  type CheckSettings,
  type CheckVariable,
  describeBorrowedProblem,
  describeProblems,
} from './settings.js';
import type { Check, CheckOutcome } from './types.js';

/** The largest difference from Connect's clock that passes. */
export const MAX_CLOCK_SKEW_MS = 60_000;

/** What the Connect checks share. */
export interface ConnectCheckContext {
  /** The configuration as read. */
  settings: CheckSettings;
  /** The `fetch` to call. @default globalThis.fetch */
  fetch?: CheckFetch;
  /** This machine's clock, in epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * A credential set whose `client_credentials` grant gets a line of its own: the configured one
 * (`client-credentials`), and during a rotation the next one beside it (`client-credentials-next`),
 * with its own id and variables.
 */
export interface CredentialSet {
  /** The line's id, e.g. `client-credentials`. */
  id: string;
  /** The variable of the client id, e.g. `CONNECT_CLIENT_ID`. */
  clientIdVariable: CheckVariable;
  /** The variable of the secret, e.g. `CONNECT_CLIENT_SECRET`. */
  clientSecretVariable: CheckVariable;
  /** The client id, read. */
  clientId: string;
  /** The secret, read. Never printed. */
  clientSecret: string;
}

/** What one set's `client_credentials` grant got: a token (dropped), or the error. */
export type GrantAnswer = { accepted: true } | { accepted: false; error: unknown };

/**
 * The two sets of a credential rotation, for the two lines that report them: each grant is asked
 * once, whichever line needs it first, and each line tells which set the shop's client takes its
 * tokens from (the next set when Connect accepts it, the current one when Connect refuses the next
 * one with `invalid_client`: the rule of `createConnectClient`).
 */
export interface CredentialRotation {
  /** `CONNECT_CLIENT_ID` and `CONNECT_CLIENT_SECRET`. */
  current: CredentialSet;
  /** `CONNECT_CLIENT_ID_NEXT` and `CONNECT_CLIENT_SECRET_NEXT`. */
  next: CredentialSet;
  /** The grant of `set` (one of the two), asked once. */
  probe(set: CredentialSet): Promise<GrantAnswer>;
}

/** The line of the current set. */
export const CURRENT_SET_CHECK_ID = 'client-credentials';
/** The line of a rotation's next set. */
export const NEXT_SET_CHECK_ID = 'client-credentials-next';

const pass = (summary: string): CheckOutcome => ({ status: 'pass', summary });
const fail = (summary: string, fix: string): CheckOutcome => ({ status: 'fail', summary, fix });
const skip = (summary: string): CheckOutcome => ({ status: 'skip', summary });

function failOnProblems(
  settings: CheckSettings,
  variables: readonly CheckVariable[],
): CheckOutcome | undefined {
  const problem = describeProblems(settings, variables);
  return problem === undefined ? undefined : fail(problem.summary, problem.fix);
}

function resolveContext(context: ConnectCheckContext): Required<ConnectCheckContext> & { timeoutMs: number } {
  return {
    settings: context.settings,
    fetch: context.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    now: context.now ?? Date.now,
    timeoutMs: context.settings.config.timeoutMs,
  };
}

/** The settings no other line reads: retailer id, issuer, timeout, Instacart's website. */
export function createConfigCheck(context: ConnectCheckContext): Check {
  const { settings } = context;
  return {
    id: 'config',
    async run() {
      const problem = failOnProblems(settings, [
        'CONNECT_RETAILER_ID',
        'CONNECT_ISSUER',
        'CONNECT_REQUIRE_ISSUER',
        'CONNECT_TIMEOUT_MS',
        'INSTACART_WEB_URL',
      ]);
      if (problem) return problem;
      const { config } = settings;
      const facts = [
        `timeout ${config.timeoutMs} ms`,
        config.issuer === undefined
          ? 'no issuer check'
          : `issuer ${config.issuer}${config.requireIssuer ? ' (required)' : ''}`,
        ...(config.retailerId === undefined ? [] : [`retailer id ${config.retailerId}`]),
        `Instacart website ${config.instacartWebUrl}`,
      ];
      return pass(
        `the other Connect settings are valid${settings.demo ? ' (the demo values fill what is unset: --demo)' : ''}: ${facts.join(', ')}`,
      );
    },
  };
}

/**
 * Asks for a `client_credentials` grant with `set`, through the same client a shop uses (one
 * attempt, no retry), and drops the token.
 */
export async function requestGrant(context: ConnectCheckContext, set: CredentialSet): Promise<GrantAnswer> {
  const { settings, fetch, now, timeoutMs } = resolveContext(context);
  const { baseUrl, retailerId } = settings.config;
  try {
    const client = createConnectClient({
      baseUrl,
      clientId: set.clientId,
      clientSecret: set.clientSecret,
      fetch,
      now,
      timeoutMs,
      retry: { maxAttempts: 1 },
      ...(retailerId === undefined || settings.problems.has('CONNECT_RETAILER_ID') ? {} : { retailerId }),
    });
    await client.getFulfillmentToken();
    return { accepted: true };
  } catch (error) {
    return { accepted: false, error };
  }
}

/**
 * The client id the shop's client takes its tokens from, by the rule of `createConnectClient`: the
 * next set's when Connect accepted it; the current set's when Connect refused the next one with
 * `invalid_client` and accepted the current one; none otherwise (the shop's token requests fail).
 */
export async function findCredentialsInUse(rotation: CredentialRotation): Promise<CredentialSet | undefined> {
  const next = await rotation.probe(rotation.next);
  if (next.accepted) return rotation.next;
  if (!(next.error instanceof InvalidClientError)) return undefined;
  return (await rotation.probe(rotation.current)).accepted ? rotation.current : undefined;
}

/**
 * The rotation of the settings, when a next set is configured (or meant to be: a problem with
 * either of its variables gives it a line that reports the problem); undefined otherwise.
 */
export function createCredentialRotation(context: ConnectCheckContext): CredentialRotation | undefined {
  const { config, problems } = context.settings;
  const nextMeant = problems.has('CONNECT_CLIENT_ID_NEXT') || problems.has('CONNECT_CLIENT_SECRET_NEXT');
  if (config.next === undefined && !nextMeant) return undefined;
  const answers = new Map<CredentialSet, Promise<GrantAnswer>>();
  const rotation: CredentialRotation = {
    current: {
      id: CURRENT_SET_CHECK_ID,
      clientIdVariable: 'CONNECT_CLIENT_ID',
      clientSecretVariable: 'CONNECT_CLIENT_SECRET',
      clientId: config.clientId,
      clientSecret: config.clientSecret,
    },
    next: {
      id: NEXT_SET_CHECK_ID,
      clientIdVariable: 'CONNECT_CLIENT_ID_NEXT',
      clientSecretVariable: 'CONNECT_CLIENT_SECRET_NEXT',
      clientId: config.next?.clientId ?? '',
      clientSecret: config.next?.clientSecret ?? '',
    },
    probe(set) {
      let answer = answers.get(set);
      if (answer === undefined) {
        answer = requestGrant(context, set);
        answers.set(set, answer);
      }
      return answer;
    },
  };
  return rotation;
}

/** Whether the grants of both sets can be asked: every variable of both is usable. */
function isRotationUsable(settings: CheckSettings, rotation: CredentialRotation | undefined): boolean {
  if (rotation === undefined) return false;
  const variables: CheckVariable[] = [
    'CONNECT_BASE_URL',
    rotation.current.clientIdVariable,
    rotation.current.clientSecretVariable,
    rotation.next.clientIdVariable,
    rotation.next.clientSecretVariable,
  ];
  return variables.every((variable) => !settings.problems.has(variable));
}

/** A refused grant's line: what Connect said, and what to set. */
function describeRefusal(
  context: ConnectCheckContext,
  set: CredentialSet,
  error: unknown,
  situation: { inUse: string; fix: string } | undefined,
): CheckOutcome {
  const { settings, timeoutMs } = resolveContext(context);
  const { baseUrl } = settings.config;
  const credentials = `${set.clientIdVariable} and ${set.clientSecretVariable}`;
  if (error instanceof InvalidClientError) {
    return fail(
      `Connect at ${baseUrl} refused the credentials of client ${set.clientId} (invalid_client, ${error.status})${situation ? `; ${situation.inUse}` : ''}`,
      situation?.fix ??
        `set ${credentials} to your Connect application's client id and current secret for this Connect server (development and production have their own)`,
    );
  }
  if (error instanceof ConnectOAuthError) {
    return fail(
      `Connect at ${baseUrl} refused the client_credentials grant for client ${set.clientId}: ${error.error} (${error.status})${error.errorDescription ? `: ${error.errorDescription}` : ''}`,
      `ask Instacart to allow the client_credentials grant with scope connect:fulfillment for client ${set.clientId}`,
    );
  }
  if (error instanceof ConnectNetworkError || error instanceof ConnectTimeoutError) {
    const reason =
      error instanceof ConnectTimeoutError ? error.message : describeFetchFailure(error, timeoutMs);
    return fail(
      `Connect did not answer at ${baseUrl}: ${reason}`,
      `check CONNECT_BASE_URL (Connect's base URL) and that this machine can reach it`,
    );
  }
  if (error instanceof ConnectConfigurationError) {
    return fail(`the Connect client refused the settings: ${error.message}`, 'correct CONNECT_BASE_URL');
  }
  // An answer outside the token endpoint's contract: most often a base URL that is not Connect's.
  return fail(
    `the token endpoint ${baseUrl}/v2/oauth/token answered outside Connect's contract: ${error instanceof Error ? error.message : String(error)}`,
    "set CONNECT_BASE_URL to Connect's base URL, without /v2 (https://connect.dev.instacart.tools or https://connect.instacart.com)",
  );
}

/**
 * The `client_credentials` grant of one credential set, through the same client a shop uses (one
 * attempt, no retry): the token is requested and dropped. The current set's line owns
 * `CONNECT_BASE_URL` too; the next set's line borrows it.
 *
 * With a `rotation` (a next set configured), the line also says whether its set is the one in use
 * (see {@link findCredentialsInUse}). The refusal of a set that is not needed is still a failed
 * line, with the fix that ends it: a next set Connect refuses is a mistake in its variables; a
 * current set refused while the next one works is a rotation to finish.
 */
export function createClientCredentialsCheck(
  context: ConnectCheckContext,
  set: CredentialSet,
  rotation?: CredentialRotation,
): Check {
  const { settings } = resolveContext(context);
  const isNext = rotation !== undefined && set === rotation.next;
  return {
    id: set.id,
    async run() {
      const problem = failOnProblems(settings, [
        ...(isNext ? [] : ['CONNECT_BASE_URL' as const]),
        set.clientIdVariable,
        set.clientSecretVariable,
      ]);
      if (problem) return problem;
      if (isNext) {
        const borrowed = describeBorrowedProblem(settings, [
          { variable: 'CONNECT_BASE_URL', owner: CURRENT_SET_CHECK_ID },
        ]);
        if (borrowed !== undefined) return skip(borrowed);
      }
      const { baseUrl } = settings.config;
      const answer = rotation ? await rotation.probe(set) : await requestGrant(context, set);
      // Which set is in use, when both can be asked; with one set configured nothing is added.
      const inUse =
        isRotationUsable(settings, rotation) && rotation ? await findCredentialsInUse(rotation) : null;
      if (answer.accepted) {
        const succeeded = `a client_credentials grant for client ${set.clientId}${isNext ? ' (the next set)' : ''} succeeded at ${baseUrl}`;
        if (inUse === null || rotation === undefined) return pass(succeeded);
        if (inUse === set) {
          return pass(
            isNext
              ? `${succeeded}; in use: the shop takes its tokens from it`
              : `${succeeded}; in use: Connect refuses the next set (client ${rotation.next.clientId})`,
          );
        }
        return pass(
          inUse === undefined
            ? `${succeeded}; not in use: the next set is asked first, and its failure fails the shop's token requests (see ${NEXT_SET_CHECK_ID})`
            : `${succeeded}; not in use: the shop takes its tokens from the next set (client ${inUse.clientId})`,
        );
      }
      if (inUse === null || rotation === undefined)
        return describeRefusal(context, set, answer.error, undefined);
      if (isNext) {
        return describeRefusal(context, set, answer.error, {
          inUse:
            inUse === rotation.current
              ? `the shop falls back to client ${rotation.current.clientId} (in use)`
              : 'the current set is not accepted either: the shop gets no fulfillment token',
          fix: `set ${set.clientIdVariable} and ${set.clientSecretVariable} to the client id and secret of the application Instacart made for the rotation (the clone), or unset both`,
        });
      }
      return describeRefusal(context, set, answer.error, {
        inUse:
          inUse === rotation.next
            ? `the shop takes its tokens from the next set (client ${rotation.next.clientId})`
            : 'the next set is not accepted either: the shop gets no fulfillment token',
        fix:
          inUse === rotation.next
            ? `finish the rotation (Instacart disables the old application at its end): set ${set.clientIdVariable} and ${set.clientSecretVariable} to the values of ${rotation.next.clientIdVariable} and ${rotation.next.clientSecretVariable}, then unset those two`
            : `set ${set.clientIdVariable} and ${set.clientSecretVariable} to your Connect application's client id and current secret for this Connect server (development and production have their own)`,
      });
    },
  };
}

/**
 * The lines of the client credentials: `client-credentials`, and `client-credentials-next` after it
 * when a next set is configured (see {@link createCredentialRotation}).
 */
export function createClientCredentialsChecks(
  context: ConnectCheckContext,
  rotation: CredentialRotation | undefined = createCredentialRotation(context),
): Check[] {
  const { config } = context.settings;
  if (rotation === undefined) {
    return [
      createClientCredentialsCheck(context, {
        id: CURRENT_SET_CHECK_ID,
        clientIdVariable: 'CONNECT_CLIENT_ID',
        clientSecretVariable: 'CONNECT_CLIENT_SECRET',
        clientId: config.clientId,
        clientSecret: config.clientSecret,
      }),
    ];
  }
  return [
    createClientCredentialsCheck(context, rotation.current, rotation),
    createClientCredentialsCheck(context, rotation.next, rotation),
  ];
}

/** The redirect URI's form, with no request: the registration is the next line's. */
export function createRedirectUriCheck(context: ConnectCheckContext): Check {
  const { settings } = context;
  return {
    id: 'redirect-uri',
    async run() {
      const problem = failOnProblems(settings, ['CONNECT_REDIRECT_URI']);
      if (problem) return problem;
      const found = inspectRedirectUri(settings.config.redirectUri);
      if (found) return fail(found.summary, found.fix);
      const { hostname, protocol } = new URL(settings.config.redirectUri);
      return pass(
        `${settings.config.redirectUri} is well formed${protocol === 'http:' ? ` (http, allowed on ${hostname} only)` : ''}`,
      );
    },
  };
}

function describeEndpoint(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.origin}${url.pathname}`;
}

/**
 * The three lines the one authorization request answers: the authorization URL answers
 * (`authorization-url`), it accepts the redirect URI for this client (`redirect-uri-registered`), and
 * it accepts the request the shop sends, PKCE included (`pkce`). During a `rotation` the request
 * carries the client id a shop's link would: the one in use (see {@link findCredentialsInUse}).
 */
export function createAuthorizationChecks(
  context: ConnectCheckContext,
  rotation?: CredentialRotation,
): [Check, Check, Check] {
  const { settings, fetch, timeoutMs } = resolveContext(context);
  const { config } = settings;
  const borrowed = describeBorrowedProblem(settings, [
    { variable: 'CONNECT_CLIENT_ID', owner: CURRENT_SET_CHECK_ID },
    ...(rotation === undefined
      ? []
      : [{ variable: 'CONNECT_CLIENT_ID_NEXT' as const, owner: NEXT_SET_CHECK_ID }]),
    { variable: 'CONNECT_REDIRECT_URI', owner: 'redirect-uri' },
  ]);
  /** The client id of the authorization request: the configured one, or the one in use. */
  let clientId = config.clientId;
  let answer: Promise<AuthorizationAnswer> | undefined;
  // Sent once, by whichever line asks first; the other lines read the same answer.
  const probe = () => {
    answer ??= (async () => {
      if (borrowed === undefined && isRotationUsable(settings, rotation) && rotation) {
        clientId = (await findCredentialsInUse(rotation))?.clientId ?? clientId;
      }
      return probeAuthorization({
        authorizationEndpoint: config.authUrl,
        request:
          borrowed === undefined
            ? { clientId, redirectUri: config.redirectUri, usePkce: config.usePkce }
            : undefined,
        fetch,
        timeoutMs,
      });
    })();
    return answer;
  };

  const authorizationUrl: Check = {
    id: 'authorization-url',
    async run() {
      const problem = failOnProblems(settings, ['CONNECT_AUTH_URL']);
      if (problem) return problem;
      const endpoint = describeEndpoint(config.authUrl);
      const found = await probe();
      const fix = `set CONNECT_AUTH_URL to the authorization URL Instacart gave you, and make sure this machine and your shoppers' browsers can reach ${new URL(config.authUrl).origin}`;
      if (found.kind === 'unreachable') return fail(`no answer from ${endpoint}: ${found.reason}`, fix);
      if ([404, 405, 410, 421].includes(found.status)) {
        return fail(`${endpoint} answered ${found.status}: it is not an authorization endpoint`, fix);
      }
      if (found.status >= 500) {
        return fail(
          `${endpoint} answered ${found.status}, a server error`,
          'try again later; if it lasts, tell Instacart (or restart the emulator)',
        );
      }
      return pass(`${endpoint} answers (${found.status})`);
    },
  };

  const registered: Check = {
    id: 'redirect-uri-registered',
    needs: ['authorization-url'],
    async run() {
      if (borrowed !== undefined) return skip(borrowed);
      const found = await probe();
      if (found.kind === 'unreachable') return skip(`not checked: ${found.reason}`);
      const accepted = `${config.redirectUri} is accepted for client ${clientId}`;
      if (found.toRedirectUri) return pass(`${accepted}: the authorization endpoint redirects to it`);
      if (found.redirectedTo !== undefined) {
        return pass(`${accepted}: the authorization endpoint goes on to ${found.redirectedTo}`);
      }
      if (found.status < 300) return pass(`${accepted}: the authorization endpoint shows its page`);
      return fail(
        `the authorization endpoint answered ${found.status} with an error page, not a redirect: ${config.redirectUri} is not registered for client ${clientId}, or the client id is unknown`,
        `register ${config.redirectUri} for client ${clientId} with Instacart, byte for byte (on the emulator: --redirect-uri ${clientId}=${config.redirectUri}), or set CONNECT_REDIRECT_URI to the URI registered`,
      );
    },
  };

  const pkce: Check = {
    id: 'pkce',
    needs: ['redirect-uri-registered'],
    async run() {
      const problem = failOnProblems(settings, ['CONNECT_USE_PKCE']);
      if (problem) return problem;
      const found = await probe();
      const request = config.usePkce
        ? 'with a PKCE challenge (S256)'
        : 'without PKCE (CONNECT_USE_PKCE=false)';
      if (found.kind === 'answered' && found.error !== undefined) {
        const { error, description } = found.error;
        return fail(
          `the authorization endpoint refused the authorization request ${request}: error=${error}${description ? `: ${description}` : ''}`,
          config.usePkce
            ? `ask Instacart to accept PKCE (S256) for client ${clientId}, or set CONNECT_USE_PKCE=false to send no challenge`
            : 'set CONNECT_USE_PKCE=true: the authorization endpoint wants a PKCE challenge',
        );
      }
      return pass(`the authorization request ${request} is accepted`);
    },
  };

  return [authorizationUrl, registered, pkce];
}

function describeDuration(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * This machine's clock against Connect's, read from the `Date` header of an answer from the base URL
 * (any answer has one, RFC 9110 §6.6.1). Token and membership expiries are compared with the local
 * clock, so a skewed one misreads them. The header has a resolution of one second and the answer
 * takes a round trip: both are allowed for.
 */
export function createClockCheck(context: ConnectCheckContext): Check {
  const { settings, fetch, now, timeoutMs } = resolveContext(context);
  return {
    id: 'clock',
    async run() {
      const borrowed = describeBorrowedProblem(settings, [
        { variable: 'CONNECT_BASE_URL', owner: 'client-credentials' },
      ]);
      if (borrowed !== undefined) return skip(borrowed);
      const url = `${settings.config.baseUrl}/`;
      const sent = now();
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'GET',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return skip(`not checked: no answer from ${url}: ${describeFetchFailure(error, timeoutMs)}`);
      }
      const received = now();
      await discardBody(response);
      const date = response.headers.get('date');
      const connectMs = date === null ? Number.NaN : Date.parse(date);
      if (Number.isNaN(connectMs)) {
        return fail(
          `${url} answered without a readable Date header, so the clocks cannot be compared`,
          "check that CONNECT_BASE_URL is Connect's base URL and that no proxy strips the Date header",
        );
      }
      // The header truncates to the second: Connect's time was in [connectMs, connectMs + 1 s), read
      // somewhere between sending and receiving.
      const skewMs = connectMs + 500 - (sent + received) / 2;
      const slackMs = 500 + (received - sent) / 2;
      const side = skewMs > 0 ? 'behind' : 'ahead of';
      if (Math.abs(skewMs) - slackMs > MAX_CLOCK_SKEW_MS) {
        return fail(
          `this machine's clock is ${describeDuration(skewMs)} ${side} Connect's (its Date header), more than a minute`,
          'synchronise the clock with NTP (timedatectl set-ntp true, chrony or ntpd): token and Instacart+ expiry are compared with it',
        );
      }
      return pass(
        `this machine's clock is within a minute of Connect's (${describeDuration(skewMs)} ${side} it)`,
      );
    },
  };
}

/**
 * Every check, in the order of the report, with the `database` check (Node.js only, so made
 * elsewhere) in its place. During a rotation, `client-credentials-next` (the next set) follows
 * `client-credentials`, and the authorization request carries the client id in use.
 */
export function createConnectChecks(context: ConnectCheckContext, database: Check): Check[] {
  const rotation = createCredentialRotation(context);
  const [authorizationUrl, registered, pkce] = createAuthorizationChecks(context, rotation);
  return [
    createConfigCheck(context),
    ...createClientCredentialsChecks(context, rotation),
    authorizationUrl,
    createRedirectUriCheck(context),
    registered,
    pkce,
    database,
    createClockCheck(context),
  ];
}
