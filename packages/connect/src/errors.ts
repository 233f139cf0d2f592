/**
 * Typed errors of the Connect client. Each class has a stable string `code`, so callers can tell
 * failures apart with `instanceof` or a `switch` on `code`.
 *
 * No message, field or JSON form of these errors holds a client secret, an authorization code, a
 * PKCE verifier, a token or the body of a token-endpoint response: texts that come from Connect
 * are scrubbed of every secret the request carried before they are stored (see `redactSecrets`).
 */

/**
 * Every stable error code the package uses, one per class.
 *
 * @see docs/connect-api.md section 5
 */
export type ConnectErrorCode =
  | 'network'
  | 'timeout'
  | 'oauth_error'
  | 'invalid_grant'
  | 'invalid_client'
  | 'api_error'
  | 'user_not_found'
  | 'user_not_linked'
  | 'user_not_active'
  | 'already_linked'
  | 'invalid_linking_token'
  | 'user_already_exists'
  | 'rate_limited'
  | 'unavailable'
  | 'unauthorized'
  | 'unexpected_response'
  | 'invalid_response'
  | 'invalid_configuration';

/**
 * Base class of every error the package throws on purpose.
 *
 * @example
 * ```ts
 * try {
 *   await client.linkUser(userId, token.accessToken);
 * } catch (error) {
 *   if (error instanceof ConnectError && error.code === 'already_linked') showAlreadyLinked();
 *   else throw error;
 * }
 * ```
 */
export abstract class ConnectError extends Error {
  /** Stable, machine-readable identifier of the failure. */
  abstract readonly code: ConnectErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /**
   * The error as plain data for logs: name, code, message and the class's own fields. `cause`
   * is left out, because it belongs to the platform's fetch and is not ours to vouch for.
   */
  toJSON(): Record<string, unknown> {
    return { ...Object.fromEntries(Object.entries(this)), name: this.name, message: this.message };
  }
}

/**
 * The options given to `createConnectClient` or a helper are unusable. Thrown at start-up, with
 * one line naming the option (never its value).
 */
export class ConnectConfigurationError extends ConnectError {
  override readonly code = 'invalid_configuration' as const;
}

/**
 * The request never got an HTTP response: DNS, connection refused, reset, TLS. `cause` holds the
 * platform's error.
 *
 * @see docs/connect-api.md section 5 (retried where safe)
 */
export class ConnectNetworkError extends ConnectError {
  override readonly code = 'network' as const;

  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/** An attempt took longer than `timeoutMs` (connecting, waiting for headers or reading the body). */
export class ConnectTimeoutError extends ConnectError {
  override readonly code = 'timeout' as const;
  /** The per-attempt limit that was exceeded. */
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** The fields of an OAuth error body (`{"error","error_description"}`) and its status. */
export interface ConnectOAuthErrorInit {
  /** The OAuth `error` value, e.g. `invalid_grant`. */
  error: string;
  /** `error_description`, with every secret of the request removed. */
  errorDescription: string | null;
  /** HTTP status of the response. */
  status: number;
}

/**
 * The token or revocation endpoint answered with an OAuth error body. The message names the
 * `error` value and the status only: token-endpoint bodies never go into messages.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @see docs/connect-api.md section 2
 */
export class ConnectOAuthError extends ConnectError {
  override readonly code: 'oauth_error' | 'invalid_grant' | 'invalid_client' = 'oauth_error';
  /** The OAuth `error` value, e.g. `unsupported_grant_type`, `unauthorized_client`. */
  readonly error: string;
  /** `error_description`, with every secret of the request removed; `null` when absent. */
  readonly errorDescription: string | null;
  /** HTTP status of the response. */
  readonly status: number;

  constructor(init: ConnectOAuthErrorInit) {
    super(`Connect token endpoint answered ${init.status} with OAuth error "${init.error}"`);
    this.error = init.error;
    this.errorDescription = init.errorDescription;
    this.status = init.status;
  }
}

/**
 * The authorization code (or redirect URI, or PKCE verifier) was refused: bad, expired, already
 * used or issued to another client. Start a new authorization; never retry the same code.
 *
 * @see docs/connect-api.md section 2b
 */
export class InvalidGrantError extends ConnectOAuthError {
  override readonly code = 'invalid_grant' as const;
}

/**
 * The client id or secret was refused: a configuration problem, not the customer's.
 *
 * @see docs/connect-api.md section 2b
 */
export class InvalidClientError extends ConnectOAuthError {
  override readonly code = 'invalid_client' as const;
}

/** The fields of a Connect API error body (`{"error":{"message","code"},"meta":{"key"}}`). */
export interface ConnectApiErrorInit {
  /** HTTP status of the response. */
  status: number;
  /** `error.message`, with every secret of the request removed. */
  message: string;
  /** `error.code`: 1001 for validation errors, `null` when absent. */
  errorCode?: number | null;
  /** `meta.key`: the request field the error is about, `null` when absent. */
  metaKey?: string | null;
}

/**
 * A fulfillment or sandbox endpoint answered with Connect's error shape. Subclasses name the
 * cases the account-linking flow acts on; anything else stays a plain `ConnectApiError`.
 *
 * @see docs/connect-api.md sections 3 and 5
 */
export class ConnectApiError extends ConnectError {
  override readonly code:
    | 'api_error'
    | 'user_not_found'
    | 'user_not_linked'
    | 'user_not_active'
    | 'already_linked'
    | 'invalid_linking_token'
    | 'user_already_exists'
    | 'rate_limited'
    | 'unavailable'
    | 'unauthorized' = 'api_error';
  /** HTTP status of the response. */
  readonly status: number;
  /** `error.code` of the body (1001 for validation errors), `null` when absent. */
  readonly errorCode: number | null;
  /** `meta.key` of the body (e.g. `user_id`, `linking_token`), `null` when absent. */
  readonly metaKey: string | null;

