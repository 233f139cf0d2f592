import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../seed.js';
import { createTestEmulator, DEMO_IDS, type TestEmulator } from '../test-support/harness.js';

let t: TestEmulator;
let auth: { authorization: string };
beforeEach(async () => {
  t = createTestEmulator();
  auth = { authorization: `Bearer ${await t.fulfillmentToken()}` };
});

const createAccount = (body: Record<string, unknown>, headers = auth) =>
  t.request('POST', '/v2/fulfillment_sandbox/instacart_users', { headers, body });
const authorize = (id: string | number, body: Record<string, unknown>, headers = auth) =>
  t.request('POST', `/v2/fulfillment_sandbox/instacart_users/${id}/authorize`, { headers, body });
const validAuthorize = { redirect_uri: DEMO_SEED.app.redirectUri, scope: 'account_linking' };

describe('POST /v2/fulfillment_sandbox/instacart_users', () => {
  it('creates an account and answers its id', async () => {
    const response = await createAccount({
      email: 'new@instacart.test',
      phone: '+15145550000',
      password: 'secret-pass',
      instacartplus_member: true,
      express_member: true,
    });
    expect(response).toMatchObject({ status: 200, body: { id: 4 } });
    // The new member links and reports an active membership with a future end date.
    await t.linkUser('member', 4);
    const status = await t.request('GET', '/v2/fulfillment/users/member/link', { headers: auth });
    expect(status.body.instacartplus_member).toBe(true);
    expect(Date.parse(String(status.body.expired_at))).toBeGreaterThan(Date.now());
  });

  it('answers An account already exists with this email, whatever the case', async () => {
    const response = await createAccount({ email: 'PLUS@instacart.test', password: 'x' });
    expect(response).toMatchObject({
      status: 400,
      body: {
        error: { message: 'An account already exists with this email', code: 1001 },
        meta: { key: 'email' },
      },
    });
  });

  it('validates email and password', async () => {
    expect(await createAccount({ email: 'not-an-email', password: 'x' })).toMatchObject({
      status: 400,
      body: { meta: { key: 'email' } },
    });
    expect(await createAccount({ email: 'a@b.test' })).toMatchObject({
      status: 400,
      body: { error: { message: "can't be blank" }, meta: { key: 'password' } },
    });
    expect(
      await createAccount({ email: 'a@b.test', password: 'x', instacartplus_member: 'yes' }),
    ).toMatchObject({
      status: 400,
      body: { meta: { key: 'instacartplus_member' } },
    });
  });

  it('needs a fulfillment token', async () => {
    expect((await createAccount({ email: 'a@b.test', password: 'x' }, { authorization: '' })).status).toBe(
      401,
    );
  });
});

describe('POST /v2/fulfillment_sandbox/instacart_users/{id}/authorize', () => {
  it('answers a code that the token endpoint accepts', async () => {
    const response = await authorize(DEMO_IDS.basic, validAuthorize);
    expect(response.status).toBe(200);
    const exchanged = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: DEMO_SEED.app.clientId,
        client_secret: DEMO_SEED.app.clientSecret,
        code: response.body.code,
        redirect_uri: DEMO_SEED.app.redirectUri,
      },
    });
    expect(exchanged.status).toBe(200);
  });

  it('answers Invalid user_id for unknown, malformed and deactivated accounts', async () => {
    t.emulator.updateInstacartUser(DEMO_IDS.lapsed, { active: false });
    for (const id of [99, 'abc', 0, DEMO_IDS.lapsed]) {
      expect(await authorize(id, validAuthorize)).toMatchObject({
        status: 400,
        body: { error: { message: 'Invalid user_id', code: 1001 }, meta: { key: 'user_id' } },
      });
    }
  });

  it('refuses an unregistered redirect_uri, another scope and missing fields', async () => {
    expect(
      await authorize(DEMO_IDS.plus, { ...validAuthorize, redirect_uri: `${DEMO_SEED.app.redirectUri}/` }),
    ).toMatchObject({
      status: 400,
      body: { error: { message: 'Invalid redirect_uri' }, meta: { key: 'redirect_uri' } },
    });
    expect(await authorize(DEMO_IDS.plus, { ...validAuthorize, scope: 'connect:fulfillment' })).toMatchObject(
      {
        status: 400,
        body: { error: { message: 'Invalid scope' }, meta: { key: 'scope' } },
      },
    );
    expect(await authorize(DEMO_IDS.plus, { scope: 'account_linking' })).toMatchObject({
      status: 400,
      body: { error: { message: "can't be blank" }, meta: { key: 'redirect_uri' } },
    });
  });

  it('refuses a malformed challenge, and a missing one when PKCE is required', async () => {
    expect(
      await authorize(DEMO_IDS.plus, {
        ...validAuthorize,
        code_challenge: 'too-short',
        code_challenge_method: 'S256',
      }),
    ).toMatchObject({
      status: 400,
      body: { error: { message: 'Invalid code_challenge' }, meta: { key: 'code_challenge' } },
    });
    t.emulator.updateSettings({ requirePkce: true });
    expect(await authorize(DEMO_IDS.plus, validAuthorize)).toMatchObject({
      status: 400,
      body: { meta: { key: 'code_challenge' } },
    });
    expect(
      await authorize(DEMO_IDS.plus, {
        ...validAuthorize,
        code_challenge: 'A'.repeat(43),
        code_challenge_method: 'S256',
      }),
    ).toMatchObject({ status: 200 });
  });

  it('issues codes to the application of the fulfillment token only', async () => {
    t.emulator.registerApp({
      clientId: 'other',
      clientSecret: 'other-secret',
      name: 'Other',
      redirectUris: ['http://localhost:9/cb'],
    });
    const otherAuth = { authorization: `Bearer ${await t.fulfillmentToken('other', 'other-secret')}` };
    // The demo redirect URI is not registered for "other".
    expect((await authorize(DEMO_IDS.plus, validAuthorize, otherAuth)).status).toBe(400);
    expect(
      (
        await authorize(
          DEMO_IDS.plus,
          { ...validAuthorize, redirect_uri: 'http://localhost:9/cb' },
          otherAuth,
        )
      ).status,
    ).toBe(200);
  });
});
