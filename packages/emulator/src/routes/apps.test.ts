/**
 * The application lifecycle of the Developer Dashboard (issue 14, docs/product.md "Applications and
 * rotation"): Connect users and links belong to the retailer, so a clone sees its original's; a
 * disabled application issues no token while its issued ones work until they expire; a delete waits
 * for the last of them; and each admin call is guarded like the rest of the admin API.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../seed.js';
import { BASE, createTestEmulator, DEMO_IDS, type TestEmulator } from '../test-support/harness.js';

const DEMO = { clientId: DEMO_SEED.app.clientId, clientSecret: DEMO_SEED.app.clientSecret };
const NEXT = { clientId: 'corner-market-next', clientSecret: 'next-secret' };
const OTHER = { clientId: 'other-shop', clientSecret: 'other-secret' };
const DAY_SECONDS = 86_400;
/** The emulator clock stands still unless moved, so expiry is exact and nothing depends on timing. */
const FROZEN = new Date('2026-06-01T12:00:00.000Z');

type Credentials = { clientId: string; clientSecret: string };

let t: TestEmulator;
beforeEach(() => {
  t = createTestEmulator({ now: () => FROZEN });
});

const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  t.request(method, `/_emulator/${path}`, {
    headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body }),
  });

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function clientCredentials(app: Credentials) {
  return t.request('POST', '/v2/oauth/token', {
    body: {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      scope: 'connect:fulfillment',
    },
  });
}

async function tokenOf(app: Credentials): Promise<string> {
  const response = await clientCredentials(app);
  expect(response.status).toBe(200);
  return String(response.body.access_token);
}

/** An authorization code for the demo redirect URI, as the consent page's Allow gives it. */
function codeFor(app: Credentials, instacartUserId: number): string {
  return t.emulator.authorizeForTest({
    instacartUserId,
    clientId: app.clientId,
    redirectUri: DEMO_SEED.app.redirectUri,
  });
}

function exchange(app: Credentials, code: string) {
  return t.request('POST', '/v2/oauth/token', {
    body: {
      grant_type: 'authorization_code',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      code,
      redirect_uri: DEMO_SEED.app.redirectUri,
    },
  });
}

async function linkingTokenOf(app: Credentials, instacartUserId: number): Promise<string> {
  const response = await exchange(app, codeFor(app, instacartUserId));
  expect(response.status).toBe(200);
  return String(response.body.access_token);
}

const createUser = (token: string, userId: string) =>
  t.request('POST', '/v2/fulfillment/users', {
    headers: bearer(token),
    body: { user_id: userId, first_name: 'Alex' },
  });

const linkStatus = (token: string, userId: string) =>
  t.request('GET', `/v2/fulfillment/users/${userId}/link`, { headers: bearer(token) });

const link = (token: string, userId: string, linkingToken: string) =>
  t.request('POST', `/v2/fulfillment/users/${userId}/link`, {
    headers: bearer(token),
    body: { linking_token: linkingToken },
  });

async function cloneDemo(
  body: Record<string, unknown> = { client_id: NEXT.clientId, client_secret: NEXT.clientSecret },
) {
  const response = await admin('POST', `apps/${DEMO.clientId}/clone`, body);
  expect(response.status).toBe(201);
  return response.body;
}

/** `GET apps`: the harness hands a JSON array over as the body itself. */
async function listApps(): Promise<Array<Record<string, unknown>>> {
  const response = await admin('GET', 'apps');
  expect(response.status).toBe(200);
  return response.body as unknown as Array<Record<string, unknown>>;
}

async function listed(clientId: string) {
  return (await listApps()).find((app) => app.client_id === clientId);
}

