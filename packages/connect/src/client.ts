/**
 * `createConnectClient`: the Connect endpoints of docs/connect-api.md as typed methods.
 */
import type { z } from 'zod';
import { ConnectConfigurationError, ConnectUnauthorizedError, InvalidClientError } from './errors.js';
import {
  connectUserSchema,
  linkResultSchema,
  linkStatusSchema,
  revokeResultSchema,
  sandboxAuthorizeSchema,
  sandboxUserSchema,
  tokenResponseSchema,
} from './schemas.js';
import { createTokenCache, type IssuedToken } from './token-cache.js';
import { type RequestSpec, raceAbort, sendRequest, type TransportConfig } from './transport.js';
import type {
  AcceptLanguage,
  ConnectClient,
  ConnectClientOptions,
  ConnectCredentials,
  CredentialsChangeEvent,
  LinkingToken,
} from './types.js';

const TOKEN_PATH = '/v2/oauth/token';
const REVOKE_PATH = '/v2/oauth/token/revoke';
const ACCEPT_LANGUAGES: readonly AcceptLanguage[] = ['en-US', 'en-CA', 'fr-CA'];

/**
 * Creates a Connect client. Validates the options at once and throws one
 * `ConnectConfigurationError` line naming the first bad option (never its value).
 *
 * One client per application and process: it holds the fulfillment token cache, and on Node.js
 * the default `fetch` (undici) keeps connections to Connect alive between calls. During a
 * credential rotation it holds both applications' credentials (`nextCredentials`): see
 * {@link ConnectClient.credentialsInUse}.
 *
 * @example
 * ```ts
 * const connect = createConnectClient({
 *   baseUrl: 'https://connect.dev.instacart.tools',
 *   clientId: process.env.CONNECT_CLIENT_ID,
 *   clientSecret: process.env.CONNECT_CLIENT_SECRET,
 * });
 * const status = await connect.getLinkStatus('1990ad78-9f7a-4302-95cb-f70fe03b6b04');
 * ```
 * @see docs/connect-api.md
 */
