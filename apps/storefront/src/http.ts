/**
 * @module The pieces every route shares: the Hono environment type, the error that becomes an HTTP
 * status page, and reading a form post (size, media type, same origin, CSRF token).
 */
import type { Context } from 'hono';
import { isSameOriginRequest, safeNextPath } from './security.js';
import { csrfTokenMatches, type Session } from './sessions.js';
import type { User } from './users.js';

/** Per-request values set by the middleware. */
export interface AppVariables {
  /** This response's CSP nonce. */
  nonce: string;
  /** The live session, or null for a visitor without one. */
  session: Session | null;
  /** The signed-in shopper, or null. */
  user: User | null;
}

/** The Hono environment of the storefront app. */
export interface AppEnv {
  Variables: AppVariables;
}

/** The storefront's route context. */
export type AppContext = Context<AppEnv>;

/**
 * A request the shop refuses; the error handler renders it as a short page with this status and
 * message (never a stack trace). `title` and `message` are shown to the shopper.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 415,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** Largest form body the shop accepts: its forms post a few hundred bytes. */
export const MAX_FORM_BYTES = 16 * 1024;

/** A form post's fields, first value of each. */
export type FormFields = Readonly<Record<string, string>>;

/**
 * The body as text, read while counting: `undefined` as soon as it passes `limit` bytes, whether or
 * not it declared a `Content-Length` (a chunked body declares none, and reading it whole first would
 * let one request fill the memory). The rest is left unread and the stream unlocked, not cancelled,
 * so that the server can read and discard it before sending the 413 (`server-node.ts`): closing a
 * connection the client is still writing to resets it, and the client never sees the answer.
 */
export async function readBodyText(request: Request, limit: number): Promise<string | undefined> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return undefined;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.releaseLock();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a form post after checking that it comes from one of the shop's pages (Origin /
 * Sec-Fetch-Site), is form-encoded and small. The CSRF token is checked separately
 * ({@link assertCsrf}), because sign-in answers a stale token differently.
 */
export async function readForm(c: AppContext, publicOrigin: string): Promise<FormFields> {
  if (!isSameOriginRequest(c.req.raw.headers, publicOrigin)) {
    throw new HttpError(
      403,
      'Request refused',
      'This form was sent from another site, so it was not accepted.',
    );
  }
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
    throw new HttpError(415, 'Unsupported form', 'Send the form from the shop page.');
  }
  const text = await readBodyText(c.req.raw, MAX_FORM_BYTES);
  if (text === undefined) {
    throw new HttpError(413, 'Form too large', 'The form was larger than the shop accepts.');
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (!(name in fields)) fields[name] = value;
  }
  return fields;
}

/** Refuses a post whose `_csrf` field does not match the session's token (synchronizer token). */
export function assertCsrf(c: AppContext, fields: FormFields): void {
  if (!csrfTokenMatches(c.get('session'), fields._csrf)) {
    throw new HttpError(
      403,
      'Page expired',
      'This page was open too long or in another session. Go back, reload the page and try again.',
    );
  }
}

/** The query parameters of an authorization callback, which never go into a `next` or a log line. */
export const CALLBACK_PARAMS = ['code', 'state', 'iss', 'error', 'error_description'] as const;

/** `/signin?next=<this page>`, without callback parameters in `next`. */
export function signInRedirectTarget(url: URL): string {
  const target = new URL(url);
  for (const name of CALLBACK_PARAMS) target.searchParams.delete(name);
  // The same check as the sign-in redirect itself: one rule for every return path.
  const next = safeNextPath(`${target.pathname}${target.search}`);
  return next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`;
}

/** A route as Hono lists it in `app.routes`. */
export interface RouteEntry {
  method: string;
  path: string;
}

/** A Hono route path (`/orders/:id`, `/assets/*`) as a regular expression over a whole request path. */
function routePattern(path: string): RegExp {
  const segments = path.split('/').map((segment) => {
    if (segment === '*') return '.*';
    if (segment.startsWith(':')) return '[^/]+';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}$`);
}

/**
 * Builds the lookup behind the shop's 405 answers: the methods a path is served with, from the routes
 * of one method each (routes for every method, such as middleware and the linking endpoints, answer
 * any method themselves). A path the shop serves, asked for with another method, is not "not found":
 * it gets 405 with these methods in `Allow` (RFC 9110 §15.5.6). GET brings HEAD, which Hono answers
 * with the GET route. Empty for a path no route serves.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6
 * @example
 * const allowedMethods = createAllowedMethodsLookup(app.routes);
 * allowedMethods('/signout'); // ['POST']
 */
export function createAllowedMethodsLookup(routes: readonly RouteEntry[]): (path: string) => string[] {
  const compiled = routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => ({ method: route.method.toUpperCase(), pattern: routePattern(route.path) }));
  return (path) => {
    const methods = new Set<string>();
    for (const route of compiled) {
      if (!route.pattern.test(path)) continue;
      methods.add(route.method);
      if (route.method === 'GET') methods.add('HEAD');
    }
    return [...methods].sort();
  };
}
