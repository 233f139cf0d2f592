/**
 * The response shapes of the emulated API, built in one place so that every route answers with
 * exactly the bodies docs/connect-api.md documents.
 */

/** A JSON response. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * Connect's single error shape, `{"error":{"message","code"},"meta":{"key"}}` (docs/connect-api.md §5);
 * `meta` is left out when there is no key, as in `User Not Active`.
 */
export function connectError(status: number, message: string, code: number | null, key?: string): Response {
  const body = key === undefined ? { error: { message, code } } : { error: { message, code }, meta: { key } };
  return jsonResponse(body, status);
}

/** RFC 6749 §5.1: responses of the token endpoint must not be cached. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** A token-endpoint response (`Cache-Control: no-store`). */
export function tokenResponse(body: unknown, status = 200): Response {
  return jsonResponse(body, status, NO_STORE);
}

/** An OAuth error body (RFC 6749 §5.2): `{"error", "error_description"?}`. */
export function oauthError(status: number, error: string, description?: string): Response {
  return tokenResponse(
    description === undefined ? { error } : { error, error_description: description },
    status,
  );
}

/** A redirect that leaks nothing through caches or the Referer header. */
export function redirectResponse(location: string, status: 302 | 303): Response {
  return new Response(null, {
    status,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  });
}