describe('GET /_emulator/apps', () => {
  it('lists each application with its retailer, status, scopes and live tokens, never a secret', async () => {
    expect(await listApps()).toEqual([
      {
        client_id: DEMO.clientId,
        retailer_id: 'corner-market',
        status: 'enabled',
        name: 'Corner Market',
        redirect_uris: [DEMO_SEED.app.redirectUri],
        scopes: ['connect:fulfillment', 'account_linking'],
        live_tokens: 0,
      },
    ]);
    const token = await tokenOf(DEMO);
    await linkingTokenOf(DEMO, DEMO_IDS.plus);
    const revoked = await tokenOf(DEMO);
    await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: DEMO.clientId, client_secret: DEMO.clientSecret, token: revoked },
    });
    // Two live (a fulfillment and a linking token), the revoked one not counted.
    expect((await listed(DEMO.clientId))?.live_tokens).toBe(2);
    const again = await admin('GET', 'apps');
    for (const secret of [DEMO.clientSecret, token]) expect(again.text).not.toContain(secret);
  });
});

describe('POST /_emulator/apps/{client_id}/clone', () => {
  it('makes an enabled application of the same retailer with new random credentials, same scopes and redirect URIs', async () => {
    const first = await cloneDemo({});
    const second = await cloneDemo({});
    expect(Object.keys(first).sort()).toEqual(
      ['client_id', 'client_secret', 'redirect_uris', 'retailer_id', 'scopes', 'status'].sort(),
    );
    expect(first).toMatchObject({
      retailer_id: 'corner-market',
      status: 'enabled',
      redirect_uris: [DEMO_SEED.app.redirectUri],
      scopes: ['connect:fulfillment', 'account_linking'],
    });
    for (const clone of [first, second]) {
      expect(clone.client_id).not.toBe(DEMO.clientId);
      expect(String(clone.client_secret).length).toBeGreaterThanOrEqual(32);
    }
    expect(second.client_id).not.toBe(first.client_id);
    expect(second.client_secret).not.toBe(first.client_secret);
    // The new credentials work, the original's secret does not open the clone.
    await tokenOf({ clientId: String(first.client_id), clientSecret: String(first.client_secret) });
    expect(
      (await clientCredentials({ clientId: String(first.client_id), clientSecret: DEMO.clientSecret }))
        .status,
    ).toBe(401);
    expect((await listed(String(first.client_id)))?.name).toBe('Corner Market');
  });

  it('takes the client id, secret and redirect URIs it is given, and keeps scopes narrower than all', async () => {
    await admin('POST', 'apps', {
      client_id: 'narrow',
      client_secret: 'narrow-secret',
      name: 'Narrow',
      redirect_uris: ['http://narrow.test/cb'],
      scopes: ['connect:fulfillment'],
    });
    const clone = await admin('POST', 'apps/narrow/clone', {
      client_id: 'narrow-2',
      client_secret: 'narrow-2-secret',
      redirect_uris: ['http://narrow.test/next'],
    });
    expect(clone).toMatchObject({
      status: 201,
      body: {
        client_id: 'narrow-2',
        client_secret: 'narrow-2-secret',
        retailer_id: 'narrow',
        status: 'enabled',
        redirect_uris: ['http://narrow.test/next'],
        scopes: ['connect:fulfillment'],
      },
    });
    // Without account_linking neither the original nor the clone may start an authorization.
    const page = await t.request(
      'GET',
      `/oauth/authorize?response_type=code&client_id=narrow-2&scope=account_linking&redirect_uri=${encodeURIComponent('http://narrow.test/next')}`,
    );
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toContain('error=invalid_scope');
  });

  it('refuses an unknown original (404), a taken client id (409) and a bad body (400)', async () => {
    expect((await admin('POST', 'apps/nobody/clone', {})).status).toBe(404);
    const taken = await admin('POST', `apps/${DEMO.clientId}/clone`, { client_id: DEMO.clientId });
    expect(taken).toMatchObject({ status: 409, body: { meta: { key: 'client_id' } } });
    for (const body of [
      { redirect_uris: [] },
      { redirect_uris: ['ftp://x.test/cb'] },
      { client_secret: '' },
      { name: 'renamed' },
    ]) {
      const refused = await admin('POST', `apps/${DEMO.clientId}/clone`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect(await listApps()).toHaveLength(1);
  });
});

describe('Connect users and links belong to the retailer', () => {
  it('a user created through the original is found through the clone, and a link made through either is seen by both', async () => {
    await cloneDemo();
    const original = await tokenOf(DEMO);
    const clone = await tokenOf(NEXT);

    expect((await createUser(original, 'alex')).status).toBe(200);
    // Found through the clone: not linked yet, rather than User Not Found.
    expect((await linkStatus(clone, 'alex')).body).toMatchObject({ error: { message: 'User Not Linked' } });
    expect((await createUser(clone, 'alex')).body).toMatchObject({
      error: { message: 'User already exists' },
    });

    expect((await link(clone, 'alex', await linkingTokenOf(NEXT, DEMO_IDS.plus))).status).toBe(200);
    expect((await linkStatus(original, 'alex')).body).toMatchObject({ instacartplus_member: true });

    expect((await createUser(clone, 'blair')).status).toBe(200);
    expect((await link(original, 'blair', await linkingTokenOf(DEMO, DEMO_IDS.basic))).status).toBe(200);
    expect((await linkStatus(clone, 'blair')).body).toMatchObject({ instacartplus_member: false });

    // One isolation context: the clone cannot link a second user to alex's Instacart account.
    expect((await createUser(clone, 'casey')).status).toBe(200);
    const conflict = await link(clone, 'casey', await linkingTokenOf(NEXT, DEMO_IDS.plus));
    expect(conflict.body).toMatchObject({ meta: { key: 'linking_token' } });
    expect(String((conflict.body.error as { message: string }).message)).toContain('isolation context');
  });

  it("takes a linking token of one application of the retailer with another's fulfillment token (a rotation mid-link)", async () => {
    await cloneDemo();
    const clone = await tokenOf(NEXT);
    expect((await createUser(clone, 'alex')).status).toBe(200);
    const issuedToOriginal = await linkingTokenOf(DEMO, DEMO_IDS.plus);
    expect((await link(clone, 'alex', issuedToOriginal)).status).toBe(200);
    expect(t.emulator.getLinks()).toEqual([
      {
        retailerId: 'corner-market',
        clientId: NEXT.clientId,
        userId: 'alex',
        instacartUserId: DEMO_IDS.plus,
        linkedAt: expect.any(Date),
      },
    ]);
  });

  it("keeps another retailer's users and linking tokens apart", async () => {
    await admin('POST', 'apps', {
      client_id: OTHER.clientId,
      client_secret: OTHER.clientSecret,
      name: 'Other Shop',
      redirect_uris: [DEMO_SEED.app.redirectUri],
    });
    const mine = await tokenOf(DEMO);
    const theirs = await tokenOf(OTHER);
    expect((await createUser(mine, 'alex')).status).toBe(200);
    expect((await linkStatus(theirs, 'alex')).body).toMatchObject({ error: { message: 'User Not Found' } });
    expect((await createUser(theirs, 'alex')).status).toBe(200);
    const refused = await link(theirs, 'alex', await linkingTokenOf(DEMO, DEMO_IDS.plus));
    expect(refused.body).toMatchObject({ error: { message: 'Linking token is invalid' } });
  });

  it("unlinks and deactivates through the admin API by any of the retailer's client ids, or its retailer id", async () => {
    await cloneDemo();
    await t.linkUser('alex', DEMO_IDS.plus);
    const state = await admin('GET', 'state');
    expect(state.body.connect_users).toEqual([
      expect.objectContaining({ retailer_id: 'corner-market', client_id: DEMO.clientId, user_id: 'alex' }),
    ]);
    const deactivated = await admin('PATCH', `connect-users/alex?client_id=${NEXT.clientId}`, {
      active: false,
    });
    expect(deactivated).toMatchObject({ status: 200, body: { active: false, retailer_id: 'corner-market' } });
    expect((await admin('DELETE', 'links/alex?client_id=nobody')).status).toBe(404);
    expect((await admin('DELETE', `links/alex?client_id=${NEXT.clientId}`)).status).toBe(204);
    await t.linkUser('blair', DEMO_IDS.basic);
    expect((await admin('DELETE', 'links/blair?retailer_id=corner-market')).status).toBe(204);
    expect(t.emulator.getLinks()).toEqual([]);
  });
});

describe('a disabled application', () => {
  it('gets 401 invalid_client for every grant, in the token endpoint JSON shape', async () => {
    const code = codeFor(DEMO, DEMO_IDS.plus);
    const disabled = await admin('POST', `apps/${DEMO.clientId}/disable`);
    expect(disabled).toMatchObject({ status: 200, body: { client_id: DEMO.clientId, status: 'disabled' } });
    expect(disabled.text).not.toContain(DEMO.clientSecret);

    for (const response of [await clientCredentials(DEMO), await exchange(DEMO, code)]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(Object.keys(response.body).sort()).toEqual(['error', 'error_description']);
      expect(response.body.error).toBe('invalid_client');
      expect(String(response.body.error_description)).toContain('disabled');
    }
    // A wrong secret still reads as any failed authentication, not as "disabled".
    const wrong = await clientCredentials({ clientId: DEMO.clientId, clientSecret: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(String(wrong.body.error_description)).not.toContain('disabled');
  });

  it('keeps its issued fulfillment token working until it expires, then 401 as for any expired token', async () => {
    const token = await tokenOf(DEMO);
    expect((await createUser(token, 'alex')).status).toBe(200);
    await admin('POST', `apps/${DEMO.clientId}/disable`);
    expect((await linkStatus(token, 'alex')).body).toMatchObject({ error: { message: 'User Not Linked' } });
    expect((await createUser(token, 'blair')).status).toBe(200);
    await admin('POST', 'clock', { advance_seconds: DAY_SECONDS - 60 });
    expect((await linkStatus(token, 'alex')).status).toBe(400);
    await admin('POST', 'clock', { advance_seconds: 61 });
    const expired = await linkStatus(token, 'alex');
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error: { message: 'The access token expired', code: null } });
  });

  it('gets no code from the sandbox authorize call, though its token still authenticates there', async () => {
    const token = await tokenOf(DEMO);
    await admin('POST', `apps/${DEMO.clientId}/disable`);
    const refused = await t.request(
      'POST',
      `/v2/fulfillment_sandbox/instacart_users/${DEMO_IDS.plus}/authorize`,
      {
        headers: bearer(token),
        body: { redirect_uri: DEMO_SEED.app.redirectUri, scope: 'account_linking' },
      },
    );
    expect(refused).toMatchObject({ status: 400, body: { meta: { key: 'client_id' } } });
    await admin('POST', `apps/${DEMO.clientId}/enable`);
    const allowed = await t.request(
      'POST',
      `/v2/fulfillment_sandbox/instacart_users/${DEMO_IDS.plus}/authorize`,
      {
        headers: bearer(token),
        body: { redirect_uri: DEMO_SEED.app.redirectUri, scope: 'account_linking' },
      },
    );
    expect(allowed).toMatchObject({ status: 200, body: { code: expect.any(String) } });
  });

  it('may still revoke its own token, and enabling it brings token issuance back', async () => {
    const token = await tokenOf(DEMO);
    await admin('POST', `apps/${DEMO.clientId}/disable`);
    const revoked = await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: DEMO.clientId, client_secret: DEMO.clientSecret, token },
    });
    expect(revoked).toMatchObject({ status: 200, body: {} });
    expect((await linkStatus(token, 'alex')).body).toEqual({
      error: { message: 'The access token was revoked', code: null },
    });
    const enabled = await admin('POST', `apps/${DEMO.clientId}/enable`);
    expect(enabled).toMatchObject({ status: 200, body: { status: 'enabled', live_tokens: 0 } });
    await tokenOf(DEMO);
    expect((await exchange(DEMO, codeFor(DEMO, DEMO_IDS.plus))).status).toBe(200);
  });

  it('gets an error page, never a redirect, from the authorization endpoint, and no code from Allow', async () => {
    const url = `/oauth/authorize?response_type=code&client_id=${DEMO.clientId}&scope=account_linking&state=s&redirect_uri=${encodeURIComponent(DEMO_SEED.app.redirectUri)}`;
    const before = await t.request('GET', url);
    expect(before.status).toBe(200);
    const cookie = String(before.headers.get('set-cookie')).split(';')[0] ?? '';
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(before.text)?.[1] ?? '';
    const loggedIn = await t.fetch(`${BASE}/oauth/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({
        csrf_token: field('csrf_token'),
        authorization_id: field('authorization_id'),
        email: DEMO_SEED.users.plus,
        password: DEMO_SEED.password,
      }).toString(),
    });
    expect(loggedIn.status).toBe(303);
    const session = String(loggedIn.headers.get('set-cookie')).split(';')[0] ?? '';
    const consent = await t.request('GET', url, { headers: { cookie: session } });
    expect(consent.text).toContain('Authorization Required');
    const consentField = (name: string) =>
      new RegExp(`name="${name}" value="([^"]*)"`).exec(consent.text)?.[1] ?? '';

    await admin('POST', `apps/${DEMO.clientId}/disable`);
    const allow = await t.fetch(`${BASE}/oauth/decision`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session },
      body: new URLSearchParams({
        csrf_token: consentField('csrf_token'),
        authorization_id: consentField('authorization_id'),
        decision: 'allow',
      }).toString(),
    });
    expect(allow.status).toBe(400);
    expect(allow.headers.get('location')).toBeNull();
    expect(await allow.text()).toContain('is disabled');

    const page = await t.request('GET', url, { headers: { cookie: session } });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('is disabled');
    const refused = await admin('POST', 'authorizations', {
      instacart_user_id: DEMO_IDS.plus,
      client_id: DEMO.clientId,
      redirect_uri: DEMO_SEED.app.redirectUri,
    });
    expect(refused).toMatchObject({ status: 400, body: { meta: { key: 'client_id' } } });
  });
});

