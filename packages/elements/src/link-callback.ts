/**
 * @module Reads the OAuth callback (`code`/`error` with `state`) from the address bar and removes it,
 * at most once per callback: the seed's "Check for authorization" step.
 */

/** The parameters the link endpoint receives; only those present in the callback URL are set. */
export interface CallbackParams {
  state: string;
  code?: string;
  iss?: string;
  error?: string;
  error_description?: string;
}

const CALLBACK_KEYS = ['code', 'state', 'iss', 'error', 'error_description'] as const;

// The `state` values already taken in this page's life. Removing the parameters from the address bar
// already stops a second element (or a reconnected one) from seeing them; this also holds when a
// router puts the old URL back, because a state is single use and must never be posted twice.
const taken = new Set<string>();

/**
 * When the address bar holds an authorization callback (`state` with `code` or `error`) not taken
 * before, removes `code`, `state`, `iss`, `error` and `error_description` from it with
 * `history.replaceState` (other parameters and the hash stay) and returns them. Otherwise returns
 * `undefined` and leaves the address bar alone.
 *
 * The parameters leave the address bar before anything is sent so that a reload, a shared link or
 * the Referer of the next request never carries the single-use code.
 */
export function takeCallbackParams(): CallbackParams | undefined {
  const url = new URL(window.location.href);
  const params = url.searchParams;
  const state = params.get('state');
  if (state === null || (!params.has('code') && !params.has('error')) || taken.has(state)) return undefined;
  taken.add(state);
  const found: Partial<Record<(typeof CALLBACK_KEYS)[number], string>> = {};
  for (const key of CALLBACK_KEYS) {
    const value = params.get(key);
    if (value !== null) found[key] = value;
    params.delete(key);
  }
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return { ...found, state };
}
