/**
 * The public shapes of the client: options, the client itself and what its calls return.
 */
import type { ConnectRequestEvent } from './transport.js';

/**
 * Languages Connect answers in.
 *
 * @see docs/connect-api.md "Hosts"
 */
export type AcceptLanguage = 'en-US' | 'en-CA' | 'fr-CA';

/**
 * What the client passes to {@link ConnectFetch}: always an absolute URL string beside these, never a
 * `Request`. Redirects are not followed (`manual`): one would replay the body, credentials included.
 */
export interface ConnectFetchInit {
  /** `GET` or `POST`. */
  method: 'GET' | 'POST';
  /** The request's headers, by name. */
  headers: Record<string, string>;
  /** A JSON text, on a `POST`. */
  body: string | undefined;
  /** Ends the call: the attempt's timeout or the caller's abort. */
  signal: AbortSignal;
  /** Never follow a redirect. */
  redirect: 'manual';
}

/** What the client reads of response headers: `Headers` has it. */
export interface ConnectFetchHeaders {
  /** The header's value, or null when absent (as `Headers.get`). */
  get(name: string): string | null;
}

/** What the client reads of a response: a `Response` has all of it. */
export interface ConnectFetchResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers (the client reads `Retry-After`). */
  readonly headers: ConnectFetchHeaders;
  /** The whole body as text. */
  text(): Promise<string>;
}

/**
 * The HTTP function the client calls, shaped as `fetch` is: `globalThis.fetch` is one. A replacement
 * must reject when `init.signal` aborts (with its reason) and when no response arrives (a
 * `TypeError`, as `fetch` does), and must not follow redirects.
 * @example
 * // Every call to Connect timed, whatever else the platform's fetch does.
 * const timedFetch: ConnectFetch = async (url, init) => {
 *   const started = performance.now();
 *   try { return await fetch(url, init); } finally { metrics.observe(performance.now() - started); }
 * };
 */
export type ConnectFetch = (url: string, init: ConnectFetchInit) => Promise<ConnectFetchResponse>;

/**
 * Settings of {@link createConnectClient}. Only `baseUrl`, `clientId` and `clientSecret` are
 * required; the rest are for production tuning and for tests.
 *
 * @see docs/connect-api.md "Hosts" and section 5
 */
export interface ConnectClientOptions {
  /**
   * Connect's base URL, e.g. `https://connect.dev.instacart.tools` or `http://localhost:4010`; may
   * include a path prefix (`https://gateway.example/connect`). No query, no fragment.
   */
  baseUrl: string;
  /** The Connect OAuth application's client id. */
  clientId: string;
  /** The application's client secret. Sent only in JSON bodies; never in a message or event. */
  clientSecret: string;
  /**
   * During a credential rotation, the next application's credentials (the clone Instacart made,
   * with its own client id). Each new fulfillment token is asked of this set first; when Connect
   * answers `invalid_client` the current set (`clientId`, `clientSecret`) is asked instead, within
   * the same call, so no caller fails for it. Unset: one set, and every call is as without it.
   * @see docs/connect-api.md section 2
   */
  nextCredentials?: ConnectCredentials;
  /**
   * Told each time the credential set the client takes its fulfillment tokens from changes (see
   * {@link ConnectClient.credentialsInUse}): once when it moves, never on every token. The current
   * set is in use until Connect accepts the next one, so a client started with both tells
   * `next-accepted` at its first token when the next set works, and nothing while it is refused.
   * Never receives a secret. A listener that throws is ignored.
   */
  onCredentialsChange?: (event: CredentialsChangeEvent) => void;
  /**
   * `fetch` to use: `globalThis.fetch`, or any function that makes the client's calls as it would (see
   * {@link ConnectFetch}). On Node.js the default is undici, which keeps connections alive and reuses
   * them, so one client keeps a warm pool to Connect. Tests inject their own.
   * @default globalThis.fetch
   */
  fetch?: ConnectFetch;
  /**
   * Limit per attempt in ms, from sending to the body being read.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Retries of the calls that may be retried (link status, the fulfillment token, link user), with
   * full-jitter exponential backoff.
   * @default { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 }
   */
  retry?: {
    /**
     * Attempts in all, the first included.
     * @default 3
     */
    maxAttempts?: number;
    /**
     * Backoff before the first retry is drawn from [0, baseDelayMs); it doubles with each retry.
     * @default 100
     */
    baseDelayMs?: number;
    /**
     * Ceiling of the backoff.
     * @default 2000
     */
    maxDelayMs?: number;
    /**
     * Longest time one call may take, every attempt and wait included. Unset: no limit beyond
     * `maxAttempts` × `timeoutMs` and the waits.
     */
    budgetMs?: number;
  };
  /** Sent as `X-Retailer-Id` (required for multi-banner retailers). Unset: not sent. */
  retailerId?: string;
  /** Sent as `Accept-Language` on every call unless a call overrides it. Unset: not sent. */
  acceptLanguage?: AcceptLanguage;
  /**
   * Clock in epoch ms, for the fulfillment token's expiry and `Retry-After` dates.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Request a new fulfillment token this long (in seconds) before the cached one expires; at most
   * half the token's lifetime is used.
   * @default 300
   */
  tokenRefreshMarginSeconds?: number;
  /** Called after every attempt, for metrics and logs. Never receives a secret. */
  onRequest?: (event: ConnectRequestEvent) => void;
  /**
   * Jitter source in [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /**
   * Backoff sleeper.
   * @default (ms) => new Promise((resolve) => setTimeout(resolve, ms))
   */
  sleep?: (ms: number) => Promise<void>;
}

