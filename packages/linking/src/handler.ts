/**
 * @module One web-standard request handler for the linking endpoints the browser calls:
 * `GET {base}/status`, `POST {base}/authorize`, `POST {base}/link` and `POST {base}/verify`.
 * Framework adapters wrap it. The subject of every call is the session's user: nothing in the
 * request chooses it. Only the POSTs change anything; the status is read-only.
 */
import type { LinkOutcomeParam, LinkResult, ReportedOutcome, StatusView } from '@cartlink/wire';
import { z } from 'zod';
import { resolveBasePath } from './base-path.js';
import { LinkingRequestError } from './errors.js';
import { type LinkingSubject, timingSafeEqualStrings } from './link-transactions.js';
import type { Linking, Locale } from './linking.js';

/** What `getSubject` resolves a request to: the session's shopper, with what the handler needs of it. */
export type LinkingRequestSubject = LinkingSubject & {
  /** The shopper's locale, for Connect's answers. */
  locale?: Locale;
  /**
   * The session's CSRF token, which the "Link Instacart account" form posts back as `_csrf` (the
   * `<cartlink-status>` element's `csrf-token`). `POST {basePath}/authorize` compares the two in
   * constant time; when the host supplies no token that endpoint refuses every request (403
   * `csrf_token_unavailable`), so a link can never start without one.
   */
  csrfToken?: string;
};

/** What {@link LinkingHandlerOptions.limitLinkStart} answers when the shopper must wait. */
export interface LinkStartLimit {
  /** How long to wait before the next attempt; sent as `Retry-After`. */
  retryAfterSeconds: number;
}

/** Options of {@link createLinkingHandler} and of the Hono and Express adapters. */
export interface LinkingHandlerOptions {
  /** The linking core, from {@link createLinking}. */
  linking: Linking;
  /**
   * Resolves the request's server-side session to its shopper, or null when nobody is signed in.
   * This is the only source of the subject.
   */
  getSubject: (request: Request) => Promise<LinkingRequestSubject | null>;
  /**
   * Where the endpoints are mounted: `{basePath}/status`, `{basePath}/authorize`, `{basePath}/link`
   * and `{basePath}/verify`. The `<cartlink-status>` element's endpoints must match.
   * @default "/cartlink"
   */
  basePath?: string;
  /** Origins allowed to call the POST endpoints: the shop's own origin, e.g. `https://shop.example`. */
  allowedOrigins: readonly string[];
  /**
   * Largest accepted request body, in bytes (a callback is a few hundred); larger ones get 413.
   * @default 8192
   */
  maxBodyBytes?: number;
  /**
   * Rate limit for starting links, asked by `POST {basePath}/authorize` after its CSRF checks and
   * before a link transaction is created. Answer null to go ahead, or how long the shopper must wait:
   * the request is then refused (throttled) and nothing is written. Without it, link starts are not
   * limited.
   * @example
   * limitLinkStart: async (subject) =>
   *   (await limiter.take(`link-start:${subject.userId}`)) ? null : { retryAfterSeconds: 300 },
   */
  limitLinkStart?: (subject: LinkingSubject, request: Request) => Promise<LinkStartLimit | null>;
  /**
   * Headers for every response of the endpoints, for the host's own policy: e.g.
   * `Strict-Transport-Security` or `Cross-Origin-Opener-Policy`. The endpoints' own headers (content
   * type, `Cache-Control`, `Content-Security-Policy`, `Referrer-Policy`, `X-Content-Type-Options`,
   * `Cross-Origin-Resource-Policy`) win over these. They are merged once, when the handler is made,
   * so a host that would otherwise add them to each response after the fact saves that work.
   * @example
   * headers: { 'Strict-Transport-Security': 'max-age=63072000; includeSubDomains' }
   */
  headers?: Readonly<Record<string, string>>;
}

/** The query parameter that tells the profile page's status element how a refused link start ended. */
export const LINK_OUTCOME_PARAM: LinkOutcomeParam = 'cartlink_outcome';

