import type { IncomingMessage } from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { isAdminRequestAllowed, isLoopbackAddress } from '../admin-guard.js';
import { createEmulator } from '../emulator.js';
import { DEMO_SEED } from '../seed.js';
import { BASE, createTestEmulator, DEMO_IDS, type TestEmulator } from '../test-support/harness.js';

let t: TestEmulator;
beforeEach(() => {
  t = createTestEmulator();
});

/** An admin call as a script sends it: JSON content type on every call that changes state. */
const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  t.request(method, `/_emulator/${path}`, {
    headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body }),
  });

async function linkStatus(userId: string) {
  const token = await t.fulfillmentToken();
  return t.request('GET', `/v2/fulfillment/users/${userId}/link`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

describe('POST /_emulator/reset', () => {
  it('returns to the seeded state with real time and no faults', async () => {
    await t.linkUser('someone', DEMO_IDS.plus);
    await admin('POST', 'instacart-users', {
      email: 'x@instacart.test',
      password: 'pw',
      instacartplus_member: false,
    });
    await admin('POST', 'clock', { advance_seconds: 86_400 * 10 });
    await admin('POST', 'faults', { path: '/v2/oauth/token', status: 500 });
    await admin('PATCH', 'settings', { require_pkce: true });
    const response = await admin('POST', 'reset');
    expect(response.status).toBe(204);
    const state = await admin('GET', 'state');
    expect(state.body.links).toEqual([]);
    expect(state.body.connect_users).toEqual([]);
    expect((state.body.instacart_users as unknown[]).length).toBe(3);
    expect(Math.abs(Date.parse(String((await admin('GET', 'clock')).body.now)) - Date.now())).toBeLessThan(
      5_000,
    );
    expect((await admin('GET', 'faults')).body).toEqual([]);
    expect((await admin('GET', 'settings')).body).toEqual({
      issuer_param: false,
      require_pkce: false,
      latency_ms: 0,
    });
    expect(
      (
        await t.request('POST', '/v2/oauth/token', {
          body: {
            grant_type: 'client_credentials',
            client_id: DEMO_SEED.app.clientId,
            client_secret: DEMO_SEED.app.clientSecret,
            scope: 'connect:fulfillment',
          },
        })
      ).status,
    ).toBe(200);
  });
});

describe('GET /_emulator/state', () => {
  it('lists apps, Instacart users, Connect users and links without any secret', async () => {
    const fulfillment = await t.linkUser('alex', DEMO_IDS.plus);
    await admin('POST', 'instacart-users', {
      email: 'pw@instacart.test',
      password: 'Sup3r-Secret-Pw',
      instacartplus_member: false,
    });
    const response = await admin('GET', 'state');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['apps', 'connect_users', 'instacart_users', 'links']);
    expect(response.body.apps).toEqual([
      {
        client_id: DEMO_SEED.app.clientId,
        retailer_id: 'corner-market',
        status: 'enabled',
        name: 'Corner Market',
        redirect_uris: [DEMO_SEED.app.redirectUri],
        scopes: ['connect:fulfillment', 'account_linking'],
      },
    ]);
    expect(response.body.instacart_users).toContainEqual(
      expect.objectContaining({
        id: 2,
        email: DEMO_SEED.users.basic,
        instacartplus_member: false,
        expired_at: null,
        active: true,
      }),
    );
    expect(response.body.links).toEqual([
      {
        retailer_id: 'corner-market',
        client_id: DEMO_SEED.app.clientId,
        user_id: 'alex',
        instacart_user_id: 1,
        linked_at: expect.stringMatching(/Z$/),
      },
    ]);
    for (const secret of [
      DEMO_SEED.app.clientSecret,
      'scrypt$',
      'Sup3r-Secret-Pw',
      fulfillment,
      'password',
      'token',
    ]) {
      expect(response.text).not.toContain(secret);
    }
  });
});

describe('instacart-users', () => {
  it('POST creates an account (201 {id}) that can be linked; a taken email is 409', async () => {
    const created = await admin('POST', 'instacart-users', {
      email: 'new@instacart.test',
      password: 'pw-123',
      instacartplus_member: true,
      expired_at: '2099-01-02T03:04:05Z',
    });
    expect(created).toMatchObject({ status: 201, body: { id: 4 } });
    await t.linkUser('n', 4);
    expect((await linkStatus('n')).body).toEqual({
      instacartplus_member: true,
      express_member: true,
      expired_at: '2099-01-02T03:04:05Z',
    });
    const again = await admin('POST', 'instacart-users', {
      email: 'NEW@instacart.test',
      password: 'x',
      instacartplus_member: false,
    });
    expect(again.status).toBe(409);
  });

  it('POST validates its body', async () => {
    for (const body of [
      { email: 'a@b.test', password: 'x' },
      { email: 'nope', password: 'x', instacartplus_member: false },
      { email: 'a@b.test', password: 'x', instacartplus_member: false, expired_at: 'tomorrow' },
      { email: 'a@b.test', password: 'x', instacartplus_member: false, unknown: 1 },
    ]) {
      const response = await admin('POST', 'instacart-users', body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 1001 }, meta: { key: expect.any(String) } });
    }
    expect((await admin('POST', 'instacart-users', '{oops')).status).toBe(400);
  });

  it('PATCH changes membership and activity and answers the user', async () => {
    await t.linkUser('p', DEMO_IDS.plus);
    const lapsed = await admin('PATCH', `instacart-users/${DEMO_IDS.plus}`, {
      expired_at: '2000-01-01T00:00:00Z',
    });
    expect(lapsed).toMatchObject({
      status: 200,
      body: { id: 1, instacartplus_member: true, expired_at: '2000-01-01T00:00:00Z' },
    });
    expect((await linkStatus('p')).body.instacartplus_member).toBe(false);

    const renewed = await admin('PATCH', `instacart-users/${DEMO_IDS.plus}`, { instacartplus_member: true });
    expect(Date.parse(String(renewed.body.expired_at))).toBeGreaterThan(Date.now());
    expect((await linkStatus('p')).body.instacartplus_member).toBe(true);

    const cancelled = await admin('PATCH', `instacart-users/${DEMO_IDS.plus}`, {
      instacartplus_member: false,
    });
    expect(cancelled.body.instacartplus_member).toBe(false);
    expect((await linkStatus('p')).body).toMatchObject({
      instacartplus_member: false,
      expired_at: expect.any(String),
    });

    const off = await admin('PATCH', `instacart-users/${DEMO_IDS.plus}`, { active: false });
    expect(off.body.active).toBe(false);
    expect((await linkStatus('p')).status).toBe(403);
  });

  it('takes expired_at as a date or relative to the emulator clock (extension)', async () => {
    await admin('POST', 'clock', { now: '2030-01-01T00:00:00Z' });
    const relative = await admin('POST', 'instacart-users', {
      email: 'relative@instacart.test',
      password: 'pw',
      instacartplus_member: true,
      expired_at: '+30d',
    });
    const dated = await admin('POST', 'instacart-users', {
      email: 'dated@instacart.test',
      password: 'pw',
      instacartplus_member: true,
      expired_at: '2031-02-03',
    });
    const lapsed = await admin('PATCH', `instacart-users/${relative.body.id}`, { expired_at: '-2h' });
    expect(lapsed.body.expired_at).toBe('2029-12-31T22:00:00Z');
    const users = (await admin('GET', 'state')).body.instacart_users as { id: number; expired_at: string }[];
    expect(users.find((user) => user.id === dated.body.id)?.expired_at).toBe('2031-02-03T00:00:00Z');
    expect(
      (await admin('PATCH', `instacart-users/${relative.body.id}`, { expired_at: '+30 days' })).body,
    ).toMatchObject({
      error: { code: 1001 },
      meta: { key: 'expired_at' },
    });
  });

  it('PATCH answers 404 for an unknown account and 400 for a bad body', async () => {
    expect((await admin('PATCH', 'instacart-users/99', { active: false })).status).toBe(404);
    expect((await admin('PATCH', 'instacart-users/abc', { active: false })).status).toBe(404);
    expect((await admin('PATCH', 'instacart-users/1', { active: 'no' })).status).toBe(400);
  });
});

