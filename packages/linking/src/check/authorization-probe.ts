/**
 * @module One authorization request, as the shop sends it when a shopper presses "Link Instacart
 * account" (`state`, and a PKCE challenge unless PKCE is off), and how the authorization endpoint
 * answered it. Nothing is created in the shop's database, and no shopper logs in: the answer to the
 * first request already tells whether the endpoint trusts the client and the redirect URI.
 *
 * Redirects are not followed blindly. One that stays on the authorization URL's host (an http to
 * https upgrade, a path moved) is followed, at most {@link MAX_REDIRECTS} times; one to the redirect
 * URI or to any other host ends the probe and is classified by where it points.
 *
 * @see docs/connect-api.md §1 (an unknown client or an unregistered redirect URI gets an error page,
 *   never a redirect; other problems are redirected to the redirect URI with `error`)
 */
import {
  computeCodeChallenge,
  createAuthorizationUrl,
  generateCodeVerifier,
  generateState,
} from '@cartlink/connect';
import { type CheckFetch, describeFetchFailure, discardBody } from './http.js';

/** The most same-host redirects followed before the answer counts as it stands. */
export const MAX_REDIRECTS = 5;

/** How the authorization endpoint answered. */
export type AuthorizationAnswer =
  /** No HTTP answer at all, or only redirects within the authorization host. */
  | { kind: 'unreachable'; reason: string }
  /** An HTTP answer; `status` is the last one's. */
  | {
      kind: 'answered';
      status: number;
      /** Where the redirect that ended the probe pointed (origin and path), or undefined for a page. */
      redirectedTo: string | undefined;
      /** Whether that redirect went to the redirect URI (the endpoint trusts it). */
      toRedirectUri: boolean;
      /** The `error` and `error_description` of a redirect to the redirect URI, when it carried one. */
      error: { error: string; description: string | null } | undefined;
    };

/** What {@link probeAuthorization} sends. */
export interface AuthorizationProbeInput {
  /** `CONNECT_AUTH_URL`. */
  authorizationEndpoint: string;
  /**
   * The client and redirect URI to send, with PKCE or not; undefined when either is unusable, and
   * then the endpoint alone is requested, which still tells whether it answers.
   */
  request: { clientId: string; redirectUri: string; usePkce: boolean } | undefined;
  fetch: CheckFetch;
  timeoutMs: number;
}

/** The URL the shop would send a shopper to, with fresh `state` and PKCE values that are then dropped. */
async function buildUrl(input: AuthorizationProbeInput): Promise<URL> {
  if (input.request === undefined) return new URL(input.authorizationEndpoint);
  const { clientId, redirectUri, usePkce } = input.request;
  return createAuthorizationUrl({
    authorizationEndpoint: input.authorizationEndpoint,
    clientId,
    redirectUri,
    state: generateState(),
    ...(usePkce ? { codeChallenge: await computeCodeChallenge(generateCodeVerifier()) } : {}),
  });
}

function isRedirectUriTarget(target: URL, redirectUri: string | undefined): boolean {
  if (redirectUri === undefined) return false;
  const registered = new URL(redirectUri);
  return target.origin === registered.origin && target.pathname === registered.pathname;
}

/** Sends the authorization request and classifies the answer. Never throws for a network failure. */
export async function probeAuthorization(input: AuthorizationProbeInput): Promise<AuthorizationAnswer> {
  const signal = AbortSignal.timeout(input.timeoutMs);
  const start = await buildUrl(input);
  let url = start;
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await input.fetch(url.href, {
        method: 'GET',
        redirect: 'manual',
        signal,
        headers: { accept: 'text/html' },
      });
    } catch (error) {
      return { kind: 'unreachable', reason: describeFetchFailure(error, input.timeoutMs) };
    }
    await discardBody(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) {
      return {
        kind: 'answered',
        status: response.status,
        redirectedTo: undefined,
        toRedirectUri: false,
        error: undefined,
      };
    }
    let target: URL;
    try {
      target = new URL(location, url);
    } catch {
      return {
        kind: 'answered',
        status: response.status,
        redirectedTo: location,
        toRedirectUri: false,
        error: undefined,
      };
    }
    const toRedirectUri = isRedirectUriTarget(target, input.request?.redirectUri);
    if (!toRedirectUri && target.hostname === start.hostname) {
      if (hop === MAX_REDIRECTS) {
        return {
          kind: 'unreachable',
          reason: `more than ${MAX_REDIRECTS} redirects within ${start.hostname}`,
        };
      }
      url = target;
      continue;
    }
    const error = toRedirectUri ? target.searchParams.get('error') : null;
    return {
      kind: 'answered',
      status: response.status,
      redirectedTo: `${target.origin}${target.pathname}`,
      toRedirectUri,
      error:
        error === null ? undefined : { error, description: target.searchParams.get('error_description') },
    };
  }
}
