/**
 * Rules shared by the three ways to obtain an authorization code (the browser page, the sandbox
 * endpoint and the `authorizeForTest` helper): PKCE parameters and registered redirect URIs.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2 (§4.2–4.3; S256 only: `plain` is refused, as OAuth 2.1 recommends)
 */
import type { EmulatorState } from './domain.js';

/** An S256 challenge is BASE64URL(SHA-256), i.e. exactly 43 base64url characters. */
export const CODE_CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
export const CODE_VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;

/** The PKCE parameters as validated: the challenge to bind the code to, or why they are refused. */
export type PkceCheck =
  | { ok: true; codeChallenge: string | null }
  | { ok: false; field: 'code_challenge' | 'code_challenge_method'; description: string };

/** Checks `code_challenge` / `code_challenge_method` of an authorization request. */
export function checkPkceParameters(
  codeChallenge: string | undefined,
  codeChallengeMethod: string | undefined,
  requirePkce: boolean,
): PkceCheck {
  if (codeChallenge === undefined && codeChallengeMethod === undefined) {
    return requirePkce
      ? { ok: false, field: 'code_challenge', description: 'code_challenge is required (PKCE, S256).' }
      : { ok: true, codeChallenge: null };
  }
  if (codeChallengeMethod !== 'S256') {
    // A missing method means `plain` (RFC 7636 §4.3), which is refused like any other.
    return { ok: false, field: 'code_challenge_method', description: 'code_challenge_method must be S256.' };
  }
  if (codeChallenge === undefined || !CODE_CHALLENGE_PATTERN.test(codeChallenge)) {
    return {
      ok: false,
      field: 'code_challenge',
      description: 'code_challenge must be 43 base64url characters (S256).',
    };
  }
  return { ok: true, codeChallenge };
}

/** Whether `redirectUri` is registered for `clientId`: exact string equality, nothing normalized. */
export function isRegisteredRedirectUri(
  state: EmulatorState,
  clientId: string,
  redirectUri: string,
): boolean {
  return state.apps.get(clientId)?.redirectUris.includes(redirectUri) ?? false;
}

/**
 * Checks a redirect URI before registration: absolute http(s), no fragment (RFC 6749 §3.1.2).
 * Returns why it is refused, or `undefined`.
 */
export function checkRedirectUriForRegistration(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `redirect URI is not an absolute URL: ${uri}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `redirect URI must be http or https: ${uri}`;
  if (uri.includes('#')) return `redirect URI must not have a fragment: ${uri}`;
  return undefined;
}

/** The address a redirect goes to: the registered URI, byte for byte, plus our parameters. */
export function appendQuery(redirectUri: string, params: Record<string, string | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) query.append(name, value);
  }
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${query.toString()}`;
}

/** What the shopper's "Allow" would have been given for, to issue a code without the browser. */
export interface AllowedAuthorization {
  instacartUserId: number;
  clientId: string;
  redirectUri: string;
  /** An S256 PKCE challenge to bind the code to. */
  codeChallenge: string | undefined;
}

/**
 * Issues the authorization code the consent page's "Allow" would have issued, after the checks the
 * authorization endpoint makes (an active account, a known and enabled application that holds
 * `account_linking`, a registered redirect URI, PKCE as the settings require). For tests: the in-process `authorizeForTest` and the admin API's
 * `POST /_emulator/authorizations`. A refusal names the field, in the admin API's vocabulary.
 */
export function issueCodeAsIfAllowed(
  state: EmulatorState,
  requirePkce: boolean,
  nowMs: number,
  input: AllowedAuthorization,
): { ok: true; code: string } | { ok: false; key: string; message: string } {
  const account = state.instacartUsers.get(input.instacartUserId);
  if (!account?.active) return { ok: false, key: 'instacart_user_id', message: 'Invalid user_id' };
  const app = state.apps.get(input.clientId);
  if (!app) return { ok: false, key: 'client_id', message: `Unknown client_id ${input.clientId}` };
  if (app.status !== 'enabled') {
    return { ok: false, key: 'client_id', message: `The application ${input.clientId} is disabled` };
  }
  if (!app.scopes.includes('account_linking')) {
    return {
      ok: false,
      key: 'client_id',
      message: `The application ${input.clientId} may not request account_linking`,
    };
  }
  if (!isRegisteredRedirectUri(state, input.clientId, input.redirectUri)) {
    return { ok: false, key: 'redirect_uri', message: 'Invalid redirect_uri' };
  }
  const pkce = checkPkceParameters(
    input.codeChallenge,
    input.codeChallenge === undefined ? undefined : 'S256',
    requirePkce,
  );
  if (!pkce.ok) return { ok: false, key: pkce.field, message: `Invalid ${pkce.field}: ${pkce.description}` };
  const code = state.issueCode(
    {
      clientId: input.clientId,
      redirectUri: input.redirectUri,
      instacartUserId: account.id,
      codeChallenge: pkce.codeChallenge,
    },
    nowMs,
  );
  return { ok: true, code };
}