describe('DELETE /_emulator/links/{user_id}', () => {
  it('unlinks (204), then answers 404', async () => {
    await t.linkUser('u', DEMO_IDS.plus);
    expect((await admin('DELETE', 'links/u')).status).toBe(204);
    expect((await linkStatus('u')).body).toEqual({
      error: { message: 'User Not Linked', code: 1001 },
      meta: { key: 'user_id' },
    });
    expect((await admin('DELETE', 'links/u')).status).toBe(404);
  });

  it('needs ?client_id= when the user id is linked in several applications', async () => {
    await t.linkUser('same', DEMO_IDS.plus);
    t.emulator.registerApp({
      clientId: 'other',
      clientSecret: 'other-secret',
      name: 'Other',
      redirectUris: ['http://localhost:9/cb'],
    });
    const otherToken = await t.fulfillmentToken('other', 'other-secret');
    const auth = { authorization: `Bearer ${otherToken}` };
    await t.request('POST', '/v2/fulfillment/users', {
      headers: auth,
      body: { user_id: 'same', first_name: 'S' },
    });
    const code = t.emulator.authorizeForTest({
      instacartUserId: DEMO_IDS.basic,
      clientId: 'other',
      redirectUri: 'http://localhost:9/cb',
    });
    const linking = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: 'other',
        client_secret: 'other-secret',
        code,
        redirect_uri: 'http://localhost:9/cb',
      },
    });
    await t.request('POST', '/v2/fulfillment/users/same/link', {
      headers: auth,
      body: { linking_token: linking.body.access_token },
    });
    expect((await admin('DELETE', 'links/same')).status).toBe(409);
    expect((await admin('DELETE', 'links/same?client_id=other')).status).toBe(204);
    expect(t.emulator.getLinks().map((link) => link.clientId)).toEqual([DEMO_SEED.app.clientId]);
  });
});