/** One application's OAuth credentials: a client id and its secret. */
export interface ConnectCredentials {
  /** The application's client id. */
  clientId: string;
  /** Its client secret. Sent only in JSON bodies; never in a message or event. */
  clientSecret: string;
}

/**
 * What {@link ConnectClientOptions.onCredentialsChange} is told: the credential set in use changed.
 * Client ids only, never a secret, so it is fit for a log line.
 */
export interface CredentialsChangeEvent {
  /** The client id now in use. */
  clientId: string;
  /** The client id in use before. */
  previousClientId: string;
  /**
   * Why: `next-accepted` when Connect issued a fulfillment token to the next set, so the client
   * moved to it; `next-refused` when Connect answered `invalid_client` to the next set and the
   * client fell back to the current one.
   */
  reason: 'next-accepted' | 'next-refused';
}

/**
 * A linking token: what the authorization-code grant returns. Only `accessToken` is needed, to
 * pass to {@link ConnectClient.linkUser}.
 *
 * @see docs/connect-api.md section 2b
 */
export interface LinkingToken {
  /** The linking token itself; pass it to `linkUser`, never log it. */
  accessToken: string;
  /** Always `Bearer`. */
  tokenType: 'Bearer';
  /** Lifetime in seconds. */
  expiresIn: number;
  /** Granted scope (`account_linking`), `null` when absent. */
  scope: string | null;
  /** Epoch seconds when it was issued (Connect's clock; ours when Connect leaves it out). */
  createdAt: number;
  /** Shown by the how-to page, absent from the reference; unused by the flow. */
  refreshToken: string | null;
}

/**
 * Account information of a linked user.
 *
 * @see docs/connect-api.md section 3a
 */
export interface LinkStatus {
  /** Whether the linked Instacart account has an active Instacart+ membership. */
  instacartplusMember: boolean;
  /** Deprecated by Connect; `null` when absent. */
  expressMember: boolean | null;
  /** End of the subscription; `null` when there is none. */
  expiredAt: Date | null;
}

/**
 * Input of {@link ConnectClient.createUser}.
 *
 * @see docs/connect-api.md section 3c
 */
export interface CreateUserInput {
  /** The retailer's own id of the user. */
  userId: string;
  /** Must not contain any of `/ : < > $ % ?`. */
  firstName: string;
  /** Same rule as `firstName`. */
  lastName?: string;
  /** E.164, e.g. `+15551234567`. */
  phoneNumber?: string;
  /** e.g. `en-US`. */
  locale?: string;
}

/**
 * A Connect user as create user echoes it.
 *
 * @see docs/connect-api.md section 3c
 */
export interface ConnectUser {
  /** The retailer's own id of the user. */
  userId: string;
  /** The first name Connect stored. */
  firstName: string;
  /** The last name, `null` when none was given. */
  lastName: string | null;
  /** The phone number (E.164), `null` when none was given. */
  phoneNumber: string | null;
  /** The locale, `null` when none was given. */
  locale: string | null;
}

/**
 * Input of {@link ConnectClient.sandbox}'s `createInstacartUser`.
 *
 * @see docs/connect-api.md section 4
 */
export interface SandboxInstacartUserInput {
  /** The Instacart account's email. */
  email: string;
  /** Its phone number (E.164). */
  phone?: string;
  /** Its password, for signing in on the authorization page. */
  password: string;
  /** Whether the account has an active Instacart+ membership. */
  instacartplusMember: boolean;
  /** Deprecated by Connect. */
  expressMember?: boolean;
}

/**
 * Input of {@link ConnectClient.sandbox}'s `authorize`.
 *
 * @see docs/connect-api.md section 4
 */
export interface SandboxAuthorizeInput {
  /** A redirect URI registered for the application; the code is bound to it. */
  redirectUri: string;
  /**
   * The scope asked for.
   * @default "account_linking"
   */
  scope?: 'account_linking';
  /** S256 challenge of a PKCE verifier, to bind the code to it. */
  codeChallenge?: string;
  /**
   * The challenge's method, sent only with `codeChallenge`.
   * @default "S256"
   */
  codeChallengeMethod?: 'S256';
}

