import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../seed.js';
import { createTestEmulator, DEMO_IDS, type TestEmulator } from '../test-support/harness.js';

const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;
const clientCredentials = {
  grant_type: 'client_credentials',
  client_id: clientId,
  client_secret: clientSecret,
  scope: 'connect:fulfillment',
};

let t: TestEmulator;
beforeEach(() => {
  t = createTestEmulator();
});
afterEach(() => {
  // Every test here talks to Connect routes: the validator must have seen its responses.
  expect(t.fetch.checked).toBeGreaterThan(0);
});

async function sandboxCode(token: string, body: Record<string, unknown> = {}) {
  const response = await t.request(
    'POST',
    `/v2/fulfillment_sandbox/instacart_users/${DEMO_IDS.plus}/authorize`,
    {
      headers: { authorization: `Bearer ${token}` },
      body: { redirect_uri: redirectUri, scope: 'account_linking', ...body },
    },
  );
  expect(response.status).toBe(200);
  return String(response.body.code);
}

describe('POST /v2/oauth/token, client_credentials', () => {
  it('issues a fulfillment token that is not cacheable', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await t.request('POST', '/v2/oauth/token', { body: clientCredentials });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 86400,
      scope: 'connect:fulfillment',
    });
    expect(String(response.body.access_token)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.body.created_at).toBeGreaterThanOrEqual(before);
    expect(response.body.created_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it('issues a different token on every call', async () => {
    expect(await t.fulfillmentToken()).not.toBe(await t.fulfillmentToken());
  });

  it('refuses another scope, and a missing one, with invalid_scope', async () => {
    for (const scope of ['account_linking', undefined, 42]) {
      const response = await t.request('POST', '/v2/oauth/token', { body: { ...clientCredentials, scope } });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_scope');
    }
  });

  it('answers 401 invalid_client for an unknown client, a wrong secret or no secret', async () => {
    const bodies = [
      { ...clientCredentials, client_id: 'nobody' },
      { ...clientCredentials, client_secret: 'wrong' },
      { ...clientCredentials, client_secret: undefined },
      { ...clientCredentials, client_secret: 123 },
    ];
    for (const body of bodies) {
      const response = await t.request('POST', '/v2/oauth/token', { body });
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers unsupported grant types with exactly {"error":"unsupported_grant_type"}', async () => {
    for (const grant_type of ['password', 'refresh_token', 'implicit', 7]) {
      const response = await t.request('POST', '/v2/oauth/token', {
        body: { ...clientCredentials, grant_type },
      });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'unsupported_grant_type' });
    }
  });

  it('answers a missing grant_type with invalid_request', async () => {
    const response = await t.request('POST', '/v2/oauth/token', {
      body: { client_id: clientId, client_secret: clientSecret },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
  });

  it('refuses credentials in the query string with 403 query_params_forbidden', async () => {
    const query = new URLSearchParams(clientCredentials).toString();
    const response = await t.request('POST', `/v2/oauth/token?${query}`, { body: clientCredentials });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'query_params_forbidden' });
    // No token was issued by the refused request.
    expect(t.emulator.getRequests().at(-1)?.status).toBe(403);
  });

  it('refuses a malformed, non-object, non-JSON or oversized body without a 5xx', async () => {
    const cases: { body: string; headers?: Record<string, string>; status: number }[] = [
      { body: '{"grant_type":', status: 400 },
      { body: '[]', status: 400 },
      { body: 'null', status: 400 },
      {
        body: 'grant_type=client_credentials',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        status: 400,
      },
      { body: JSON.stringify({ ...clientCredentials, pad: 'x'.repeat(70_000) }), status: 413 },
    ];
    for (const { body, headers, status } of cases) {
      const response = await t.request('POST', '/v2/oauth/token', { body, ...(headers ? { headers } : {}) });
      expect(response.status).toBe(status);
      expect(response.body.error).toBe('invalid_request');
    }
  });
});

describe('POST /v2/oauth/token, authorization_code', () => {
  it('exchanges a code for a linking token with scope account_linking', async () => {
    const code = await sandboxCode(await t.fulfillmentToken());
    const response = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: clientSecret,
        code,
        redirect_uri: redirectUri,
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 86400,
      scope: 'account_linking',
    });
  });

  it('needs code and redirect_uri (invalid_request)', async () => {
    const base = { grant_type: 'authorization_code', client_id: clientId, client_secret: clientSecret };
    for (const body of [
      { ...base, redirect_uri: redirectUri },
      { ...base, code: 'abc' },
      { ...base, code: 5, redirect_uri: redirectUri },
    ]) {
      const response = await t.request('POST', '/v2/oauth/token', { body });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
    }
  });

  it('answers an unknown code with invalid_grant and a description', async () => {
    const response = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: clientSecret,
        code: 'made-up',
        redirect_uri: redirectUri,
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
    expect(typeof response.body.error_description).toBe('string');
  });

  it('authenticates the client before looking at the code', async () => {
    const code = await sandboxCode(await t.fulfillmentToken());
    const response = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: 'wrong',
        code,
        redirect_uri: redirectUri,
      },
    });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });
});

describe('POST /v2/oauth/token/revoke', () => {
  it('revokes a token of the calling application: 200 {} and the token stops working', async () => {
    const token = await t.fulfillmentToken();
    const response = await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: clientId, client_secret: clientSecret, token },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    const after = await t.request('GET', '/v2/fulfillment/users/anyone/link', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: { message: 'The access token was revoked', code: null } });
  });

  it("refuses to revoke another application's token with 403 unauthorized_client", async () => {
    t.emulator.registerApp({
      clientId: 'other',
      clientSecret: 'other-secret',
      name: 'Other',
      redirectUris: ['http://localhost:1/cb'],
    });
    const token = await t.fulfillmentToken();
    const response = await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: 'other', client_secret: 'other-secret', token },
    });
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('unauthorized_client');
    const still = await t.request('GET', '/v2/fulfillment/users/anyone/link', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(still.status).toBe(400);
  });

  it('answers 200 for an unknown token (RFC 7009)', async () => {
    const response = await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: clientId, client_secret: clientSecret, token: 'never-issued' },
    });
    expect(response.status).toBe(200);
  });

  it('refuses a wrong secret (401), a missing token (400) and query parameters (403)', async () => {
    const wrong = await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: clientId, client_secret: 'nope', token: 'x' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const missing = await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: clientId, client_secret: clientSecret },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    const query = await t.request('POST', `/v2/oauth/token/revoke?client_secret=${clientSecret}`, {
      body: { client_id: clientId, client_secret: clientSecret, token: 'x' },
    });
    expect(query.status).toBe(403);
    expect(query.body).toEqual({ error: 'query_params_forbidden' });
  });
});
