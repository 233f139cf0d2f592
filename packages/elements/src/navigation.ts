/**
 * @module How the elements leave the page: URL checks, the cancelable `cartlink:navigate` event and
 * the overridable `navigate` function. Shared by both elements so the rules are the same everywhere.
 */

/** Why an element wants to navigate; lets a listener route each button differently. */
export type NavigateAction = 'manage' | 'join' | 'link' | 'reload' | 'continue' | 'account';

/**
 * Detail of the cancelable `cartlink:navigate` event. For `link` the `url` is the authorize endpoint
 * the Link form is about to POST to (with the session's CSRF token); canceling stops the post.
 */
export interface NavigateDetail {
  /** Absolute http(s) URL. */
  url: string;
  /** Which button asked: lets a listener route each one differently. */
  action: NavigateAction;
}

/** Replaces the default navigation (`location.assign`), for single-page apps and tests. */
export type Navigate = (url: string, action: NavigateAction) => void;

/**
 * Navigates the current window, as an OAuth redirect must: a new tab would lose the page that
 * receives the callback.
 */
export const assignLocation: Navigate = (url) => {
  window.location.assign(url);
};

/**
 * Resolves `value` against the document and returns it only when it is an http(s) URL. Attributes and
 * server JSON are not trusted: a `javascript:` URL handed to `location.assign` would run script.
 */
export function toSafeUrl(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value, document.baseURI);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Dispatches a cancelable, bubbling, composed `cartlink:navigate` event from `host`. Returns false
 * when a listener canceled it.
 */
export function announceNavigation(host: HTMLElement, url: string, action: NavigateAction): boolean {
  const event = new CustomEvent<NavigateDetail>('cartlink:navigate', {
    detail: { url, action },
    bubbles: true,
    composed: true,
    cancelable: true,
  });
  return host.dispatchEvent(event);
}

/**
 * Dispatches a cancelable, bubbling, composed `cartlink:navigate` event from `host` and, unless a
 * listener cancels it, calls `navigate`. Returns whether navigation went ahead.
 */
export function requestNavigation(
  host: HTMLElement,
  navigate: Navigate,
  url: string,
  action: NavigateAction,
): boolean {
  if (!announceNavigation(host, url, action)) return false;
  navigate(url, action);
  return true;
}

/**
 * Like {@link toSafeUrl}, but only for a URL on the page's own origin: where a form that carries the
 * session's CSRF token may post.
 */
export function toSameOriginUrl(value: string | null | undefined): string | undefined {
  const url = toSafeUrl(value);
  return url !== undefined && new URL(url).origin === window.location.origin ? url : undefined;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cartlink:navigate': CustomEvent<NavigateDetail>;
  }
}