/**
 * The typed Connect client. Every method throws a `ConnectError` subclass on failure (or the
 * caller's abort reason when its signal ends a call).
 *
 * @see docs/connect-api.md
 */
export interface ConnectClient {
  /**
   * Cached fulfillment token (client_credentials, scope `connect:fulfillment`): fetched once and
   * shared by all concurrent callers (single flight: 1,000 concurrent first calls make exactly one
   * token request), refreshed `tokenRefreshMarginSeconds` before expiry. Retried.
   *
   * With `nextCredentials`, each new token is asked of the next set first, and of the current set
   * when Connect answers that one `invalid_client`: one call, whichever set answers.
   *
   * @see docs/connect-api.md section 2a
   */
  getFulfillmentToken(): Promise<string>;
  /**
   * The client id of the credential set the fulfillment tokens come from: the one whose grant
   * succeeded last. Before the first token it is the current set's (`clientId`): the first token
   * from the next set is a change, told to `onCredentialsChange` as `next-accepted`. The
   * authorization URL of a link should carry this id.
   */
  credentialsInUse(): string;
  /**
   * The client ids of the configured credential sets: the current one (`clientId`) first, then the
   * next one when `nextCredentials` is set. {@link ConnectClient.exchangeAuthorizationCode} and
   * {@link ConnectClient.revokeToken} accept exactly these.
   */
  listClientIds(): readonly string[];
  /**
   * authorization_code grant: the code from the redirect becomes a linking token. NEVER retried
   * (a code is single use; a second redemption revokes what the first one issued).
   *
   * @throws InvalidGrantError for a bad, expired or reused code, redirect URI or verifier.
   * @throws InvalidClientError for a wrong client id or secret, or an application that is disabled.
   * @throws TypeError when `clientId` is not one of {@link ConnectClient.listClientIds}.
   * @see docs/connect-api.md section 2b
   */
  exchangeAuthorizationCode(input: {
    code: string;
    redirectUri: string;
    codeVerifier?: string;
    /**
     * The client id whose authorization URL the code answers: a code is bound to the application
     * it was issued to, so it is exchanged with that application's secret.
     * @default the current set's `clientId`
     */
    clientId?: string;
  }): Promise<LinkingToken>;
  /**
   * Revokes a token. Only the application that issued it may (`403 unauthorized_client`
   * otherwise), so pass the issuing application's client id. Not retried.
   *
   * @throws TypeError when `clientId` is not one of {@link ConnectClient.listClientIds}.
   * @see docs/connect-api.md section 2c
   */
  revokeToken(
    token: string,
    options?: {
      /**
       * The client id of the application that issued the token.
       * @default the current set's `clientId`
       */
      clientId?: string;
    },
  ): Promise<void>;
  /**
   * `GET /v2/fulfillment/users/{user_id}/link`: the membership of a linked user. Retried.
   *
   * @throws UserNotFoundError, UserNotLinkedError, UserNotActiveError
   * @see docs/connect-api.md section 3a
   */
  getLinkStatus(
    userId: string,
    options?: {
      /**
       * `Accept-Language` of this call.
       * @default the client's `acceptLanguage`
       */
      acceptLanguage?: AcceptLanguage;
      /** Ends the call at once, with the signal's reason and without retries. */
      signal?: AbortSignal;
    },
  ): Promise<LinkStatus>;
  /**
   * `POST /v2/fulfillment/users/{user_id}/link` with `{ linking_token }`. Retried on 5xx, timeout
   * and network errors (the linking token stays valid and linking the same pair is idempotent).
   *
   * @throws UserNotFoundError, InvalidLinkingTokenError, AlreadyLinkedError, UserNotActiveError
   * @see docs/connect-api.md section 3b
   */
  linkUser(userId: string, linkingToken: string): Promise<void>;
  /**
   * `POST /v2/fulfillment/users`. Not retried.
   *
   * @throws UserAlreadyExistsError when the `user_id` exists (success, when creating in order to link).
   * @see docs/connect-api.md section 3c
   */
  createUser(input: CreateUserInput): Promise<ConnectUser>;
  /**
   * Development-server endpoints for automated tests. Not retried. Authorised with the
   * fulfillment token.
   *
   * @see docs/connect-api.md section 4
   */
  sandbox: {
    /** `POST /v2/fulfillment_sandbox/instacart_users`: an Instacart account to link to. */
    createInstacartUser(input: SandboxInstacartUserInput): Promise<{
      /** The new Instacart account's id. */
      id: number;
    }>;
    /** `POST /v2/fulfillment_sandbox/instacart_users/{id}/authorize`: an authorization code without a browser. */
    authorize(
      instacartUserId: number,
      input: SandboxAuthorizeInput,
    ): Promise<{
      /** An authorization code, as if the account holder had pressed Allow. */
      code: string;
    }>;
  };
}
