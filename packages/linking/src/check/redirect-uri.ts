/**
 * @module What makes a redirect URI fit to register: absolute, `http:` or `https:`, `https:` unless
 * the host is this machine, no fragment (RFC 6749 §3.1.2), no user name or password, and written
 * the way a URL parser writes it, since Instacart compares it byte for byte.
 * @see docs/connect-api.md §1 (`redirect_uri` must match the registered URI exactly)
 */

/** A redirect URI's problem and what to do, or undefined when it is fit. */
export type RedirectUriProblem = { summary: string; fix: string } | undefined;

/**
 * Whether `hostname` (as `URL.hostname` spells it) names this machine: `localhost` and its
 * subdomains, 127.0.0.0/8 and `[::1]`. Browsers treat these as secure contexts over plain http.
 */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Looks at a redirect URI that already passed the configuration schema (an absolute http(s) URL).
 * @example
 * ```ts
 * inspectRedirectUri('http://shop.example/account/profile')?.summary;
 * // 'CONNECT_REDIRECT_URI uses http on shop.example, which is not this machine: it must be https'
 * ```
 */
export function inspectRedirectUri(value: string): RedirectUriProblem {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {
      summary: 'CONNECT_REDIRECT_URI is not an absolute URL',
      fix: 'set CONNECT_REDIRECT_URI to the full URL of your account profile page, e.g. https://shop.example/account/profile',
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return {
      summary: `CONNECT_REDIRECT_URI uses ${url.protocol}, not http: or https:`,
      fix: 'set CONNECT_REDIRECT_URI to the https URL of your account profile page',
    };
  }
  if (value.includes('#')) {
    return {
      summary:
        'CONNECT_REDIRECT_URI has a fragment (#…), which a redirect URI must not have (RFC 6749 §3.1.2)',
      fix: 'remove the fragment from CONNECT_REDIRECT_URI and from the URI registered with Instacart',
    };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      summary: 'CONNECT_REDIRECT_URI carries a user name or password',
      fix: 'remove the user name and password from CONNECT_REDIRECT_URI',
    };
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    const https = new URL(url.href);
    https.protocol = 'https:';
    return {
      summary: `CONNECT_REDIRECT_URI uses http on ${url.hostname}, which is not this machine: it must be https, or the authorization code travels in the clear`,
      fix: `serve the profile page over https, set CONNECT_REDIRECT_URI=${https.href} and register that with Instacart`,
    };
  }
  if (url.href !== value) {
    return {
      summary: `CONNECT_REDIRECT_URI is not written as a URL parser writes it (${url.href}); Instacart compares redirect URIs byte for byte`,
      fix: `set CONNECT_REDIRECT_URI=${url.href} and register exactly that with Instacart`,
    };
  }
  return undefined;
}