export function createConnectClient(options: ConnectClientOptions): ConnectClient {
  const config = resolveConfig(options);
  const current: ConnectCredentials = { clientId: options.clientId, clientSecret: options.clientSecret };
  const next: ConnectCredentials | null =
    options.nextCredentials === undefined
      ? null
      : { clientId: options.nextCredentials.clientId, clientSecret: options.nextCredentials.clientSecret };
  const clientIds = Object.freeze(next === null ? [current.clientId] : [current.clientId, next.clientId]);
  // Until Connect has accepted the next set, the current one is in use: so a shop that starts with
  // both tells `next-accepted` at its first token, and one whose next set is refused tells nothing.
  let inUse: ConnectCredentials = current;

  function adopt(set: ConnectCredentials, reason: CredentialsChangeEvent['reason']): void {
    if (inUse === set) return;
    const previous = inUse;
    inUse = set;
    try {
      options.onCredentialsChange?.({ clientId: set.clientId, previousClientId: previous.clientId, reason });
    } catch {
      // A faulty listener must not fail the call that needed the token.
    }
  }

  /** The credentials of `clientId`, the current set's when absent. */
  function findCredentials(clientId: string | undefined): ConnectCredentials {
    if (clientId === undefined || clientId === current.clientId) return current;
    if (next !== null && clientId === next.clientId) return next;
    // A client id the shop never configured cannot have come from Connect: the caller's mistake.
    throw new TypeError(`clientId "${clientId}" is not one of this client's credential sets`);
  }

  async function requestFulfillmentToken(set: ConnectCredentials, fallback: boolean): Promise<IssuedToken> {
    const token = await sendRequest(
      config,
      {
        operation: 'token.client_credentials',
        method: 'POST',
        path: TOKEN_PATH,
        route: TOKEN_PATH,
        endpoint: 'oauth',
        retry: true,
        body: {
          client_id: set.clientId,
          client_secret: set.clientSecret,
          grant_type: 'client_credentials',
          scope: 'connect:fulfillment',
        },
        ...(fallback ? { fallback } : {}),
      },
      tokenResponseSchema,
    );
    return { accessToken: token.access_token, expiresIn: token.expires_in };
  }

  const tokenCache = createTokenCache({
    now: config.now,
    refreshMarginMs: (options.tokenRefreshMarginSeconds ?? 300) * 1000,
    fetchToken: async () => {
      if (next === null) return requestFulfillmentToken(current, false);
      // The next set is asked on every new token, so a shop moves to it as soon as Connect accepts it.
      try {
        const issued = await requestFulfillmentToken(next, false);
        adopt(next, 'next-accepted');
        return issued;
      } catch (error) {
        // Only a refusal of the credentials themselves: Connect being down is no reason to switch.
        if (!(error instanceof InvalidClientError)) throw error;
      }
      const issued = await requestFulfillmentToken(current, true);
      adopt(current, 'next-refused');
      return issued;
    },
  });

  /**
   * A fulfillment call with the cached token. A 401 means the token died early (revoked, or
   * Connect's clock ran ahead): forget it, fetch one new token and try once more.
   */
  async function sendAuthorized<T>(spec: Omit<RequestSpec, 'bearer'>, schema: z.ZodType<T>): Promise<T> {
    // The token request is shared, so the caller's signal does not cancel it; it only stops waiting.
    const token = spec.signal ? await raceAbort(tokenCache.get(), spec.signal) : await tokenCache.get();
    try {
      return await sendRequest(config, { ...spec, bearer: token }, schema);
    } catch (error) {
      if (!(error instanceof ConnectUnauthorizedError)) throw error;
      tokenCache.invalidate(token);
      const fresh = await tokenCache.get();
      return await sendRequest(config, { ...spec, bearer: fresh }, schema);
    }
  }

  return {
    getFulfillmentToken: () => tokenCache.get(),

    credentialsInUse: () => inUse.clientId,

    listClientIds: () => clientIds,

    async exchangeAuthorizationCode(input) {
      const credentials = findCredentials(input.clientId);
      const body: Record<string, unknown> = {
        grant_type: 'authorization_code',
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        code: input.code,
        redirect_uri: input.redirectUri,
      };
      if (input.codeVerifier !== undefined) body.code_verifier = input.codeVerifier;
      const token = await sendRequest(
        config,
        {
          operation: 'token.authorization_code',
          method: 'POST',
          path: TOKEN_PATH,
          route: TOKEN_PATH,
          endpoint: 'oauth',
          retry: false,
          body,
          secrets: [input.code, ...(input.codeVerifier === undefined ? [] : [input.codeVerifier])],
        },
        tokenResponseSchema,
      );
      const linkingToken: LinkingToken = {
        accessToken: token.access_token,
        tokenType: token.token_type,
        expiresIn: token.expires_in,
        scope: token.scope ?? null,
        createdAt: token.created_at ?? Math.floor(config.now() / 1000),
        refreshToken: token.refresh_token ?? null,
      };
      return linkingToken;
    },

    async revokeToken(token, revokeOptions = {}) {
      const credentials = findCredentials(revokeOptions.clientId);
      await sendRequest(
        config,
        {
          operation: 'token.revoke',
          method: 'POST',
          path: REVOKE_PATH,
          route: REVOKE_PATH,
          endpoint: 'oauth',
          retry: false,
          body: { client_id: credentials.clientId, client_secret: credentials.clientSecret, token },
          secrets: [token],
        },
        revokeResultSchema,
      );
    },

    async getLinkStatus(userId, callOptions = {}) {
      if (callOptions.acceptLanguage !== undefined) assertAcceptLanguage(callOptions.acceptLanguage);
      const spec: Omit<RequestSpec, 'bearer'> = {
        operation: 'link.get',
        method: 'GET',
        path: `/v2/fulfillment/users/${encodeUserId(userId)}/link`,
        route: '/v2/fulfillment/users/{user_id}/link',
        endpoint: 'fulfillment',
        retry: true,
      };
      if (callOptions.acceptLanguage !== undefined) spec.acceptLanguage = callOptions.acceptLanguage;
      if (callOptions.signal !== undefined) spec.signal = callOptions.signal;
      return sendAuthorized(spec, linkStatusSchema);
    },

    async linkUser(userId, linkingToken) {
      if (typeof linkingToken !== 'string' || linkingToken.length === 0) {
        throw new TypeError('linkUser needs a linking token');
      }
      await sendAuthorized(
        {
          operation: 'link.create',
          method: 'POST',
          path: `/v2/fulfillment/users/${encodeUserId(userId)}/link`,
          route: '/v2/fulfillment/users/{user_id}/link',
          endpoint: 'fulfillment',
          // Safe: the linking token stays valid and linking the same pair again succeeds.
          retry: true,
          body: { linking_token: linkingToken },
          secrets: [linkingToken],
        },
        linkResultSchema,
      );
    },

    async createUser(input) {
      encodeUserId(input.userId);
      const body: Record<string, unknown> = { user_id: input.userId, first_name: input.firstName };
      if (input.lastName !== undefined) body.last_name = input.lastName;
      if (input.phoneNumber !== undefined) body.phone_number = input.phoneNumber;
      if (input.locale !== undefined) body.locale = input.locale;
      return sendAuthorized(
        {
          operation: 'user.create',
          method: 'POST',
          path: '/v2/fulfillment/users',
          route: '/v2/fulfillment/users',
          endpoint: 'fulfillment',
          retry: false,
          body,
        },
        connectUserSchema,
      );
    },

    sandbox: {
      async createInstacartUser(input) {
        const body: Record<string, unknown> = {
          email: input.email,
          password: input.password,
          instacartplus_member: input.instacartplusMember,
        };
        if (input.phone !== undefined) body.phone = input.phone;
        if (input.expressMember !== undefined) body.express_member = input.expressMember;
        return sendAuthorized(
          {
            operation: 'sandbox.instacart_user.create',
            method: 'POST',
            path: '/v2/fulfillment_sandbox/instacart_users',
            route: '/v2/fulfillment_sandbox/instacart_users',
            endpoint: 'fulfillment',
            retry: false,
            body,
            secrets: [input.password],
          },
          sandboxUserSchema,
        );
      },

      async authorize(instacartUserId, input) {
        if (!Number.isSafeInteger(instacartUserId) || instacartUserId < 0) {
          throw new TypeError('instacartUserId must be a non-negative integer');
        }
        const body: Record<string, unknown> = {
          redirect_uri: input.redirectUri,
          scope: input.scope ?? 'account_linking',
        };
        if (input.codeChallenge !== undefined) {
          body.code_challenge = input.codeChallenge;
          body.code_challenge_method = input.codeChallengeMethod ?? 'S256';
        } else if (input.codeChallengeMethod !== undefined) {
          body.code_challenge_method = input.codeChallengeMethod;
        }
        return sendAuthorized(
          {
            operation: 'sandbox.authorize',
            method: 'POST',
            path: `/v2/fulfillment_sandbox/instacart_users/${instacartUserId}/authorize`,
            route: '/v2/fulfillment_sandbox/instacart_users/{id}/authorize',
            endpoint: 'fulfillment',
            retry: false,
            body,
          },
          sandboxAuthorizeSchema,
        );
      },
    },
  };
}