describe('PATCH /_emulator/connect-users/{user_id}', () => {
  it('deactivates a user (200 the user) so that the status call answers User Not Active', async () => {
    await t.linkUser('c', DEMO_IDS.plus);
    const response = await admin('PATCH', 'connect-users/c', { active: false });
    expect(response).toMatchObject({
      status: 200,
      body: { user_id: 'c', client_id: DEMO_SEED.app.clientId, active: false },
    });
    expect(await linkStatus('c')).toMatchObject({
      status: 403,
      body: { error: { message: 'User Not Active', code: null } },
    });
    await admin('PATCH', 'connect-users/c', { active: true });
    expect((await linkStatus('c')).status).toBe(200);
  });

  it('answers 404 for an unknown user and 400 for a bad body', async () => {
    expect((await admin('PATCH', 'connect-users/ghost', { active: false })).status).toBe(404);
    expect((await admin('PATCH', 'connect-users/ghost', {})).status).toBe(400);
  });
});

describe('faults, clock, requests, settings', () => {
  it('POST faults answers 201 {id}, GET lists, DELETE clears (204); bad faults are 400', async () => {
    const created = await admin('POST', 'faults', {
      method: 'GET',
      path: '/v2/fulfillment/users/*/link',
      status: 503,
      times: 3,
    });
    expect(created).toMatchObject({ status: 201, body: { id: expect.any(String) } });
    expect((await admin('GET', 'faults')).body).toEqual([
      expect.objectContaining({
        id: created.body.id,
        path: '/v2/fulfillment/users/*/link',
        status: 503,
        times: 3,
        hits: 0,
      }),
    ]);
    expect((await admin('DELETE', 'faults')).status).toBe(204);
    expect((await admin('GET', 'faults')).body).toEqual([]);
    expect((await admin('POST', 'faults', { path: '/x' })).status).toBe(400);
  });

  it('POST clock advances or sets the emulator time', async () => {
    const advanced = await admin('POST', 'clock', { advance_seconds: 3600 });
    expect(advanced.status).toBe(200);
    expect(Math.abs(Date.parse(String(advanced.body.now)) - (Date.now() + 3_600_000))).toBeLessThan(5_000);
    const set = await admin('POST', 'clock', { now: '2030-05-06T07:08:09Z' });
    expect(Math.abs(Date.parse(String(set.body.now)) - Date.parse('2030-05-06T07:08:09Z'))).toBeLessThan(
      5_000,
    );
    for (const body of [
      {},
      { advance_seconds: 'soon' },
      { now: 'tomorrow' },
      { now: '2030-01-01T00:00:00Z', advance_seconds: 1 },
    ]) {
      expect((await admin('POST', 'clock', body)).status).toBe(400);
    }
  });

  it('GET requests lists Connect calls (not admin calls) with their fields', async () => {
    await t.fulfillmentToken();
    await admin('GET', 'state');
    const response = await admin('GET', 'requests');
    expect(response.status).toBe(200);
    const entries = response.body as unknown as { path: string }[];
    expect(entries).toEqual([
      {
        at: expect.stringMatching(/Z$/),
        method: 'POST',
        path: '/v2/oauth/token',
        status: 200,
        duration_ms: expect.any(Number),
      },
    ]);
    expect((await admin('DELETE', 'requests')).status).toBe(204);
    expect((await admin('GET', 'requests')).body).toEqual([]);
  });

  it('keeps only the last 1000 requests', async () => {
    for (let i = 0; i < 1005; i++) await t.emulator.fetch(`${BASE}/signup`);
    const entries = t.emulator.getRequests();
    expect(entries).toHaveLength(1000);
  });

  it('PATCH settings changes and answers the settings; bad values are 400', async () => {
    const response = await admin('PATCH', 'settings', {
      issuer_param: true,
      require_pkce: true,
      latency_ms: 0,
    });
    expect(response).toMatchObject({
      status: 200,
      body: { issuer_param: true, require_pkce: true, latency_ms: 0 },
    });
    expect((await admin('GET', 'settings')).body).toEqual({
      issuer_param: true,
      require_pkce: true,
      latency_ms: 0,
    });
    expect((await admin('PATCH', 'settings', { issuer_param: 'yes' })).status).toBe(400);
    expect((await admin('PATCH', 'settings', { latency_ms: -1 })).status).toBe(400);
    expect((await admin('PATCH', 'settings', { something: true })).status).toBe(400);
  });
});

