/**
 * @module The seed's "Check for authorization" step: reads the OAuth callback (`code`/`error` with
 * `state`) from the address bar and removes it, at most once per callback, and posts it to the
 * server's link endpoint. `<cartlink-status>` and `@cartlink/react`'s `useLinkCallback` both complete
 * a link with these functions, so the rules (what is read, what is sent, what an answer means) have
 * one owner. Also reads the outcome of a link the server refused to start (`cartlink_outcome`).
 */
import type { LinkOutcomeParam } from '@cartlink/wire';
import {
  type LinkOutcome,
  parseLinkResult,
  REPORTED_OUTCOMES,
  type ReportedOutcome,
  type StatusView,
} from './status-view.js';

/** The parameters the link endpoint receives; only those present in the callback URL are set. */
export interface CallbackParams {
  /** The `state` Instacart sent back: the link transaction's single-use value. */
  state: string;
  /** The authorization code, when the shopper allowed the link. */
  code?: string;
  /** The authorization server's issuer (RFC 9207), when it sends one. */
  iss?: string;
  /** The OAuth error, such as `access_denied` when the shopper chose Deny. */
  error?: string;
  /** The error's human-readable text, as Instacart sent it; the server never shows it. */
  error_description?: string;
}

const CALLBACK_KEYS = ['code', 'state', 'iss', 'error', 'error_description'] as const;

/**
 * The query parameter with which the server's authorize endpoint sends the shopper back to the page
 * when it refused to start a link (`cartlink_outcome=throttled`, or `failed` for a stale form).
 */
export const LINK_OUTCOME_PARAM: LinkOutcomeParam = 'cartlink_outcome';

// The `state` values already taken in this page's life. Removing the parameters from the address bar
// already stops a second element (or a reconnected one) from seeing them; this also holds when a
// router puts the old URL back, because a state is single use and must never be posted twice.
const taken = new Set<string>();

/** Puts `url` in the address bar in place of the current one: no new history entry, no navigation. */
function replaceAddress(url: URL): void {
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
}

/**
 * The attribute on `<html>` where a host page's first inline script may stash the callback's query
 * string after removing it from the address bar itself, before any other script, image or style
 * loads (the earliest the parameters can go). The element then reads the stash instead.
 */
export const CALLBACK_STASH_ATTRIBUTE = 'data-cartlink-callback';

/**
 * When the address bar (or the host page's stash, see {@link CALLBACK_STASH_ATTRIBUTE}) holds an
 * authorization callback (`state` with `code` or `error`) not taken before, removes `code`, `state`,
 * `iss`, `error` and `error_description` from the address bar with `history.replaceState` (other
 * parameters and the hash stay) and returns them. Otherwise returns `undefined` and leaves the
 * address bar alone.
 *
 * The parameters leave the address bar before anything is sent so that a reload, a shared link or
 * the Referer of the next request never carries the single-use code. A parameter given twice makes
 * the response ambiguous (RFC 9700 §4.11 on parameter injection): the code is then never sent, only
 * the first state with `error=invalid_request`, so the server spends the state and reports a failure.
 */
export function takeCallbackParams(): CallbackParams | undefined {
  const root = document.documentElement;
  const stash = root.getAttribute(CALLBACK_STASH_ATTRIBUTE);
  if (stash !== null) root.removeAttribute(CALLBACK_STASH_ATTRIBUTE);
  const url = new URL(window.location.href);
  const params = stash !== null ? new URLSearchParams(stash) : url.searchParams;
  const state = params.get('state');
  if (state === null || (!params.has('code') && !params.has('error')) || taken.has(state)) return undefined;
  taken.add(state);
  const found: Partial<Record<(typeof CALLBACK_KEYS)[number], string>> = {};
  let duplicated = false;
  for (const key of CALLBACK_KEYS) {
    const values = params.getAll(key);
    if (values.length > 1) duplicated = true;
    if (values[0] !== undefined) found[key] = values[0];
    url.searchParams.delete(key);
  }
  replaceAddress(url);
  if (duplicated) return { state, error: 'invalid_request' };
  return { ...found, state };
}

/** What posting an authorization callback came to (see {@link postLinkCallback}). */
export interface LinkAttempt {
  /** How the link ended; the results dialog shows it. */
  outcome: LinkOutcome;
  /**
   * The shopper's status after the attempt, as the server answered it; missing when the server gave
   * none (the request failed, or the answer was not a link result).
   */
  status?: StatusView | undefined;
}

/**
 * Posts an authorization callback (from {@link takeCallbackParams}) to the server's link endpoint as
 * JSON, with the page's cookies (same origin), and reads the answer. Never throws: a server's
 * `LinkResult` body is taken as it is, whatever the status code (a refused link may come with a 4xx
 * and the usual body); without one, a network error or a gateway error (502 to 504) is `unavailable`
 * and anything else `failed`, with no status.
 *
 * Post each callback once: its `state` is single use, and the server refuses it the second time.
 *
 * @param linkEndpoint - The server's link endpoint (`POST {basePath}/link`), on the page's origin.
 * @param params - The callback, as {@link takeCallbackParams} returned it.
 * @example
 * ```ts
 * const callback = takeCallbackParams();
 * if (callback) {
 *   const { outcome, status } = await postLinkCallback('/cartlink/link', callback);
 * }
 * ```
 */
export async function postLinkCallback(linkEndpoint: string, params: CallbackParams): Promise<LinkAttempt> {
  let response: Response;
  try {
    response = await fetch(linkEndpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(params),
    });
  } catch {
    return { outcome: 'unavailable' };
  }
  // A server may answer a refused link with a 4xx and the usual body; its outcome is the more
  // precise one, so a valid body wins over the status code.
  const result = parseLinkResult(await response.json().catch(() => undefined));
  if (result) return result;
  // Gateway errors mean the retailer's server (or Instacart behind it) could not be reached.
  const unreachable = response.status >= 502 && response.status <= 504;
  return { outcome: unreachable ? 'unavailable' : 'failed' };
}

/**
 * When the address bar holds `cartlink_outcome` (the server's answer to a link start it refused),
 * removes it with `history.replaceState` (other parameters and the hash stay) and returns it when it is
 * an outcome servers report that way (`throttled`, `failed`); any other value is removed and ignored. A reload
 * of the cleaned URL shows nothing again.
 */
export function takeReportedOutcome(): ReportedOutcome | undefined {
  const url = new URL(window.location.href);
  const values = url.searchParams.getAll(LINK_OUTCOME_PARAM);
  if (values.length === 0) return undefined;
  url.searchParams.delete(LINK_OUTCOME_PARAM);
  replaceAddress(url);
  const [value] = values;
  // Only the outcomes a server reports this way: a link that anyone can send must not make the page
  // claim, say, that the shopper's Instacart account is linked to someone else.
  return values.length === 1 && REPORTED_OUTCOMES.includes(value as ReportedOutcome)
    ? (value as ReportedOutcome)
    : undefined;
}
