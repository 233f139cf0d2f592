import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../seed.js';
import { createTestEmulator, DEMO_IDS, type TestEmulator } from '../test-support/harness.js';

const NOT_FOUND = { error: { message: 'User Not Found', code: 1001 }, meta: { key: 'user_id' } };
const NOT_LINKED = { error: { message: 'User Not Linked', code: 1001 }, meta: { key: 'user_id' } };
const NOT_ACTIVE = { error: { message: 'User Not Active', code: null } };
const INVALID_TOKEN = {
  error: { message: 'Linking token is invalid', code: 1001 },
  meta: { key: 'linking_token' },
};
const BLANK_TOKEN = { error: { message: "can't be blank", code: 1001 }, meta: { key: 'linking_token' } };
const CONFLICT = {
  error: {
    message: 'Validation failed: Common identities can only have one user per isolation context',
    code: 1001,
  },
  meta: { key: 'linking_token' },
};

let t: TestEmulator;
let token: string;
let auth: { authorization: string };
beforeEach(async () => {
  t = createTestEmulator();
  token = await t.fulfillmentToken();
  auth = { authorization: `Bearer ${token}` };
});

const createUser = (body: Record<string, unknown>, headers = auth) =>
  t.request('POST', '/v2/fulfillment/users', { headers, body });
const getLink = (userId: string, headers = auth) =>
  t.request('GET', `/v2/fulfillment/users/${encodeURIComponent(userId)}/link`, { headers });
const postLink = (userId: string, body: Record<string, unknown>, headers = auth) =>
  t.request('POST', `/v2/fulfillment/users/${encodeURIComponent(userId)}/link`, { headers, body });

describe('GET /v2/fulfillment/users/{user_id}/link', () => {
  it('reports an active Instacart+ member with the end date', async () => {
    await t.linkUser('u-plus', DEMO_IDS.plus);
    const response = await getLink('u-plus');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ instacartplus_member: true, express_member: true });
    const expiredAt = Date.parse(String(response.body.expired_at));
    expect(String(response.body.expired_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(expiredAt - Date.now()).toBeGreaterThan(360 * 86_400_000);
  });

  it('reports a customer who never subscribed without expired_at', async () => {
    await t.linkUser('u-basic', DEMO_IDS.basic);
    const response = await getLink('u-basic');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ instacartplus_member: false, express_member: false });
  });

  it('reports a lapsed subscription as not a member, with its past end date', async () => {
    await t.linkUser('u-lapsed', DEMO_IDS.lapsed);
    const response = await getLink('u-lapsed');
    expect(response.status).toBe(200);
    expect(response.body.instacartplus_member).toBe(false);
    expect(Date.parse(String(response.body.expired_at))).toBeLessThan(Date.now());
  });

  it('turns a membership off when the emulator clock passes its end date', async () => {
    await t.linkUser('u-plus', DEMO_IDS.plus);
    t.emulator.advanceClock(366 * 86_400);
    const fresh = { authorization: `Bearer ${await t.fulfillmentToken()}` };
    const response = await getLink('u-plus', fresh);
    expect(response.status).toBe(200);
    expect(response.body.instacartplus_member).toBe(false);
    expect(response.body.expired_at).toBeDefined();
  });

  it('answers User Not Found, User Not Linked and User Not Active exactly', async () => {
    expect(await getLink('ghost')).toMatchObject({ status: 400, body: NOT_FOUND });
    await createUser({ user_id: 'unlinked', first_name: 'Una' });
    expect(await getLink('unlinked')).toMatchObject({ status: 400, body: NOT_LINKED });
    await t.linkUser('inactive', DEMO_IDS.plus);
    t.emulator.setConnectUserActive(DEMO_SEED.app.clientId, 'inactive', false);
    expect(await getLink('inactive')).toMatchObject({ status: 403, body: NOT_ACTIVE });
  });

  it('answers User Not Active when the linked Instacart account is deactivated', async () => {
    await t.linkUser('u', DEMO_IDS.basic);
    t.emulator.updateInstacartUser(DEMO_IDS.basic, { active: false });
    expect(await getLink('u')).toMatchObject({ status: 403, body: NOT_ACTIVE });
  });

  it('shows a customer-service unlink as User Not Linked', async () => {
    await t.linkUser('u', DEMO_IDS.plus);
    expect(t.emulator.unlink(DEMO_SEED.app.clientId, 'u')).toBe(true);
    expect(await getLink('u')).toMatchObject({ status: 400, body: NOT_LINKED });
  });

  it('finds user ids with spaces, slashes and non-ASCII characters when percent-encoded', async () => {
    for (const userId of ['a b', 'a/b', 'é-ü', '%41', 'x?y']) {
      expect((await createUser({ user_id: userId, first_name: 'A' })).status).toBe(200);
      expect(await getLink(userId)).toMatchObject({ status: 400, body: NOT_LINKED });
    }
  });

  it('scopes users to the application of the fulfillment token', async () => {
    await t.linkUser('shared-id', DEMO_IDS.plus);
    t.emulator.registerApp({
      clientId: 'other',
      clientSecret: 'other-secret',
      name: 'Other',
      redirectUris: ['http://localhost:9/cb'],
    });
    const other = { authorization: `Bearer ${await t.fulfillmentToken('other', 'other-secret')}` };
    expect(await getLink('shared-id', other)).toMatchObject({ status: 400, body: NOT_FOUND });
  });

  it('answers 401 without a token, with an unknown token, and with a linking token', async () => {
    const missing = await t.request('GET', '/v2/fulfillment/users/x/link');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { message: 'The access token is missing', code: null } });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="Instacart Connect"');
    const unknown = await getLink('x', { authorization: 'Bearer not-a-token' });
    expect(unknown).toMatchObject({
      status: 401,
      body: { error: { message: 'The access token is invalid', code: null } },
    });
    const malformed = await getLink('x', { authorization: `Basic ${token}` });
    expect(malformed.status).toBe(401);
    const linking = await t.linkingToken(DEMO_IDS.plus, token);
    const wrongKind = await getLink('x', { authorization: `Bearer ${linking}` });
    expect(wrongKind).toMatchObject({
      status: 401,
      body: { error: { message: 'The access token is not a fulfillment token', code: null } },
    });
  });
});