describe('POST /_emulator/apps (extension)', () => {
  it('registers an application (201), replaces it (200), and refuses bad redirect URIs', async () => {
    const app = {
      client_id: 'shop-2',
      client_secret: 'shop-2-secret',
      name: 'Shop Two',
      redirect_uris: ['http://127.0.0.1:5555/cb'],
    };
    expect(await admin('POST', 'apps', app)).toMatchObject({
      status: 201,
      body: { client_id: 'shop-2', name: 'Shop Two' },
    });
    expect((await admin('POST', 'apps', { ...app, name: 'Shop 2' })).status).toBe(200);
    expect((await t.fulfillmentToken('shop-2', 'shop-2-secret')).length).toBeGreaterThan(0);
    for (const redirect_uris of [[], ['/relative'], ['http://x.test/cb#frag'], ['javascript:alert(1)']]) {
      expect((await admin('POST', 'apps', { ...app, redirect_uris })).status).toBe(400);
    }
    const page = await t.request(
      'GET',
      `/oauth/authorize?response_type=code&client_id=shop-2&scope=account_linking&redirect_uri=${encodeURIComponent('http://127.0.0.1:5555/cb')}`,
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain('Shop 2');
  });
});

describe('admin pages and documents', () => {
  it('serves the OpenAPI document', async () => {
    const response = await admin('GET', 'openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(Object.keys(response.body.paths as object)).toContain('/v2/fulfillment/users/{user_id}/link');
  });

  it('serves an HTML overview with the page headers, escaping what it shows', async () => {
    await admin('POST', 'apps', {
      client_id: 'x',
      client_secret: 'y',
      name: '<img src=x onerror=alert(1)>',
      redirect_uris: ['http://localhost:1/cb'],
    });
    await t.fulfillmentToken();
    const response = await t.request('GET', '/_emulator/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.text).toContain(DEMO_SEED.users.plus);
    expect(response.text).toContain('/v2/oauth/token');
    expect(response.text).not.toContain('<img src=x');
    expect(response.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('the admin guard', () => {
  it('recognises loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(address)).toBe(true);
    for (const address of ['10.0.0.1', '192.168.1.10', '::ffff:10.0.0.1', '2001:db8::1', '128.0.0.1']) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });

  it('lets in loopback, in-process and admin-token callers only', () => {
    const remote = { inProcess: false, address: '203.0.113.9' };
    expect(isAdminRequestAllowed({ peer: remote, authorization: undefined, adminToken: undefined })).toBe(
      false,
    );
    expect(
      isAdminRequestAllowed({
        peer: remote,
        authorization: 'Bearer t0ken-t0ken-t0ken',
        adminToken: undefined,
      }),
    ).toBe(false);
    expect(
      isAdminRequestAllowed({ peer: remote, authorization: 'Bearer wrong', adminToken: 't0ken-t0ken-t0ken' }),
    ).toBe(false);
    expect(
      isAdminRequestAllowed({
        peer: remote,
        authorization: 'Bearer t0ken-t0ken-t0ken',
        adminToken: 't0ken-t0ken-t0ken',
      }),
    ).toBe(true);
    expect(
      isAdminRequestAllowed({
        peer: { inProcess: false, address: '127.0.0.1' },
        authorization: undefined,
        adminToken: 'x',
      }),
    ).toBe(true);
    expect(
      isAdminRequestAllowed({
        peer: { inProcess: true, address: undefined },
        authorization: undefined,
        adminToken: undefined,
      }),
    ).toBe(true);
    expect(
      isAdminRequestAllowed({
        peer: { inProcess: false, address: undefined },
        authorization: undefined,
        adminToken: undefined,
      }),
    ).toBe(false);
  });

  it('guards every admin route of the app for a non-loopback socket', async () => {
    const emulator = createEmulator({ adminToken: 'a-long-admin-token-value' });
    const remoteEnv = (address: string) => ({
      incoming: {
        headers: { host: 'localhost:4010' },
        socket: { remoteAddress: address, remotePort: 50000, remoteFamily: 'IPv4' },
      } as unknown as IncomingMessage,
    });
    const denied = await emulator.app.request('/_emulator/state', {}, remoteEnv('203.0.113.9'));
    expect(denied.status).toBe(403);
    expect(
      (
        await emulator.app.request(
          '/_emulator/reset',
          { method: 'POST', headers: { 'content-type': 'application/json' } },
          remoteEnv('203.0.113.9'),
        )
      ).status,
    ).toBe(403);
    expect((await emulator.app.request('/_emulator/', {}, remoteEnv('203.0.113.9'))).status).toBe(403);
    const withToken = await emulator.app.request(
      '/_emulator/state',
      { headers: { authorization: 'Bearer a-long-admin-token-value' } },
      remoteEnv('203.0.113.9'),
    );
    expect(withToken.status).toBe(200);
    expect((await emulator.app.request('/_emulator/state', {}, remoteEnv('127.0.0.1'))).status).toBe(200);
    // Connect routes are for everyone.
    expect((await emulator.app.request('/signup', {}, remoteEnv('203.0.113.9'))).status).toBe(200);
  });
});

describe('the admin token and the Host check', () => {
  const env = (address: string, host: string) => ({
    incoming: {
      headers: { host },
      socket: { remoteAddress: address, remotePort: 50000, remoteFamily: 'IPv4' },
    } as unknown as IncomingMessage,
  });
  const token = { authorization: 'Bearer a-long-admin-token-value' };

  it('lets a token holder in only under an allowed Host', async () => {
    const emulator = createEmulator({
      adminToken: 'a-long-admin-token-value',
      publicHosts: ['emulator.example.test'],
    });
    const state = (host: string) =>
      emulator.app.request('/_emulator/state', { headers: token }, env('203.0.113.9', host));
    expect((await state('emulator.example.test:4010')).status).toBe(200);
    expect((await state('rebind.attacker.test:4010')).status).toBe(421);
    expect((await state('localhost:4010')).status).toBe(200);
  });

  it('answers the issuer host without configuration, and refuses a request over a socket without Host', async () => {
    const emulator = createEmulator({ issuer: 'https://ic-emulator.example.test' });
    const socketOnly = {
      incoming: {
        headers: {},
        socket: { remoteAddress: '127.0.0.1', remotePort: 50000, remoteFamily: 'IPv4' },
      } as unknown as IncomingMessage,
    };
    expect(
      (
        await emulator.app.request(
          'http://ic-emulator.example.test/_emulator/state',
          {},
          env('127.0.0.1', 'ic-emulator.example.test'),
        )
      ).status,
    ).toBe(200);
    expect((await emulator.app.request('/_emulator/state', {}, socketOnly)).status).toBe(421);
  });
});

describe('state-changing admin calls from a page of another site', () => {
  /** Every admin route that changes state, with its parameters filled in. */
  function writeRoutes(): Array<{ method: string; path: string }> {
    const seen = new Set<string>();
    return t.emulator.app.routes
      .filter(
        (route) => route.path.startsWith('/_emulator') && route.method !== 'GET' && route.method !== 'ALL',
      )
      .map((route) => ({ method: route.method, path: route.path.replace(/:[a-z_]+/g, '1') }))
      .filter((route) => {
        const key = `${route.method} ${route.path}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  }

  async function instacartUserCount(): Promise<number> {
    return ((await admin('GET', 'state')).body.instacart_users as unknown[]).length;
  }

  it('refuses the auto-submitted empty form post to reset (415), and nothing is reset', async () => {
    await admin('POST', 'instacart-users', {
      email: 'kept@instacart.test',
      password: 'pw',
      instacartplus_member: false,
    });
    const before = await instacartUserCount();
    const attack = await t.request('POST', '/_emulator/reset', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(attack.status).toBe(415);
    expect(await instacartUserCount()).toBe(before);
  });

  it('refuses every state-changing route without Content-Type: application/json (415)', async () => {
    const routes = writeRoutes();
    expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(
      expect.arrayContaining([
        'POST /_emulator/reset',
        'DELETE /_emulator/faults',
        'PATCH /_emulator/settings',
      ]),
    );
    for (const route of routes) {
      for (const type of [
        undefined,
        'application/x-www-form-urlencoded',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
      ]) {
        const answer = await t.request(route.method, route.path, {
          headers: type === undefined ? {} : { 'content-type': type },
          ...(type === undefined ? {} : { body: '{}' }),
        });
        expect(answer.status, `${route.method} ${route.path} with ${type}`).toBe(415);
      }
    }
    expect(await instacartUserCount()).toBe(3);
  });

  it('refuses a foreign Origin, Origin null, and cross-site or same-site Fetch Metadata (403)', async () => {
    const refusals: Array<Record<string, string>> = [
      { origin: 'http://attacker.test' },
      { origin: 'null' },
      { origin: 'http://localhost:3000' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const route of writeRoutes()) {
      for (const headers of refusals) {
        const answer = await admin(route.method, route.path.slice('/_emulator/'.length), undefined, headers);
        expect(answer.status, `${route.method} ${route.path} ${JSON.stringify(headers)}`).toBe(403);
      }
    }
  });

  it('accepts its own origin, same-origin or direct Fetch Metadata, and an empty body or {} where none is taken', async () => {
    const accepted: Array<Record<string, string>> = [
      {},
      { origin: BASE },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
    ];
    for (const headers of accepted) {
      expect((await admin('POST', 'reset', undefined, headers)).status).toBe(204);
    }
    expect((await admin('POST', 'reset', {})).status).toBe(204);
    expect(
      (await admin('POST', 'reset', undefined, { 'content-type': 'application/json; charset=UTF-8' })).status,
    ).toBe(204);
    expect((await admin('DELETE', 'faults', {})).status).toBe(204);
    expect((await admin('POST', 'reset', { seed: 'empty' })).status).toBe(400);
  });
});
