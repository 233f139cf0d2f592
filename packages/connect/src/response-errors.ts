/**
 * The one factory that turns an unsuccessful Connect response into its error class.
 */
import {
  AlreadyLinkedError,
  ConnectApiError,
  type ConnectApiErrorInit,
  type ConnectError,
  ConnectOAuthError,
  type ConnectOAuthErrorInit,
  ConnectUnauthorizedError,
  ConnectUnavailableError,
  InvalidClientError,
  InvalidGrantError,
  InvalidLinkingTokenError,
  RateLimitedError,
  UnexpectedResponseError,
  UserAlreadyExistsError,
  UserNotActiveError,
  UserNotFoundError,
  UserNotLinkedError,
} from './errors.js';
import { redactSecrets } from './redact.js';
import { parseRetryAfter, RETRY_AFTER_STATUSES } from './retry.js';
import { apiErrorBodySchema, oauthErrorBodySchema } from './schemas.js';
import type { ConnectFetchHeaders } from './types.js';

/** What the factory needs to know besides the response itself. */
export interface ErrorResponseContext {
  /**
   * Which kind of endpoint answered: `oauth` (token, revocation) or `fulfillment` (fulfillment
   * users and sandbox). A 401 from a fulfillment endpoint means the Bearer token was refused,
   * whatever its body says.
   * @default "fulfillment"
   */
  endpoint?: 'oauth' | 'fulfillment';
  /** Every secret the request carried; removed from any text kept from the body. */
  secrets?: readonly string[];
  /**
   * Clock for an HTTP-date `Retry-After`, epoch ms.
   * @default Date.now
   */
  now?: () => number;
  /** Names the request in messages, e.g. `POST /v2/oauth/token`. */
  request?: string;
}

/** A short OAuth `error` value is safe to print; anything else is not ours to repeat. */
const OAUTH_ERROR_VALUE = /^[\w.-]{1,64}$/;

/**
 * Maps an unsuccessful Connect response to its error class. Reads the body (once).
 *
 * In order: 429 gives `RateLimitedError`; 408 and 5xx give `ConnectUnavailableError`; 401 from
 * a fulfillment endpoint gives `ConnectUnauthorizedError`; an OAuth body (`{"error":"..."}`)
 * gives `InvalidGrantError`, `InvalidClientError` or `ConnectOAuthError`; a Connect API body
 * gives the `ConnectApiError` subclass its message names; anything else gives
 * `UnexpectedResponseError`.
 *
 * @example
 * ```ts
 * const response = await fetch(url, init);
 * if (!response.ok) throw await createErrorFromResponse(response, { endpoint: 'oauth', secrets: [clientSecret, code] });
 * ```
 * @see docs/connect-api.md sections 2, 3 and 5
 */
export async function createErrorFromResponse(
  response: Response,
  context: ErrorResponseContext = {},
): Promise<ConnectError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // An unreadable body is judged by its status alone.
  }
  return mapErrorResponse(response.status, response.headers, text, context);
}

/**
 * {@link createErrorFromResponse} for a body that has already been read (the transport reads
 * it inside the attempt's timeout).
 */
export function mapErrorResponse(
  status: number,
  headers: ConnectFetchHeaders,
  text: string,
  context: ErrorResponseContext = {},
): ConnectError {
  const secrets = context.secrets ?? [];
  const endpoint = context.endpoint ?? 'fulfillment';
  const request = context.request ? ` for ${context.request}` : '';
  const body = parseJson(text);
  const api = apiErrorBodySchema.safeParse(body);
  const apiInit: ConnectApiErrorInit | null = api.success
    ? {
        status,
        message: redactSecrets(api.data.error.message, secrets),
        errorCode: api.data.error.code,
        metaKey: api.data.meta?.key ?? null,
      }
    : null;

  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterSeconds = RETRY_AFTER_STATUSES.has(status)
      ? parseRetryAfter(headers.get('retry-after'), (context.now ?? Date.now)())
      : null;
    if (status === 429) {
      return new RateLimitedError({
        ...(apiInit ?? { status, message: `Connect rate limit reached: 429${request}` }),
        retryAfterSeconds,
      });
    }
    return new ConnectUnavailableError({
      ...(apiInit ?? { status, message: `Connect is unavailable: ${status}${request}` }),
      retryAfterSeconds,
    });
  }

  if (status === 401 && endpoint === 'fulfillment') {
    return new ConnectUnauthorizedError(
      apiInit ?? { status, message: `Connect refused the fulfillment token: 401${request}` },
    );
  }

  // An API body (`error` an object) is never an OAuth body (`error` a string): skip reading it as one.
  const oauth = apiInit === null ? oauthErrorBodySchema.safeParse(body) : null;
  if (oauth?.success && status >= 400) {
    const init: ConnectOAuthErrorInit = {
      status,
      error: OAUTH_ERROR_VALUE.test(oauth.data.error) ? oauth.data.error : 'unknown_error',
      errorDescription:
        oauth.data.error_description == null ? null : redactSecrets(oauth.data.error_description, secrets),
    };
    if (init.error === 'invalid_grant') return new InvalidGrantError(init);
    if (init.error === 'invalid_client') return new InvalidClientError(init);
    return new ConnectOAuthError(init);
  }

  if (apiInit && status >= 400) return createApiError(apiInit);

  return new UnexpectedResponseError(
    body === undefined
      ? `Unexpected response${request}: status ${status} without a JSON body`
      : `Unexpected response${request}: status ${status} with a body outside the contract`,
    status,
  );
}

/** Picks the `ConnectApiError` subclass that Connect's message names. */
function createApiError(init: ConnectApiErrorInit): ConnectApiError {
  const message = init.message.trim().toLowerCase();
  if (message === 'user not found') return new UserNotFoundError(init);
  if (message === 'user not linked') return new UserNotLinkedError(init);
  if (message === 'user not active') return new UserNotActiveError(init);
  if (message === 'user already exists') return new UserAlreadyExistsError(init);
  if (message.includes('common identities can only have one user per isolation context')) {
    return new AlreadyLinkedError(init);
  }
  if (message.includes('linking token is invalid')) return new InvalidLinkingTokenError(init);
  // "can't be blank" is Rails' generic presence message: only about the linking token when the
  // meta key (or the message) says so; a blank first_name is another matter.
  if (
    message.includes("can't be blank") &&
    (init.metaKey === 'linking_token' ||
      message.includes('linking token') ||
      message.includes('linking_token'))
  ) {
    return new InvalidLinkingTokenError(init);
  }
  return new ConnectApiError(init);
}

/** `undefined` when the text is empty or not JSON. */
function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