/** The form field that carries the CSRF token of `POST {basePath}/authorize`. */
export const CSRF_FIELD = '_csrf';

/**
 * Headers on every response: nothing caches, sniffs, frames or embeds it, it loads nothing, and a
 * redirect carries no Referer to where it points.
 */
const OWN_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The callback parameters as the browser forwards them. Bounded: real values are far shorter. */
const callbackBodySchema = z
  .object({
    code: z.string().min(1).max(2048).optional(),
    state: z.string().min(1).max(512).optional(),
    iss: z.string().max(2048).optional(),
    error: z.string().max(256).optional(),
    error_description: z.string().max(2048).optional(),
  })
  .strict();

/**
 * The path of a request's URL. `Request.url` is always absolute and already normalised (dot segments
 * resolved, percent-encoded), so cutting it is enough: no URL object per request.
 */
function pathnameOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  let end = url.length;
  for (const separator of ['?', '#']) {
    const index = url.indexOf(separator, start);
    if (index !== -1 && index < end) end = index;
  }
  return url.slice(start, end);
}

function crossOrigin(): LinkingRequestError {
  return new LinkingRequestError(403, 'cross_origin', 'Cross-origin requests are refused');
}

/**
 * Refuses a state-changing request that a page of another origin could have sent (CSRF). Browsers
 * send `Origin` on every POST from `fetch`; `Sec-Fetch-Site` covers the rare one that does not.
 */
export function assertSameOrigin(request: Request, allowedOrigins: readonly string[]): void {
  const origin = request.headers.get('origin');
  if (origin !== null) {
    if (!allowedOrigins.includes(origin)) throw crossOrigin();
    return;
  }
  if (request.headers.get('sec-fetch-site') !== 'same-origin') throw crossOrigin();
}

/**
 * The origin rule of `POST {basePath}/authorize`, a real HTML form post. A page sent with
 * `Referrer-Policy: no-referrer` (the profile page, whose URL may hold a code) makes Chromium send
 * `Origin: null` on its forms, so `null` or no `Origin` is accepted when `Sec-Fetch-Site` says
 * `same-origin` or is absent (older clients); a foreign `Origin` or `Sec-Fetch-Site: cross-site` is
 * refused. This is the second line: the form's CSRF token is checked in every case.
 */
export function assertSameOriginForm(request: Request, allowedOrigins: readonly string[]): void {
  const site = request.headers.get('sec-fetch-site');
  if (site === 'cross-site') throw crossOrigin();
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== 'null') {
    if (!allowedOrigins.includes(origin)) throw crossOrigin();
    return;
  }
  if (site !== null && site !== 'same-origin') throw crossOrigin();
}

/**
 * The body as text, counted while it is read: refused (413) as soon as it passes `maxBytes`, whether
 * or not it declared a `Content-Length` (a chunked body declares none, and reading it whole first
 * would let one request fill the memory). The rest is left unread and the stream unlocked, not
 * cancelled, so that the host's server can drain it and the client receives the 413.
 */
async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new LinkingRequestError(413, 'body_too_large', 'Request body too large');
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > maxBytes) {
      reader.releaseLock();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Reads the urlencoded body of a form post; any other content type (JSON included) is refused. */
async function readFormBody(request: Request, maxBytes: number): Promise<URLSearchParams> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
    throw new LinkingRequestError(415, 'unsupported_media_type', 'Send application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await readBodyText(request, maxBytes));
}

/** True when the client asked for JSON and not for a page (a script, not a form navigation). */
function wantsJson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? '';
  // A JSON content type cannot be sent by a plain HTML form: a second line of CSRF defence.
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new LinkingRequestError(415, 'unsupported_media_type', 'Send application/json');
  }
  const text = await readBodyText(request, maxBytes);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new LinkingRequestError(400, 'invalid_json', 'The request body is not valid JSON');
  }
}