/**
 * The `user_id` path segment, percent-encoded. `.` and `..` are refused: URL parsers resolve them
 * (encoded or not) as dot segments, which would send the call to another path.
 */
function encodeUserId(userId: string): string {
  if (typeof userId !== 'string' || userId.length === 0)
    throw new TypeError('userId must be a non-empty string');
  if (userId === '.' || userId === '..') throw new TypeError('userId must not be "." or ".."');
  return encodeURIComponent(userId);
}

function assertAcceptLanguage(value: string): void {
  if (!(ACCEPT_LANGUAGES as readonly string[]).includes(value)) {
    throw new ConnectConfigurationError(`acceptLanguage must be one of ${ACCEPT_LANGUAGES.join(', ')}`);
  }
}

function resolveConfig(options: ConnectClientOptions): TransportConfig {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new ConnectConfigurationError('baseUrl must be an absolute URL');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new ConnectConfigurationError('baseUrl must be an http or https URL');
  }
  if (base.search !== '' || base.hash !== '' || base.username !== '' || base.password !== '') {
    throw new ConnectConfigurationError('baseUrl must not carry a query, fragment or credentials');
  }
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
    throw new ConnectConfigurationError('clientId must be a non-empty string');
  }
  if (typeof options.clientSecret !== 'string' || options.clientSecret.length === 0) {
    throw new ConnectConfigurationError('clientSecret must be a non-empty string');
  }
  const next = options.nextCredentials;
  if (next !== undefined) {
    if (typeof next !== 'object' || next === null) {
      throw new ConnectConfigurationError('nextCredentials must be { clientId, clientSecret }');
    }
    if (typeof next.clientId !== 'string' || next.clientId.length === 0) {
      throw new ConnectConfigurationError('nextCredentials.clientId must be a non-empty string');
    }
    if (typeof next.clientSecret !== 'string' || next.clientSecret.length === 0) {
      throw new ConnectConfigurationError('nextCredentials.clientSecret must be a non-empty string');
    }
    // Calls name a set by its client id (the code exchange, revocation): two sets need two ids.
    if (next.clientId === options.clientId) {
      throw new ConnectConfigurationError('nextCredentials.clientId must differ from clientId');
    }
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  assertNumber(timeoutMs, 'timeoutMs', { min: 1 });
  const retry = {
    maxAttempts: options.retry?.maxAttempts ?? 3,
    baseDelayMs: options.retry?.baseDelayMs ?? 100,
    maxDelayMs: options.retry?.maxDelayMs ?? 2_000,
    budgetMs: options.retry?.budgetMs ?? null,
  };
  assertNumber(retry.maxAttempts, 'retry.maxAttempts', { min: 1, integer: true });
  assertNumber(retry.baseDelayMs, 'retry.baseDelayMs', { min: 0 });
  assertNumber(retry.maxDelayMs, 'retry.maxDelayMs', { min: 0 });
  if (retry.budgetMs !== null) assertNumber(retry.budgetMs, 'retry.budgetMs', { min: 1 });
  assertNumber(options.tokenRefreshMarginSeconds ?? 300, 'tokenRefreshMarginSeconds', { min: 0 });
  if (options.acceptLanguage !== undefined) assertAcceptLanguage(options.acceptLanguage);
  if (options.retailerId !== undefined && options.retailerId.length === 0) {
    throw new ConnectConfigurationError('retailerId must not be empty when given');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new ConnectConfigurationError('fetch is not available: pass options.fetch');
  }
  return {
    baseUrl: `${base.origin}${base.pathname.replace(/\/+$/, '')}`,
    // Called unbound: some platforms' fetch throws "Illegal invocation" when called as a method of another object.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs,
    retry,
    retailerId: options.retailerId,
    acceptLanguage: options.acceptLanguage,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    onRequest: options.onRequest,
    secrets: next === undefined ? [options.clientSecret] : [options.clientSecret, next.clientSecret],
  };
}

function assertNumber(value: number, name: string, rule: { min: number; integer?: boolean }): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min) {
    throw new ConnectConfigurationError(`${name} must be a finite number of at least ${rule.min}`);
  }
  if (rule.integer && !Number.isInteger(value))
    throw new ConnectConfigurationError(`${name} must be an integer`);
}