describe('POST /v2/fulfillment/users/{user_id}/link', () => {
  beforeEach(async () => {
    await createUser({ user_id: 'alex', first_name: 'Alex' });
  });

  it('links and answers {"success":true}; linking the same pair again succeeds', async () => {
    const linking = await t.linkingToken(DEMO_IDS.plus, token);
    expect(await postLink('alex', { linking_token: linking })).toMatchObject({
      status: 200,
      body: { success: true },
    });
    expect(await postLink('alex', { linking_token: linking })).toMatchObject({
      status: 200,
      body: { success: true },
    });
    const again = await t.linkingToken(DEMO_IDS.plus, token);
    expect(await postLink('alex', { linking_token: again })).toMatchObject({
      status: 200,
      body: { success: true },
    });
    expect(t.emulator.getLinks()).toEqual([
      expect.objectContaining({
        clientId: DEMO_SEED.app.clientId,
        userId: 'alex',
        instacartUserId: DEMO_IDS.plus,
      }),
    ]);
  });

  it('answers User Not Found for an unknown user', async () => {
    const linking = await t.linkingToken(DEMO_IDS.plus, token);
    expect(await postLink('nobody', { linking_token: linking })).toMatchObject({
      status: 400,
      body: NOT_FOUND,
    });
  });

  it("answers can't be blank for a missing, empty or null linking token", async () => {
    for (const body of [{}, { linking_token: '' }, { linking_token: null }]) {
      expect(await postLink('alex', body)).toMatchObject({ status: 400, body: BLANK_TOKEN });
    }
  });

  it('answers Linking token is invalid for garbage, wrong types, fulfillment tokens and revoked tokens', async () => {
    const revoked = await t.linkingToken(DEMO_IDS.plus, token);
    await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: DEMO_SEED.app.clientId, client_secret: DEMO_SEED.app.clientSecret, token: revoked },
    });
    for (const linking_token of ['garbage', 42, { nested: true }, token, revoked]) {
      expect(await postLink('alex', { linking_token })).toMatchObject({ status: 400, body: INVALID_TOKEN });
    }
  });

  it("refuses another application's linking token", async () => {
    t.emulator.registerApp({
      clientId: 'other',
      clientSecret: 'other-secret',
      name: 'Other',
      redirectUris: ['http://localhost:9/cb'],
    });
    const code = t.emulator.authorizeForTest({
      instacartUserId: DEMO_IDS.plus,
      clientId: 'other',
      redirectUri: 'http://localhost:9/cb',
    });
    const exchanged = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: 'other',
        client_secret: 'other-secret',
        code,
        redirect_uri: 'http://localhost:9/cb',
      },
    });
    expect(exchanged.status).toBe(200);
    expect(await postLink('alex', { linking_token: exchanged.body.access_token })).toMatchObject({
      status: 400,
      body: INVALID_TOKEN,
    });
  });

  it('refuses to link one Instacart account to a second user of the same application', async () => {
    await postLink('alex', { linking_token: await t.linkingToken(DEMO_IDS.plus, token) });
    await createUser({ user_id: 'blair', first_name: 'Blair' });
    const response = await postLink('blair', { linking_token: await t.linkingToken(DEMO_IDS.plus, token) });
    expect(response).toMatchObject({ status: 400, body: CONFLICT });
  });

  it('allows the same Instacart account in another application', async () => {
    await postLink('alex', { linking_token: await t.linkingToken(DEMO_IDS.plus, token) });
    t.emulator.registerApp({
      clientId: 'other',
      clientSecret: 'other-secret',
      name: 'Other',
      redirectUris: ['http://localhost:9/cb'],
    });
    const otherToken = await t.fulfillmentToken('other', 'other-secret');
    const otherAuth = { authorization: `Bearer ${otherToken}` };
    await createUser({ user_id: 'alex', first_name: 'Alex' }, otherAuth);
    const code = t.emulator.authorizeForTest({
      instacartUserId: DEMO_IDS.plus,
      clientId: 'other',
      redirectUri: 'http://localhost:9/cb',
    });
    const exchanged = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: 'other',
        client_secret: 'other-secret',
        code,
        redirect_uri: 'http://localhost:9/cb',
      },
    });
    expect(await postLink('alex', { linking_token: exchanged.body.access_token }, otherAuth)).toMatchObject({
      status: 200,
    });
  });

  it('answers User Not Active for a deactivated user', async () => {
    t.emulator.setConnectUserActive(DEMO_SEED.app.clientId, 'alex', false);
    const response = await postLink('alex', { linking_token: await t.linkingToken(DEMO_IDS.plus, token) });
    expect(response).toMatchObject({ status: 403, body: NOT_ACTIVE });
  });

  it('refuses malformed and oversized bodies in the Connect error shape', async () => {
    const malformed = await t.request('POST', '/v2/fulfillment/users/alex/link', {
      headers: auth,
      body: '{"linking_token"',
    });
    expect(malformed).toMatchObject({
      status: 400,
      body: { error: { message: 'Malformed JSON body', code: 1001 }, meta: { key: 'body' } },
    });
    const big = await t.request('POST', '/v2/fulfillment/users/alex/link', {
      headers: auth,
      body: { linking_token: 'x'.repeat(70_000) },
    });
    expect(big.status).toBe(413);
  });
});