/**
 * Creates the handler.
 *
 * - `GET {basePath}/status`: the shopper's `StatusView` as JSON. Writes no link transaction.
 * - `POST {basePath}/authorize`: the "Link Instacart account" form (`application/x-www-form-urlencoded`
 *   with `_csrf`). Checks the origin ({@link assertSameOriginForm}) and the CSRF token against the
 *   subject's `csrfToken`, asks `limitLinkStart`, then starts a link ({@link Linking.startLink}) and
 *   answers `303` to Instacart's authorization URL. Throttled: `303` back to the redirect URI's path
 *   with `cartlink_outcome=throttled`, or `429` JSON for a client that accepts only JSON; both with
 *   `Retry-After`.
 * - `POST {basePath}/link`: the callback's `code` and `state` as JSON; completes the link.
 * - `POST {basePath}/verify`: a fresh membership verification.
 * @example
 * const handleLinking = createLinkingHandler({
 *   linking, allowedOrigins: [env.PUBLIC_URL],
 *   getSubject: async (request) => {
 *     const session = await sessions.read(request);
 *     return session ? { sessionId: session.id, userId: session.userId, csrfToken: session.csrfToken } : null;
 *   },
 * });
 * // In any framework: if (new URL(request.url).pathname.startsWith('/cartlink/')) return handleLinking(request);
 */
