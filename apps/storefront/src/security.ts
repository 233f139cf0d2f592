/**
 * @module The shop's web security rules in one place: response headers (CSP with a per-response
 * nonce), the same-origin check on form posts, and the one check of every return path (`next`).
 */
import { randomBytes } from 'node:crypto';
import { CARTLINK_STATUS_STYLE_HASHES } from '@cartlink/elements/ssr';

/** A fresh CSP nonce: 128 random bits, base64. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The Content-Security-Policy of every page. Scripts load only from the shop itself or carry this
 * response's nonce; styles load only from the shop, except the `<style>` of the status card's
 * server-rendered shadow root, allowed by the hash of its text (the same on every page, so it can
 * never allow anything else); nothing is fetched from a third party; forms post only to the shop, plus
 * `formActionOrigins`. The profile page passes the authorization server's origin
 * (`new URL(config.connect.authUrl).origin`): its "Link Instacart account" form posts to
 * `/cartlink/authorize`, which answers 303 to Instacart, and browsers check a form's redirects
 * against `form-action` too.
 */
export function contentSecurityPolicy(nonce: string, formActionOrigins: readonly string[] = []): string {
  // Reduced to origins (scheme, host, port): browsers ignore a source's path once a redirect happened.
  const formAction = ["'self'", ...new Set(formActionOrigins.map((origin) => new URL(origin).origin))];
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' ${CARTLINK_STATUS_STYLE_HASHES.join(' ')}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action ${formAction.join(' ')}`,
  ].join('; ');
}

/** The headers every response gets unless its handler set its own (the profile page, the JSON API). */
export function securityHeaders(nonce: string, secure: boolean): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(nonce),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // HSTS over plain http is ignored by browsers and would only confuse; send it over https only.
    ...(secure ? { 'Strict-Transport-Security': 'max-age=63072000; includeSubDomains' } : {}),
  };
}

/**
 * Whether a state-changing request comes from one of the shop's own pages. `Origin` decides when the
 * browser sent a real one. Browsers send `Origin: null` for a form posted from a page whose referrer
 * policy is `no-referrer` (the profile page), and old clients send none: then `Sec-Fetch-Site`, which
 * browsers send regardless of referrer policy, must not say the request is cross-site. The form's
 * CSRF token is checked as well in every case; this is the second, independent line.
 */
export function isSameOriginRequest(headers: Headers, publicOrigin: string): boolean {
  const origin = headers.get('origin');
  if (origin !== null && origin !== 'null') return origin === publicOrigin;
  const site = headers.get('sec-fetch-site');
  return site === null || site === 'same-origin';
}

/** Longest `next` the shop keeps; its own paths and query strings are far shorter. */
const MAX_NEXT_LENGTH = 2048;

/** A base that stands for "this shop" while resolving a `next`; `.invalid` never resolves (RFC 6761). */
const NEXT_BASE = 'http://shop.invalid';

/**
 * A path of the shop after normalisation: `/`, or segments of RFC 3986 unreserved characters, each
 * non-empty. Every route of the shop fits. Everything else is refused on purpose: an empty segment
 * (`//host` is scheme-relative), `;` (`/;/host` is `//host` to servers that drop path parameters) and
 * any percent-escape (`%2F`, `%5C`, `%2E`, `%25` for double encoding), which a proxy or a later
 * decoding step could turn into a separator.
 */
const SHOP_PATHNAME = /^(?:\/[A-Za-z0-9._~-]+)*\/?$/;

/** Backslashes (`/\host` is `//host` to browsers), C0/C1 controls and whitespace (browsers drop tabs and newlines). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const UNSAFE_CHARACTERS = /[\\\u0000-\u0020\u007f-\u009f]/;

/**
 * The one place that decides where a shopper may be sent back to (the `next` of `/signin`, the form's
 * hidden field, the sign-in link of a protected page): `value` when it is a path on this shop, else `/`.
 *
 * The value is normalised first, exactly as the redirect will be read (dot segments and `%2e` dots
 * resolved by the WHATWG URL parser, as browsers do), and the decision is taken on the result:
 * checking the raw input is not enough, since `/.//evil.example` is `//evil.example` once normalised.
 * The result must be same-origin, start with exactly one `/`, and have a pathname matching
 * {@link SHOP_PATHNAME}; the raw input must already start with `/` and hold no backslash, control
 * character or whitespace. The query string and fragment are kept (they cannot change the origin).
 * @example
 * safeNextPath('/checkout'); // '/checkout'
 * safeNextPath('/.//evil.example/x'); // '/'
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html
 */
export function safeNextPath(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NEXT_LENGTH) return '/';
  if (!value.startsWith('/') || UNSAFE_CHARACTERS.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, NEXT_BASE);
  } catch {
    return '/';
  }
  if (url.origin !== NEXT_BASE || url.username !== '' || url.password !== '') return '/';
  if (!SHOP_PATHNAME.test(url.pathname)) return '/';
  const result = `${url.pathname}${url.search}${url.hash}`;
  // The redirect is what the browser reads: check the string that will be sent, once more, as such.
  if (result.startsWith('//') || UNSAFE_CHARACTERS.test(result)) return '/';
  if (new URL(result, NEXT_BASE).origin !== NEXT_BASE) return '/';
  return result;
}
