/**
 * The browser half of the flow: the authorization URL, its CSRF `state`, PKCE, and reading the
 * redirect back. Web Crypto only.
 */
import { AuthorizationResponseError, ConnectConfigurationError } from './errors.js';

/**
 * Encodes bytes as base64url without padding.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function generateRandomBase64Url(byteLength: number): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

/**
 * A fresh `state` for the authorization URL: 32 random bytes (256 bits) from
 * `crypto.getRandomValues`, base64url, 43 characters. Bind it to the session and accept it once.
 *
 * @see docs/account-linking.md, "Update the status element" (the CSRF prevention token)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export function generateState(): string {
  return generateRandomBase64Url(32);
}

/**
 * A fresh PKCE code verifier: 32 random bytes, base64url, 43 characters.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function generateCodeVerifier(): string {
  return generateRandomBase64Url(32);
}

/** RFC 7636 section 4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * The S256 code challenge of a verifier: `BASE64URL(SHA-256(ASCII(verifier)))`, no padding.
 *
 * @throws TypeError when the verifier is not 43 to 128 unreserved characters.
 * @example
 * ```ts
 * await computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
 * // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' (RFC 7636 Appendix B)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export async function computeCodeChallenge(verifier: string): Promise<string> {
  if (!CODE_VERIFIER.test(verifier)) {
    throw new TypeError(
      'The code verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 section 4.1)',
    );
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return encodeBase64Url(new Uint8Array(digest));
}

/** Input of {@link createAuthorizationUrl}. */
export interface AuthorizationUrlInput {
  /** The authorization URL Instacart hands the retailer (`<instacart_auth_endpoint>`). May carry its own query. */
  authorizationEndpoint: string;
  /** The Connect OAuth application's client id. */
  clientId: string;
  /** Exactly the redirect URI registered for the application. */
  redirectUri: string;
  /** The CSRF prevention token, see {@link generateState}. */
  state: string;
  /** S256 challenge of the link transaction's verifier, see {@link computeCodeChallenge}. */
  codeChallenge?: string;
}

/**
 * Builds the authorization URL of the seed: `response_type=code`, `client_id`,
 * `scope=account_linking`, `state`, `redirect_uri`, and with a challenge `code_challenge` and
 * `code_challenge_method=S256`. Parameters the endpoint already carries are kept unless they clash.
 *
 * @throws ConnectConfigurationError when the endpoint or redirect URI is not an absolute http(s)
 *   URL, or an argument is empty or malformed.
 * @example
 * ```ts
 * const verifier = generateCodeVerifier();
 * const url = createAuthorizationUrl({
 *   authorizationEndpoint: 'https://connect.dev.instacart.tools/oauth/authorize',
 *   clientId: 'cartlink-demo',
 *   redirectUri: 'http://localhost:3000/account/profile',
 *   state: generateState(),
 *   codeChallenge: await computeCodeChallenge(verifier),
 * });
 * ```
 * @see docs/account-linking.md, "Authorization URL"
 * @see docs/connect-api.md section 1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export function createAuthorizationUrl(input: AuthorizationUrlInput): URL {
  const url = parseHttpUrl(input.authorizationEndpoint, 'authorizationEndpoint');
  parseHttpUrl(input.redirectUri, 'redirectUri');
  if (input.clientId.length === 0) throw new ConnectConfigurationError('clientId must not be empty');
  if (input.state.length === 0) throw new ConnectConfigurationError('state must not be empty');
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('scope', 'account_linking');
  url.searchParams.set('state', input.state);
  url.searchParams.set('redirect_uri', input.redirectUri);
  if (input.codeChallenge !== undefined) {
    // An S256 challenge is a 43-character base64url SHA-256; anything else is a caller's mistake.
    if (!/^[A-Za-z0-9\-_]{43}$/.test(input.codeChallenge)) {
      throw new ConnectConfigurationError(
        'codeChallenge must be an S256 challenge (43 base64url characters)',
      );
    }
    url.searchParams.set('code_challenge', input.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url;
}

function parseHttpUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConnectConfigurationError(`${name} must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConnectConfigurationError(`${name} must be an http or https URL`);
  }
  return url;
}

/**
 * Customer allowed: the authorization code and the echoed `state`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
export interface AuthorizationCodeResponse {
  /** The authorization code: single use, short-lived; never log it. */
  code: string;
  /** The `state` sent in the authorization URL; compare it with the session's. */
  state: string;
  /** RFC 9207 issuer, `null` when the server does not send it. */
  iss: string | null;
}