export function createLinkingHandler(
  options: LinkingHandlerOptions,
): (request: Request) => Promise<Response> {
  const basePath = resolveBasePath(options.basePath);
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024;
  const { linking } = options;
  // One object for every JSON answer: built here, not per response.
  const ownHeaders = { ...options.headers, ...OWN_HEADERS };
  const jsonHeaders = { ...ownHeaders, 'Content-Type': 'application/json; charset=utf-8' };

  function json(status: number, body: unknown): Response {
    return new Response(JSON.stringify(body), { status, headers: jsonHeaders });
  }

  /** A 303 with the same headers as every answer, so it carries no Referer to where it points. */
  function redirect(location: string, headers: Record<string, string> = {}): Response {
    return new Response(null, { status: 303, headers: { ...ownHeaders, ...headers, Location: location } });
  }

  function errorResponse(error: LinkingRequestError): Response {
    const response = json(error.status, { error: { code: error.code, message: error.message } });
    if (error.status === 405)
      response.headers.set('Allow', error.code === 'method_not_allowed_get' ? 'GET' : 'POST');
    return response;
  }

  /** The answer to a throttled link start: back to the page the link started from, or 429 for scripts. */
  function throttled(request: Request, limit: LinkStartLimit): Response {
    const seconds = Number.isFinite(limit.retryAfterSeconds)
      ? Math.max(1, Math.ceil(limit.retryAfterSeconds))
      : 60;
    if (wantsJson(request)) {
      const response = json(429, {
        error: { code: 'throttled', message: 'Too many link attempts; try again later' },
        retry_after_seconds: seconds,
      });
      response.headers.set('Retry-After', String(seconds));
      return response;
    }
    return redirect(backToProfile('throttled'), { 'Retry-After': String(seconds) });
  }

  /**
   * The profile page (the redirect URI, where the link started) as a path on this origin, with the
   * outcome to report. Only the path is used, and a path that a browser would read as another host
   * (`//evil.example/...`, from a mistyped redirect URI) falls back to `/`: the answer never leaves
   * the shop, whatever the configuration says.
   */
  function backToProfile(outcome?: ReportedOutcome): string {
    const back = new URL(linking.options.redirectUri);
    if (outcome !== undefined) back.searchParams.set(LINK_OUTCOME_PARAM, outcome);
    const path = back.pathname.startsWith('//') ? '/' : back.pathname;
    return `${path}${back.search}`;
  }

  async function authorize(
    request: Request,
    subject: LinkingSubject,
    expectedCsrfToken: string | undefined,
  ): Promise<Response> {
    const form = await readFormBody(request, maxBodyBytes);
    if (!expectedCsrfToken) {
      throw new LinkingRequestError(403, 'csrf_token_unavailable', 'Links cannot start without a CSRF token');
    }
    const submitted = form.getAll(CSRF_FIELD);
    if (submitted.length !== 1 || !timingSafeEqualStrings(submitted[0] ?? '', expectedCsrfToken)) {
      throw new LinkingRequestError(403, 'csrf_token_invalid', 'The form has expired; reload the page');
    }
    const limit = options.limitLinkStart ? await options.limitLinkStart(subject, request) : null;
    if (limit) return throttled(request, limit);
    const { authorizationUrl } = await linking.startLink(subject);
    return redirect(authorizationUrl);
  }

  async function route(request: Request): Promise<Response> {
    const pathname = pathnameOf(request.url);
    if (!pathname.startsWith(`${basePath}/`)) throw new LinkingRequestError(404, 'not_found', 'Not found');
    const action = pathname.slice(basePath.length + 1);
    const expectedMethod =
      action === 'status'
        ? 'GET'
        : action === 'link' || action === 'verify' || action === 'authorize'
          ? 'POST'
          : null;
    if (expectedMethod === null) throw new LinkingRequestError(404, 'not_found', 'Not found');
    if (request.method !== expectedMethod && !(expectedMethod === 'GET' && request.method === 'HEAD')) {
      throw new LinkingRequestError(
        405,
        expectedMethod === 'GET' ? 'method_not_allowed_get' : 'method_not_allowed',
        `Use ${expectedMethod}`,
      );
    }
    if (action === 'authorize') assertSameOriginForm(request, options.allowedOrigins);
    else if (expectedMethod === 'POST') assertSameOrigin(request, options.allowedOrigins);

    const subject = await options.getSubject(request);
    if (subject === null) throw new LinkingRequestError(401, 'not_signed_in', 'Sign in first');
    const linkingSubject: LinkingSubject = { sessionId: subject.sessionId, userId: subject.userId };
    const localeOption = subject.locale ? { locale: subject.locale } : {};

    switch (action) {
      case 'authorize':
        return authorize(request, linkingSubject, subject.csrfToken);
      case 'status':
        return json(200, (await linking.getStatus(linkingSubject, localeOption)) satisfies StatusView);
      case 'verify':
        return json(200, (await linking.verifyMembership(linkingSubject, localeOption)) satisfies StatusView);
      default: {
        const parsed = callbackBodySchema.safeParse(await readJsonBody(request, maxBodyBytes));
        if (!parsed.success) {
          throw new LinkingRequestError(400, 'invalid_callback', 'The callback parameters are malformed');
        }
        const body = parsed.data;
        const result = await linking.completeLink(
          linkingSubject,
          {
            code: body.code,
            state: body.state,
            iss: body.iss,
            error: body.error,
            // error_description is accepted but never echoed: it is attacker-controlled text.
            errorDescription: body.error_description,
          },
          localeOption,
        );
        return json(200, { outcome: result.outcome, status: result.status } satisfies LinkResult);
      }
    }
  }

  /**
   * A refused Link form, for a shopper's browser rather than a script: a JSON error page would be a
   * dead end. Signed out (the session expired while the page was open): back to the profile page,
   * which sends them to sign in. A stale CSRF token (the page outlived its session): back to the page
   * with the `failed` outcome, and the reloaded page carries a fresh token. Anything else (a foreign
   * origin, a wrong media type) stays a plain refusal: no shopper's own page sends it.
   */
  function refusedForm(request: Request, error: LinkingRequestError): Response | null {
    if (wantsJson(request) || pathnameOf(request.url) !== `${basePath}/authorize`) return null;
    if (error.code === 'not_signed_in') return redirect(backToProfile());
    if (error.code === 'csrf_token_invalid') return redirect(backToProfile('failed'));
    return null;
  }

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof LinkingRequestError) return refusedForm(request, error) ?? errorResponse(error);
      throw error;
    }
  };
}