describe('POST /v2/fulfillment/users', () => {
  it('creates a user and echoes it', async () => {
    const body = {
      user_id: 'u-1',
      first_name: 'Zoë',
      last_name: "O'Neil",
      phone_number: '+15145550123',
      locale: 'fr-CA',
    };
    const response = await createUser(body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(body);
  });

  it('echoes absent optional fields as null and ignores unknown ones', async () => {
    const response = await createUser({ user_id: 'u-2', first_name: 'Ann', favourite_colour: 'green' });
    expect(response.body).toEqual({
      user_id: 'u-2',
      first_name: 'Ann',
      last_name: null,
      phone_number: null,
      locale: null,
    });
  });

  it('answers User already exists for a taken user_id', async () => {
    await createUser({ user_id: 'dup', first_name: 'One' });
    const response = await createUser({ user_id: 'dup', first_name: 'Two' });
    expect(response).toMatchObject({
      status: 400,
      body: { error: { message: 'User already exists', code: 1001 }, meta: { key: 'user_id' } },
    });
  });

  it("answers can't be blank for a missing user_id or first_name", async () => {
    for (const [body, key] of [
      [{ first_name: 'A' }, 'user_id'],
      [{ user_id: '' }, 'user_id'],
      [{ user_id: 'x' }, 'first_name'],
      [{ user_id: 'x', first_name: '  ' }, 'first_name'],
    ] as const) {
      expect(await createUser(body)).toMatchObject({
        status: 400,
        body: { error: { message: "can't be blank", code: 1001 }, meta: { key } },
      });
    }
  });

  it('refuses each forbidden character in first_name and last_name', async () => {
    for (const char of ['/', ':', '<', '>', '$', '%', '?']) {
      const first = await createUser({ user_id: `f${char}`, first_name: `A${char}b` });
      expect(first).toMatchObject({
        status: 400,
        body: { error: { message: 'is invalid', code: 1001 }, meta: { key: 'first_name' } },
      });
      const last = await createUser({ user_id: `l${char}`, first_name: 'Ab', last_name: `C${char}` });
      expect(last).toMatchObject({ status: 400, body: { meta: { key: 'last_name' } } });
    }
  });

  it('refuses phone numbers that are not E.164 and values of the wrong type', async () => {
    for (const phone_number of ['5145550123', '+0123', '+1 514 555 0123', '+1234567890123456']) {
      expect(await createUser({ user_id: 'p', first_name: 'P', phone_number })).toMatchObject({
        status: 400,
        body: { meta: { key: 'phone_number' } },
      });
    }
    expect(await createUser({ user_id: 12, first_name: 'P' })).toMatchObject({
      status: 400,
      body: { error: { message: 'is invalid', code: 1001 }, meta: { key: 'user_id' } },
    });
    expect(await createUser({ user_id: 'q', first_name: ['P'] })).toMatchObject({
      status: 400,
      body: { meta: { key: 'first_name' } },
    });
  });

  it('needs a fulfillment token', async () => {
    expect(
      (await createUser({ user_id: 'x', first_name: 'X' }, { authorization: 'Bearer nope' })).status,
    ).toBe(401);
  });
});