describe('revocation across the applications of one retailer', () => {
  it("refuses app B's revocation of app A's token with 403 unauthorized_client, and the token keeps working", async () => {
    await cloneDemo();
    const token = await tokenOf(DEMO);
    const refused = await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: NEXT.clientId, client_secret: NEXT.clientSecret, token },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('unauthorized_client');
    expect((await createUser(token, 'alex')).status).toBe(200);
  });
});

describe('DELETE /_emulator/apps/{client_id}', () => {
  it('is refused with 409 while a token lives and accepted once the clock passes the last expiry', async () => {
    await cloneDemo();
    await tokenOf(DEMO);
    await admin('POST', 'clock', { advance_seconds: 3600 });
    const last = await tokenOf(DEMO);
    await admin('POST', `apps/${DEMO.clientId}/disable`);
    const now = Date.parse(String((await admin('GET', 'clock')).body.now));

    const refused = await admin('DELETE', `apps/${DEMO.clientId}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'app_has_live_tokens',
      live_tokens: 2,
      last_expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const lastExpiry = Date.parse(String(refused.body.last_expires_at));
    expect(lastExpiry - now).toBeGreaterThan((DAY_SECONDS - 60) * 1000);
    expect(lastExpiry - now).toBeLessThanOrEqual(DAY_SECONDS * 1000);
    expect(await listed(DEMO.clientId)).toBeDefined();

    await admin('POST', 'clock', { advance_seconds: Math.ceil((lastExpiry - now) / 1000) - 1 });
    expect((await admin('DELETE', `apps/${DEMO.clientId}`)).body).toMatchObject({ live_tokens: 1 });
    await admin('POST', 'clock', { advance_seconds: 1 });
    expect((await admin('DELETE', `apps/${DEMO.clientId}`)).status).toBe(204);

    expect(await listed(DEMO.clientId)).toBeUndefined();
    const state = await admin('GET', 'state');
    expect((state.body.apps as Array<{ client_id: string }>).map((app) => app.client_id)).toEqual([
      NEXT.clientId,
    ]);
    expect((await clientCredentials(DEMO)).status).toBe(401);
    expect((await linkStatus(last, 'alex')).status).toBe(401);
    expect((await admin('DELETE', `apps/${DEMO.clientId}`)).status).toBe(404);
  });

  it("keeps the retailer's Connect users and links for its other applications", async () => {
    await cloneDemo();
    await t.linkUser('alex', DEMO_IDS.plus);
    await admin('POST', 'clock', { advance_seconds: DAY_SECONDS + 1 });
    expect((await admin('DELETE', `apps/${DEMO.clientId}`)).status).toBe(204);
    expect((await linkStatus(await tokenOf(NEXT), 'alex')).body).toMatchObject({
      instacartplus_member: true,
    });
  });

  it('is 204 at once for an application that never issued a token, and 404 for an unknown one', async () => {
    await cloneDemo();
    expect((await admin('DELETE', `apps/${NEXT.clientId}`)).status).toBe(204);
    expect((await admin('DELETE', 'apps/nobody')).status).toBe(404);
    expect((await admin('POST', 'apps/nobody/disable')).status).toBe(404);
    expect((await admin('POST', 'apps/nobody/enable')).status).toBe(404);
  });
});

describe('the lifecycle calls are guarded like every admin call', () => {
  it('refuses a foreign Origin (403) and a form content type (415), and changes nothing', async () => {
    const calls: Array<[string, string]> = [
      ['POST', `apps/${DEMO.clientId}/clone`],
      ['POST', `apps/${DEMO.clientId}/disable`],
      ['POST', `apps/${DEMO.clientId}/enable`],
      ['DELETE', `apps/${DEMO.clientId}`],
    ];
    for (const [method, path] of calls) {
      const foreign = await admin(method, path, {}, { origin: 'http://attacker.test' });
      expect(foreign.status, `${method} ${path}`).toBe(403);
      const form = await t.request(method, `/_emulator/${path}`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(form.status, `${method} ${path}`).toBe(415);
    }
    expect(await listApps()).toEqual([
      expect.objectContaining({ client_id: DEMO.clientId, status: 'enabled' }),
    ]);
  });

  it('refuses a body on disable, enable and delete', async () => {
    for (const [method, path] of [
      ['POST', `apps/${DEMO.clientId}/disable`],
      ['POST', `apps/${DEMO.clientId}/enable`],
      ['DELETE', `apps/${DEMO.clientId}`],
    ] as const) {
      expect((await admin(method, path, { status: 'disabled' })).status).toBe(400);
    }
    expect((await listed(DEMO.clientId))?.status).toBe('enabled');
  });
});

describe('the admin page', () => {
  it('lists the applications with retailer, status and live tokens', async () => {
    await cloneDemo();
    await tokenOf(NEXT);
    await admin('POST', `apps/${DEMO.clientId}/disable`);
    const page = await t.request('GET', '/_emulator');
    expect(page.status).toBe(200);
    const row = (clientId: string) =>
      new RegExp(`<tr data-client-id="${clientId}" data-status="([a-z]+)">(.*?)</tr>`).exec(page.text);
    expect(row(DEMO.clientId)?.[1]).toBe('disabled');
    expect(row(NEXT.clientId)?.[1]).toBe('enabled');
    expect(row(NEXT.clientId)?.[2]).toContain('<td>1</td>');
    expect(row(NEXT.clientId)?.[2]).toContain('corner-market');
    expect(page.text).not.toContain(NEXT.clientSecret);
  });
});
