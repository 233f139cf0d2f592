import { describe, expect, it } from 'vitest';
import { RequestLog, redactPath } from './request-log.js';
import { DEMO_SEED } from './seed.js';
import { BASE, createTestEmulator, DEMO_IDS } from './test-support/harness.js';

describe('redactPath', () => {
  it('keeps known routes, ids included', () => {
    expect(redactPath('/v2/fulfillment/users/1990ad78-9f7a-4302-95cb-f70fe03b6b04/link')).toBe(
      '/v2/fulfillment/users/1990ad78-9f7a-4302-95cb-f70fe03b6b04/link',
    );
    expect(redactPath('/v2/oauth/token')).toBe('/v2/oauth/token');
  });

  it('redacts every unknown segment of an unknown path', () => {
    expect(redactPath('/v2/oauth/token/s3cr3t')).toBe('/v2/oauth/token/:redacted');
    expect(redactPath('/cartlink-demo-secret/instacart')).toBe('/:redacted/:redacted');
    expect(redactPath('/v2/fulfillment/users/abc/link/extra')).toBe(
      '/v2/fulfillment/users/:redacted/link/:redacted',
    );
  });
});

describe('RequestLog', () => {
  it('keeps the newest entries up to its capacity', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 5; i++) {
      log.add({
        at: new Date(i * 1000),
        method: 'get',
        pathname: '/signup',
        status: 200 + i,
        durationMs: 1.234,
      });
    }
    expect(log.list().map((entry) => entry.status)).toEqual([202, 203, 204]);
    expect(log.list()[0]).toEqual({
      at: '1970-01-01T00:00:02.000Z',
      method: 'GET',
      path: '/signup',
      status: 202,
      duration_ms: 1.2,
    });
  });
});

describe('the request log of a busy emulator', () => {
  it('holds no client secret, code, state, token or password', async () => {
    const t = createTestEmulator();
    const { clientId, clientSecret, redirectUri } = DEMO_SEED.app;
    const state = 'state-Zq9xY2-unique';
    const password = 'Pw-7ShouldNeverLeak';
    t.emulator.createInstacartUser({ email: 'leak@instacart.test', password, instacartplusMember: false });

    const fulfillment = await t.fulfillmentToken();
    const code = t.emulator.authorizeForTest({ instacartUserId: DEMO_IDS.plus, clientId, redirectUri });
    const secrets = [clientSecret, state, password, fulfillment, code];
    // Secrets in query strings, bodies, headers and even in mistyped paths.
    await t.fetch(`${BASE}/v2/oauth/token?client_id=${clientId}&client_secret=${clientSecret}`, {
      method: 'POST',
    });
    await t.fetch(`${BASE}/v2/oauth/token/${clientSecret}`, { method: 'POST' });
    await t.fetch(`${BASE}/${password}`);
    const exchanged = await t.request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: clientSecret,
        code,
        redirect_uri: redirectUri,
      },
    });
    const linking = String(exchanged.body.access_token);
    secrets.push(linking);
    await t.request('POST', '/v2/oauth/token/revoke', {
      body: { client_id: clientId, client_secret: clientSecret, token: linking },
    });
    await t.request('GET', '/v2/fulfillment/users/u/link', {
      headers: { authorization: `Bearer ${fulfillment}` },
    });
    await t.request('GET', `/v2/fulfillment/users/u/link?access_token=${fulfillment}`);
    const page = await t.fetch(
      `${BASE}/oauth/authorize?response_type=code&client_id=${clientId}&scope=account_linking&state=${state}&redirect_uri=${encodeURIComponent(redirectUri)}`,
    );
    const html = await page.text();
    const cookie = page.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    await t.fetch(`${BASE}/oauth/login?state=${state}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({
        csrf_token: /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '',
        authorization_id: /name="authorization_id" value="([^"]+)"/.exec(html)?.[1] ?? '',
        email: 'leak@instacart.test',
        password,
      }).toString(),
    });

    const log = JSON.stringify(t.emulator.getRequests());
    expect(t.emulator.getRequests().length).toBeGreaterThanOrEqual(9);
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toContain('?');
    expect(log).not.toContain('client_secret');
    expect(log).toContain('/oauth/login');
  });
});
