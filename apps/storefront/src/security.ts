/**
 * @module The shop's web security rules in one place: response headers (CSP with a per-response
 * nonce), the same-origin check on form posts, and the `next` parameter's sanitiser.
 */
import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce: 128 random bits, base64. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The Content-Security-Policy of every page. Scripts load only from the shop itself or carry this
 * response's nonce; nothing is fetched from a third party; forms post only to the shop (the Link
 * button navigates to Instacart, it is not a form, so `form-action` needs no Instacart origin).
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
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

/**
 * Returns `value` when it is a path on this shop that is safe to redirect to after sign-in, else null.
 * Refused: anything not starting with exactly one `/` (`//evil`, `https:evil`, `javascript:`), any
 * backslash (`/\evil` is `//evil` to browsers), control characters and whitespace (browsers drop tabs
 * and newlines, so `/\t/evil` would become `//evil`), and anything that resolves to another origin.
 */
export function safeNextPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//')) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
  if (/[\\\u0000-\u0020\u007f]/.test(value)) return null;
  const base = 'http://shop.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  if (url.origin !== base) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}