/**
 * Customer denied, or the request was refused: the OAuth error and the echoed `state`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export interface AuthorizationErrorResponse {
  /** e.g. `access_denied`, `invalid_request`, `invalid_scope`. */
  error: string;
  /** `error_description`, `null` when absent. */
  errorDescription: string | null;
  /** The `state` sent in the authorization URL. */
  state: string;
  /** RFC 9207 issuer, `null` when the server does not send it. */
  iss: string | null;
}

/**
 * What the redirect back to `redirect_uri` carries: tell the two apart with `'code' in response`.
 */
export type AuthorizationResponse = AuthorizationCodeResponse | AuthorizationErrorResponse;

/** Options of {@link parseAuthorizationResponse}. */
export interface ParseAuthorizationResponseOptions {
  /** When given, an `iss` that is present, even empty, must equal it (RFC 9207 section 2.4). */
  expectedIssuer?: string;
  /**
   * With `expectedIssuer`, also refuse a response without `iss` (the server is known to send it).
   * @default false
   */
  requireIssuer?: boolean;
}

/** Parameters that must appear at most once (RFC 6749 section 3.1). */
const SINGLE_PARAMETERS = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss'] as const;

/**
 * Reads the redirect back from the authorization endpoint. Throws `AuthorizationResponseError`
 * (code `invalid_response`, with the broken rule in `reason`) when a parameter is given more than
 * once, when `iss` does not match the expected issuer, when both `code` and `error` are present
 * (even empty) or neither has a value, or when `state` is missing. The issuer is checked before
 * anything else in the response is read. Checking `state` against the session is the caller's job.
 *
 * @example
 * ```ts
 * const response = parseAuthorizationResponse(new URL(request.url));
 * if ('error' in response) return showFailure(response.error === 'access_denied' ? 'cancelled' : 'failed');
 * await client.exchangeAuthorizationCode({ code: response.code, redirectUri, codeVerifier });
 * ```
 * @see docs/account-linking.md, "Check for authorization"
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
export function parseAuthorizationResponse(
  url: URL | URLSearchParams,
  options: ParseAuthorizationResponseOptions = {},
): AuthorizationResponse {
  const params = url instanceof URLSearchParams ? url : url.searchParams;
  for (const name of SINGLE_PARAMETERS) {
    if (params.getAll(name).length > 1) {
      throw new AuthorizationResponseError(
        `The authorization response has the parameter "${name}" more than once`,
        'duplicate_parameter',
      );
    }
  }
  // RFC 9207 section 2.4: a response from another authorization server (a mix-up) is refused before
  // its code or error means anything.
  if (options.expectedIssuer !== undefined) {
    const presentedIssuer = params.get('iss');
    if (presentedIssuer === null && options.requireIssuer) {
      throw new AuthorizationResponseError('The authorization response has no "iss"', 'missing_issuer');
    }
    if (presentedIssuer !== null && presentedIssuer !== options.expectedIssuer) {
      throw new AuthorizationResponseError(
        'The authorization response comes from an unexpected issuer',
        'issuer_mismatch',
      );
    }
  }
  // Both present is ambiguous whatever their values: neither one can be trusted to be the answer.
  if (params.has('code') && params.has('error')) {
    throw new AuthorizationResponseError(
      'The authorization response has both "code" and "error"',
      'code_and_error',
    );
  }
  const code = nonEmpty(params.get('code'));
  const error = nonEmpty(params.get('error'));
  const state = nonEmpty(params.get('state'));
  const iss = nonEmpty(params.get('iss'));
  if (code === null && error === null) {
    throw new AuthorizationResponseError(
      'The authorization response has neither "code" nor "error"',
      'no_code_or_error',
    );
  }
  if (state === null) {
    throw new AuthorizationResponseError('The authorization response has no "state"', 'missing_state');
  }
  if (code !== null) return { code, state, iss };
  return { error: error as string, errorDescription: nonEmpty(params.get('error_description')), state, iss };
}

function nonEmpty(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}
