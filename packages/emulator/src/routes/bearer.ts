/**
 * Fulfillment-token authentication for `/v2/fulfillment…` routes.
 *
 * Our choice where docs/connect-api.md is silent (it only says 401 means an invalid or expired token):
 * `401 {"error":{"message":<why>,"code":null}}` with `WWW-Authenticate: Bearer realm="Instacart
 * Connect"` and, when a token was presented, `error="invalid_token"` (RFC 6750 §3.1). The reasons:
 * `The access token is missing`, `… is invalid`, `… expired`, `… was revoked`, and
 * `The access token is not a fulfillment token` (a linking token used as a bearer token).
 */
import type { EmulatorContext } from '../context.js';
import type { AccessToken } from '../domain.js';
import { jsonResponse } from '../responses.js';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function unauthorized(message: string, tokenPresented: boolean): Response {
  const challenge = tokenPresented
    ? `Bearer realm="Instacart Connect", error="invalid_token", error_description="${message}"`
    : 'Bearer realm="Instacart Connect"';
  return jsonResponse({ error: { message, code: null } }, 401, { 'www-authenticate': challenge });
}

/**
 * The fulfillment token of a request and the retailer of the application that issued it (whose
 * Connect users and links the request sees), or the 401 response to send. A disabled
 * application's token works until it expires: disabling stops new tokens only.
 */
export function authenticateFulfillment(
  authorization: string | undefined,
  ctx: EmulatorContext,
): { ok: true; token: AccessToken; retailerId: string } | { ok: false; response: Response } {
  if (!authorization) return { ok: false, response: unauthorized('The access token is missing', false) };
  const value = BEARER.exec(authorization)?.[1];
  const token = value === undefined ? undefined : ctx.state.tokens.get(value);
  if (!token) return { ok: false, response: unauthorized('The access token is invalid', true) };
  if (token.revokedAt !== null)
    return { ok: false, response: unauthorized('The access token was revoked', true) };
  if (token.expiresAt <= ctx.clock.nowMs()) {
    return { ok: false, response: unauthorized('The access token expired', true) };
  }
  if (token.kind !== 'fulfillment') {
    return { ok: false, response: unauthorized('The access token is not a fulfillment token', true) };
  }
  // Deleting an application drops its tokens, so this is only reached by a token that outlived its
  // application in a hand-edited state file.
  const retailerId = ctx.state.retailerOf(token.clientId);
  if (retailerId === undefined)
    return { ok: false, response: unauthorized('The access token is invalid', true) };
  return { ok: true, token, retailerId };
}
