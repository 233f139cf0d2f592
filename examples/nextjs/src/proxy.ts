/**
 * @module The pages' security headers, with a Content-Security-Policy that allows no inline script
 * but Next.js's own, by a nonce made for each request (Next.js reads it from the request's policy and
 * puts it on the scripts it writes), and the server-rendered status card's `<style>` by its hash.
 *
 * The linking endpoints (`/cartlink/*`) are left alone: their handler sends its own, stricter headers.
 */
import { CARTLINK_STATUS_STYLE_HASHES } from '@cartlink/react/server';
import { type NextRequest, NextResponse } from 'next/server';
import { PROFILE_PATH } from './config.js';

/**
 * The origin of Instacart's authorization page. The profile page's Link form posts to
 * `/cartlink/authorize`, which answers 303 there, and browsers check a form's redirects against
 * `form-action` too. Read at run time, like the rest of the configuration (`shop-server.ts` validates it).
 */
function authorizationOrigin(): string {
  const url = process.env.CONNECT_AUTH_URL?.trim() ?? '';
  return URL.canParse(url) ? new URL(url).origin : '';
}

/** The policy of a page; the profile page's forms may also lead to Instacart. */
function contentSecurityPolicy(nonce: string, formActionOrigins: readonly string[] = []): string {
  // `next dev` evaluates code and injects styles of its own (its error overlay); `next start` does neither.
  const development = process.env.NODE_ENV === 'development';
  return [
    "default-src 'self'",
    // 'strict-dynamic': what Next.js's nonced scripts load (the page's chunks, the elements) runs too.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ''}`,
    development
      ? "style-src 'self' 'unsafe-inline'"
      : `style-src 'self' 'nonce-${nonce}' ${CARTLINK_STATUS_STYLE_HASHES.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action 'self' ${formActionOrigins.join(' ')}`.trim(),
  ].join('; ');
}

/** Adds the nonce and the headers to every page. */
export function proxy(request: NextRequest): NextResponse {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const profile = request.nextUrl.pathname === PROFILE_PATH;
  const policy = contentSecurityPolicy(nonce, profile ? [authorizationOrigin()].filter(Boolean) : []);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', policy);
  response.headers.set('X-Content-Type-Options', 'nosniff');
  // The profile page is the redirect URI: its address may hold a single-use code, which no Referer
  // may carry anywhere.
  response.headers.set('Referrer-Policy', profile ? 'no-referrer' : 'strict-origin-when-cross-origin');
  return response;
}

/** Every page; not the linking endpoints, nor Next.js's static files. */
export const config = {
  matcher: ['/((?!cartlink/|_next/static|_next/image|favicon.ico).*)'],
};
