/**
 * The token endpoint (`POST /v2/oauth/token`) and revocation (`POST /v2/oauth/token/revoke`).
 *
 * @see docs/connect-api.md §2; RFC 6749 §4.1.3, §4.4, §5; RFC 7009; RFC 7636 §4.6
 */
import type { Hono } from 'hono';
import { CODE_VERIFIER_PATTERN } from '../authorization.js';
import { readJsonObject } from '../body.js';
import type { AppEnv, EmulatorContext } from '../context.js';
import { type AccessToken, TOKEN_LIFETIME_SECONDS, type VerifierEvidence } from '../domain.js';
import { sha256Base64Url } from '../random.js';
import { oauthError, tokenResponse } from '../responses.js';

const INVALID_CLIENT =
  'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.';
/**
 * Instacart documents no answer for a disabled application (the Developer Dashboard only says it
 * cannot issue new tokens); like an unknown client it is `invalid_client` (RFC 6749 §5.2).
 */
const DISABLED_CLIENT = 'The application is disabled: it may not issue access tokens.';

/** Credentials belong in the body; anything in the query string is refused outright. */
function hasQueryParameters(url: string): boolean {
  const query = new URL(url).search;
  return query.length > 1;
}

function tokenBody(token: AccessToken) {
  return {
    access_token: token.token,
    token_type: 'Bearer',
    expires_in: TOKEN_LIFETIME_SECONDS,
    scope: token.scope,
    created_at: Math.floor(token.issuedAt / 1000),
  };
}

async function verifierEvidence(value: unknown): Promise<VerifierEvidence> {
  if (value === undefined) return { kind: 'absent' };
  if (typeof value !== 'string' || !CODE_VERIFIER_PATTERN.test(value)) return { kind: 'malformed' };
  return { kind: 'present', s256: await sha256Base64Url(value) };
}

/** Registers the token and revocation endpoints. */
export function registerTokenRoutes(app: Hono<AppEnv>, ctx: EmulatorContext): void {
  app.post('/v2/oauth/token', async (c) => {
    if (hasQueryParameters(c.req.url)) return tokenResponse({ error: 'query_params_forbidden' }, 403);
    const parsed = await readJsonObject(c.req.raw);
    if (!parsed.ok)
      return oauthError(parsed.failure === 'too_large' ? 413 : 400, 'invalid_request', parsed.message);
    const body = parsed.value;

    const grantType = body.grant_type;
    if (grantType === undefined || grantType === null || grantType === '') {
      return oauthError(400, 'invalid_request', 'grant_type is required.');
    }
    if (grantType !== 'client_credentials' && grantType !== 'authorization_code') {
      return tokenResponse({ error: 'unsupported_grant_type' }, 400);
    }
    const { client_id: clientId, client_secret: clientSecret } = body;
    const client =
      typeof clientId === 'string' && typeof clientSecret === 'string'
        ? ctx.state.authenticateClient(clientId, clientSecret)
        : undefined;
    if (!client) return oauthError(401, 'invalid_client', INVALID_CLIENT);
    // Every grant is refused, the code grant too: an exchanged code would be a new token.
    if (client.status !== 'enabled') return oauthError(401, 'invalid_client', DISABLED_CLIENT);

    if (grantType === 'client_credentials') {
      if (body.scope !== 'connect:fulfillment') {
        return oauthError(400, 'invalid_scope', 'scope must be connect:fulfillment.');
      }
      if (!client.scopes.includes('connect:fulfillment')) {
        return oauthError(400, 'invalid_scope', 'The application may not request connect:fulfillment.');
      }
      const token = ctx.state.issueToken(
        { kind: 'fulfillment', clientId: client.clientId, instacartUserId: null },
        ctx.clock.nowMs(),
      );
      return tokenResponse(tokenBody(token));
    }

    const { code, redirect_uri: redirectUri } = body;
    if (typeof code !== 'string' || code === '')
      return oauthError(400, 'invalid_request', 'code is required.');
    if (typeof redirectUri !== 'string' || redirectUri === '') {
      return oauthError(400, 'invalid_request', 'redirect_uri is required.');
    }
    // Hash before redeeming: redeemCode is synchronous, so check and consumption cannot interleave
    // with another redemption of the same code.
    const verifier = await verifierEvidence(body.code_verifier);
    const result = ctx.state.redeemCode(
      { code, clientId: client.clientId, redirectUri, verifier },
      ctx.clock.nowMs(),
    );
    if (!result.ok) return oauthError(400, 'invalid_grant', result.description);
    return tokenResponse(tokenBody(result.token));
  });

  app.post('/v2/oauth/token/revoke', async (c) => {
    if (hasQueryParameters(c.req.url)) return tokenResponse({ error: 'query_params_forbidden' }, 403);
    const parsed = await readJsonObject(c.req.raw);
    if (!parsed.ok)
      return oauthError(parsed.failure === 'too_large' ? 413 : 400, 'invalid_request', parsed.message);
    const { client_id: clientId, client_secret: clientSecret, token } = parsed.value;
    const client =
      typeof clientId === 'string' && typeof clientSecret === 'string'
        ? ctx.state.authenticateClient(clientId, clientSecret)
        : undefined;
    // A disabled application may still revoke its own tokens: revocation issues nothing.
    if (!client) return oauthError(401, 'invalid_client', INVALID_CLIENT);
    if (typeof token !== 'string' || token === '')
      return oauthError(400, 'invalid_request', 'token is required.');
    const record = ctx.state.tokens.get(token);
    if (record && record.clientId !== client.clientId) {
      return oauthError(403, 'unauthorized_client', 'You are not authorized to revoke this token.');
    }
    // RFC 7009 §2.2: an unknown or already invalid token is not an error.
    ctx.state.revokeToken(token, ctx.clock.nowMs());
    return tokenResponse({});
  });
}
