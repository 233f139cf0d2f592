/**
 * The OAuth behaviours docs/connect-api.md takes from the RFCs: single-use codes (and revocation on
 * reuse), code and token lifetimes on the emulator clock, binding to client, redirect URI and
 * PKCE challenge.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Base64Url } from './random.js';
import { DEMO_SEED } from './seed.js';
import { createTestEmulator, DEMO_IDS, type TestEmulator } from './test-support/harness.js';

const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;
const VERIFIER = `${'a'.repeat(20)}-._~${'B'.repeat(30)}`;

let t: TestEmulator;
let fulfillment: string;
beforeEach(async () => {
  t = createTestEmulator();
  fulfillment = await t.fulfillmentToken();
});

function exchange(code: string, overrides: Record<string, unknown> = {}) {
  return t.request('POST', '/v2/oauth/token', {
    body: {
      grant_type: 'authorization_code',
      client_id: clientId,
      client_secret: clientSecret,
      code,
      redirect_uri: redirectUri,
      ...overrides,
    },
  });
}

function codeFor(options: { codeChallenge?: string; redirectUri?: string; clientId?: string } = {}) {
  return t.emulator.authorizeForTest({
    instacartUserId: DEMO_IDS.plus,
    clientId: options.clientId ?? clientId,
    redirectUri: options.redirectUri ?? redirectUri,
    ...(options.codeChallenge ? { codeChallenge: options.codeChallenge } : {}),
  });
}

async function linkWith(linkingToken: string, userId: string) {
  await t.request('POST', '/v2/fulfillment/users', {
    headers: { authorization: `Bearer ${fulfillment}` },
    body: { user_id: userId, first_name: 'Sam' },
  });
  return t.request('POST', `/v2/fulfillment/users/${userId}/link`, {
    headers: { authorization: `Bearer ${fulfillment}` },
    body: { linking_token: linkingToken },
  });
}

describe('authorization codes', () => {
  it('carry at least 128 random bits, base64url', () => {
    const codes = new Set(Array.from({ length: 50 }, () => codeFor()));
    expect(codes.size).toBe(50);
    for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
  });

  it('are single use: the second redemption fails and revokes the tokens of the first', async () => {
    const code = codeFor();
    const first = await exchange(code);
    expect(first.status).toBe(200);
    const second = await exchange(code);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    // The linking token from the first redemption no longer links anything.
    const link = await linkWith(String(first.body.access_token), 'reuse-victim');
    expect(link.status).toBe(400);
    expect(link.body).toEqual({
      error: { message: 'Linking token is invalid', code: 1001 },
      meta: { key: 'linking_token' },
    });
  });

  it('expire ten minutes after issue on the emulator clock', async () => {
    const fresh = codeFor();
    t.emulator.advanceClock(599);
    expect((await exchange(fresh)).status).toBe(200);

    const stale = codeFor();
    t.emulator.advanceClock(601);
    const response = await exchange(stale);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
    expect(response.body.error_description).toMatch(/expired/);
  });

  it('cannot be redeemed by another client, and stay usable by their own', async () => {
    t.emulator.registerApp({
      clientId: 'rival',
      clientSecret: 'rival-secret',
      name: 'Rival',
      redirectUris: [redirectUri],
    });
    const code = codeFor();
    const stolen = await exchange(code, { client_id: 'rival', client_secret: 'rival-secret' });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    expect((await exchange(code)).status).toBe(200);
  });

  it('are bound to the redirect URI of the authorization request', async () => {
    const other = 'http://localhost:3000/account/other';
    t.emulator.registerApp({
      clientId,
      clientSecret,
      name: DEMO_SEED.app.name,
      redirectUris: [redirectUri, other],
    });
    const response = await exchange(codeFor(), { redirect_uri: other });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it('give exactly one success out of ten parallel redemptions', async () => {
    const code = codeFor();
    const responses = await Promise.all(Array.from({ length: 10 }, () => exchange(code)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(9);
    for (const response of responses.filter((r) => r.status === 400))
      expect(response.body.error).toBe('invalid_grant');
  });
});

describe('PKCE (S256)', () => {
  it('accepts the right verifier', async () => {
    const code = codeFor({ codeChallenge: await sha256Base64Url(VERIFIER) });
    expect((await exchange(code, { code_verifier: VERIFIER })).status).toBe(200);
  });

  it('refuses a wrong verifier, a missing one and a malformed one with invalid_grant', async () => {
    const challenge = await sha256Base64Url(VERIFIER);
    for (const verifier of [`${VERIFIER.slice(0, -1)}C`, undefined, 'short', 17]) {
      const code = codeFor({ codeChallenge: challenge });
      const response = await exchange(code, verifier === undefined ? {} : { code_verifier: verifier });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_grant');
    }
  });

  it('refuses a verifier for a code issued without a challenge (downgrade)', async () => {
    const response = await exchange(codeFor(), { code_verifier: VERIFIER });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it('refuses plain and unknown methods at the sandbox authorize call', async () => {
    for (const method of ['plain', 'S512', undefined]) {
      const response = await t.request(
        'POST',
        `/v2/fulfillment_sandbox/instacart_users/${DEMO_IDS.plus}/authorize`,
        {
          headers: { authorization: `Bearer ${fulfillment}` },
          body: {
            redirect_uri: redirectUri,
            scope: 'account_linking',
            code_challenge: VERIFIER.slice(0, 43),
            code_challenge_method: method,
          },
        },
      );
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: { message: 'Invalid code_challenge_method', code: 1001 },
        meta: { key: 'code_challenge_method' },
      });
    }
  });
});

describe('token lifetimes', () => {
  it('fulfillment tokens work for 86400 seconds, then answer 401', async () => {
    const auth = { authorization: `Bearer ${fulfillment}` };
    t.emulator.advanceClock(86_399);
    expect((await t.request('GET', '/v2/fulfillment/users/nobody/link', { headers: auth })).status).toBe(400);
    t.emulator.advanceClock(1);
    const expired = await t.request('GET', '/v2/fulfillment/users/nobody/link', { headers: auth });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error: { message: 'The access token expired', code: null } });
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('linking tokens expire after 86400 seconds too', async () => {
    const linking = await t.linkingToken(DEMO_IDS.plus, fulfillment);
    t.emulator.advanceClock(86_400);
    fulfillment = await t.fulfillmentToken();
    const response = await linkWith(linking, 'late');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: { message: 'Linking token is invalid', code: 1001 },
      meta: { key: 'linking_token' },
    });
  });
});
