/**
 * @module One web-standard request handler for the linking endpoints the browser calls:
 * `GET {base}/status`, `POST {base}/link` and `POST {base}/verify`. Framework adapters wrap it.
 * The subject of every call is the session's user: nothing in the request chooses it.
 */
import { z } from 'zod';
import { LinkingRequestError } from './errors';
import type { LinkingSubject } from './link-transactions';
import type { Linking, Locale } from './linking';

export interface LinkingHandlerOptions {
  linking: Linking;
  /**
   * Resolves the request's server-side session to its shopper, or null when nobody is signed in.
   * This is the only source of the subject.
   */
  getSubject: (request: Request) => Promise<(LinkingSubject & { locale?: Locale }) | null>;
  /** Where the endpoints are mounted. Default `/cartlink`. */
  basePath?: string;
  /** Origins allowed to call the POST endpoints: the shop's own origin, e.g. `https://shop.example`. */
  allowedOrigins: readonly string[];
  /** Largest accepted request body. Default 8 KiB: a callback is a few hundred bytes. */
  maxBodyBytes?: number;
}

/** Headers on every response: JSON that nothing caches, sniffs or frames. */
const API_HEADERS: Record<string, string> = {
  'Content-Type': 'application/json; charset=utf-8',
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

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: API_HEADERS });
}

function errorResponse(error: LinkingRequestError): Response {
  const response = json(error.status, { error: { code: error.code, message: error.message } });
  if (error.status === 405)
    response.headers.set('Allow', error.code === 'method_not_allowed_get' ? 'GET' : 'POST');
  return response;
}

/**
 * Refuses a state-changing request that a page of another origin could have sent (CSRF). Browsers
 * send `Origin` on every POST from `fetch`; `Sec-Fetch-Site` covers the rare one that does not.
 */
export function assertSameOrigin(request: Request, allowedOrigins: readonly string[]): void {
  const origin = request.headers.get('origin');
  if (origin !== null) {
    if (!allowedOrigins.includes(origin)) {
      throw new LinkingRequestError(403, 'cross_origin', 'Cross-origin requests are refused');
    }
    return;
  }
  if (request.headers.get('sec-fetch-site') !== 'same-origin') {
    throw new LinkingRequestError(403, 'cross_origin', 'Cross-origin requests are refused');
  }
}

async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? '';
  // A JSON content type cannot be sent by a plain HTML form: a second line of CSRF defence.
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new LinkingRequestError(415, 'unsupported_media_type', 'Send application/json');
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new LinkingRequestError(413, 'body_too_large', 'Request body too large');
  const text = await request.text();
  if (new TextEncoder().encode(text).length > maxBytes) {
    throw new LinkingRequestError(413, 'body_too_large', 'Request body too large');
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new LinkingRequestError(400, 'invalid_json', 'The request body is not valid JSON');
  }
}

/**
 * Creates the handler.
 * @example
 * const handleLinking = createLinkingHandler({ linking, getSubject, allowedOrigins: [env.PUBLIC_URL] });
 * // In any framework: if (new URL(request.url).pathname.startsWith('/cartlink/')) return handleLinking(request);
 */
export function createLinkingHandler(
  options: LinkingHandlerOptions,
): (request: Request) => Promise<Response> {
  const basePath = (options.basePath ?? '/cartlink').replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024;
  const { linking } = options;

  async function route(request: Request): Promise<Response> {
    const pathname = new URL(request.url).pathname;
    if (!pathname.startsWith(`${basePath}/`)) throw new LinkingRequestError(404, 'not_found', 'Not found');
    const action = pathname.slice(basePath.length + 1);
    const expectedMethod =
      action === 'status' ? 'GET' : action === 'link' || action === 'verify' ? 'POST' : null;
    if (expectedMethod === null) throw new LinkingRequestError(404, 'not_found', 'Not found');
    if (request.method !== expectedMethod && !(expectedMethod === 'GET' && request.method === 'HEAD')) {
      throw new LinkingRequestError(
        405,
        expectedMethod === 'GET' ? 'method_not_allowed_get' : 'method_not_allowed',
        `Use ${expectedMethod}`,
      );
    }
    if (expectedMethod === 'POST') assertSameOrigin(request, options.allowedOrigins);

    const subject = await options.getSubject(request);
    if (subject === null) throw new LinkingRequestError(401, 'not_signed_in', 'Sign in first');
    const { locale, ...linkingSubject } = subject;
    const localeOption = locale ? { locale } : {};

    switch (action) {
      case 'status':
        return json(200, await linking.getStatus(linkingSubject, localeOption));
      case 'verify':
        return json(200, await linking.verifyMembership(linkingSubject, localeOption));
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
        return json(200, { outcome: result.outcome, status: result.status });
      }
    }
  }

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof LinkingRequestError) return errorResponse(error);
      throw error;
    }
  };
}