  constructor(init: ConnectApiErrorInit) {
    super(init.message);
    this.status = init.status;
    this.errorCode = init.errorCode ?? null;
    this.metaKey = init.metaKey ?? null;
  }
}

/**
 * `400 User Not Found`: no Connect user has this `user_id`. The seed's answer: create the user,
 * then link again.
 *
 * @see docs/connect-api.md sections 3a, 3b
 */
export class UserNotFoundError extends ConnectApiError {
  override readonly code = 'user_not_found' as const;
}

/**
 * `400 User Not Linked`: the Connect user exists but has no linked Instacart account.
 *
 * @see docs/connect-api.md section 3a
 */
export class UserNotLinkedError extends ConnectApiError {
  override readonly code = 'user_not_linked' as const;
}

/**
 * `403 User Not Active`: the Connect user has been deactivated.
 *
 * @see docs/connect-api.md sections 3a, 3b
 */
export class UserNotActiveError extends ConnectApiError {
  override readonly code = 'user_not_active' as const;
}

/**
 * `400 Validation failed: Common identities can only have one user per isolation context`: this
 * Instacart account is already linked to another user of this retailer.
 *
 * @see docs/connect-api.md section 3b
 */
export class AlreadyLinkedError extends ConnectApiError {
  override readonly code = 'already_linked' as const;
}

/**
 * `400 Linking token is invalid` or `400 can't be blank` (meta key `linking_token`).
 *
 * @see docs/connect-api.md section 3b
 */
export class InvalidLinkingTokenError extends ConnectApiError {
  override readonly code = 'invalid_linking_token' as const;
}

/**
 * `400 User already exists` from create user. When creating the user in order to link, treat it
 * as success.
 *
 * @see docs/connect-api.md section 3c
 */
export class UserAlreadyExistsError extends ConnectApiError {
  override readonly code = 'user_already_exists' as const;
}

/**
 * `429`: Connect's per-second rate limit, after the retries the call allows.
 *
 * @see docs/connect-api.md section 5
 */
export class RateLimitedError extends ConnectApiError {
  override readonly code = 'rate_limited' as const;
  /** The `Retry-After` of the last response in seconds, `null` when it had none. */
  readonly retryAfterSeconds: number | null;

  constructor(init: ConnectApiErrorInit & { retryAfterSeconds?: number | null }) {
    super(init);
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

/**
 * `408` or a `5xx`: Connect could not serve the request, after the retries the call allows.
 *
 * @see docs/connect-api.md section 5
 */
export class ConnectUnavailableError extends ConnectApiError {
  override readonly code = 'unavailable' as const;
  /** The `Retry-After` of the last response in seconds (503 only), `null` when it had none. */
  readonly retryAfterSeconds: number | null;

  constructor(init: ConnectApiErrorInit & { retryAfterSeconds?: number | null }) {
    super(init);
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

/**
 * `401` from a fulfillment call even after fetching a new fulfillment token once.
 *
 * @see docs/connect-api.md section 5
 */
export class ConnectUnauthorizedError extends ConnectApiError {
  override readonly code = 'unauthorized' as const;
}

/**
 * Connect answered with something the contract does not describe: a body that is not JSON or
 * has the wrong shape, or an unknown status. Keeps `status`; never the body.
 */
export class UnexpectedResponseError extends ConnectError {
  override readonly code = 'unexpected_response' as const;
  /** HTTP status of the response. */
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/**
 * The redirect back from the authorization endpoint is malformed: a parameter given twice, both
 * or neither of `code` and `error`, no `state`, or an `iss` that is missing or does not match.
 * `reason` says which, so a caller can answer each its own way.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
export class AuthorizationResponseError extends ConnectError {
  override readonly code = 'invalid_response' as const;
  /** Which rule the response broke. */
  readonly reason:
    | 'duplicate_parameter'
    | 'code_and_error'
    | 'no_code_or_error'
    | 'missing_state'
    | 'missing_issuer'
    | 'issuer_mismatch';

  constructor(message: string, reason: AuthorizationResponseError['reason']) {
    super(message);
    this.reason = reason;
  }
}
