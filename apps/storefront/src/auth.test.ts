import { afterEach, describe, expect, it } from 'vitest';
import { hashSessionId } from './sessions.js';
import { createTestShop, type TestShop } from './test-support.js';

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

async function start(env: Record<string, string> = {}, now?: () => Date): Promise<TestShop> {
  testShop = await createTestShop({ env, ...(now ? { deps: { now } } : {}) });
  return testShop;
}

function attributes(setCookie: string): string[] {
  return setCookie.split(';').map((part) => part.trim());
}

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/ and not Secure over http', async () => {
    const { client } = await start();
    const page = await client().get('/signin');
    expect(page.setCookies).toHaveLength(1);
    const cookie = attributes(page.setCookies[0] ?? '');
    expect(cookie[0]).toMatch(/^cm_session=[A-Za-z0-9_-]{43}$/);
    expect(cookie).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    expect(cookie).not.toContain('Secure');
    expect(cookie.some((part) => /^Domain=/i.test(part))).toBe(false);
  });

  it('takes the __Host- prefix and Secure when PUBLIC_URL is https, and HSTS is sent', async () => {
    const { client } = await start({
      PUBLIC_URL: 'https://shop.test',
      CONNECT_CLIENT_SECRET: 'cartlink-demo-secret',
    });
    const page = await client().get('/signin');
    const cookie = attributes(page.setCookies[0] ?? '');
    expect(cookie[0]).toMatch(/^__Host-cm_session=/);
    expect(cookie).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/', 'Secure']));
    expect(page.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });

  it('sends no HSTS over http', async () => {
    const { client } = await start();
    expect((await client().get('/')).headers.get('strict-transport-security')).toBeNull();
  });

  it('stores only a digest of the session id', async () => {
    const shop = await start();
    const client = shop.client();
    await client.get('/signin');
    const id = client.cookies.get('cm_session') ?? '';
    const rows = await shop.shop.db.selectFrom('shop_sessions').select('id_hash').execute();
    expect(rows.map((row) => row.id_hash)).toEqual([hashSessionId(id)]);
    expect(rows[0]?.id_hash).not.toBe(id);
  });
});

describe('sign-in', () => {
  it('rotates the session id and binds the new session to the shopper', async () => {
    const shop = await start();
    const client = shop.client();
    await client.get('/signin');
    const before = client.cookies.get('cm_session');
    const response = await client.post('/signin', { email: 'alex@example.com', password: 'cartlink-demo' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const after = client.cookies.get('cm_session');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    // The pre-sign-in session is gone: replaying its cookie is a visitor again.
    const old = await shop
      .client()
      .request('/account/profile', { headers: { cookie: `cm_session=${before}` } });
    expect(old.status).toBe(303);
    expect(old.headers.get('location')).toBe('/signin?next=%2Faccount%2Fprofile');
    const profile = await client.get('/account/profile');
    expect(profile.status).toBe(200);
    expect(profile.text).toContain('alex@example.com');
    expect(profile.text).toContain('<button type="submit" class="button button-quiet">Sign out</button>');
  });

  it('accepts the email in any case', async () => {
    const { client } = await start();
    expect((await client().signIn('ALEX@Example.com')).status).toBe(303);
  });

  it('honours a same-origin next and ignores a hostile one', async () => {
    const shop = await start();
    const good = await shop.client().signIn('alex@example.com', 'cartlink-demo', '/checkout');
    expect(good.headers.get('location')).toBe('/checkout');
    for (const next of ['//evil.example', '/\\evil.example', 'https:evil.example', 'javascript:alert(1)']) {
      const response = await shop.client().signIn('alex@example.com', 'cartlink-demo', next);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
    }
  });

  it('keeps next through the sign-in form', async () => {
    const { client } = await start();
    const page = await client().get('/signin?next=%2Fadmin%2Freconciliation');
    expect(page.text).toContain('<input type="hidden" name="next" value="/admin/reconciliation">');
    const hostile = await client().get('/signin?next=%2F%2Fevil.example');
    expect(hostile.text).not.toContain('evil.example');
  });

  it('answers a wrong password and an unknown email with the same generic message', async () => {
    const shop = await start();
    const wrong = await shop.client().signIn('alex@example.com', 'not-the-password');
    const unknown = await shop.client().signIn('nobody@example.com', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const message = (text: string) =>
      /<p class="flash flash-error" role="alert" id="signin-error">([^<]*)<\/p>/.exec(text)?.[1];
    expect(message(wrong.text)).toBeDefined();
    expect(message(wrong.text)).toBe(message(unknown.text));
    // No session is bound to anyone.
    const bound = await shop.shop.db
      .selectFrom('shop_sessions')
      .select('user_id')
      .where('user_id', 'is not', null)
      .execute();
    expect(bound).toEqual([]);
  });

  it('hashes a password for an unknown email too, so both failures take about as long', async () => {
    const shop = await start();
    const time = async (email: string) => {
      const client = shop.client();
      await client.get('/signin');
      const started = performance.now();
      await client.post('/signin', { email, password: 'not-the-password' });
      return performance.now() - started;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 5; round++) {
      known.push(await time('alex@example.com'));
      unknown.push(await time('nobody@example.com'));
    }
    // scrypt dominates both; without the dummy hash the unknown email would be an order of magnitude faster.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('refuses a post without or with a wrong CSRF token and shows a fresh form', async () => {
    const shop = await start();
    const client = shop.client();
    await client.get('/signin');
    const missing = await client.request('/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://shop.test' },
      body: 'email=alex%40example.com&password=cartlink-demo',
    });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('Your sign-in form expired');
    const wrong = await client.post('/signin', {
      email: 'alex@example.com',
      password: 'cartlink-demo',
      _csrf: 'x'.repeat(43),
    });
    expect(wrong.status).toBe(403);
    const bound = await shop.shop.db
      .selectFrom('shop_sessions')
      .select('user_id')
      .where('user_id', 'is not', null)
      .execute();
    expect(bound).toEqual([]);
  });

  it('refuses a form posted from another origin', async () => {
    const { client } = await start();
    const tab = client();
    await tab.get('/signin');
    const response = await tab.post(
      '/signin',
      { email: 'alex@example.com', password: 'cartlink-demo' },
      { origin: 'https://evil.example' },
    );
    expect(response.status).toBe(403);
    expect(response.text).not.toMatch(/at \w+ \(/);
  });

  it('verifies the Instacart+ membership with a fresh call', async () => {
    const shop = await start();
    const before = shop.emulator.getRequests().length;
    await shop.client().signIn('alex@example.com');
    const calls = shop.emulator.getRequests().slice(before);
    expect(
      calls.some((call) => call.method === 'GET' && /\/v2\/fulfillment\/users\/[^/]+\/link$/.test(call.path)),
    ).toBe(true);
    const stored = await shop.shop.linking.getVerification('5d1f0c3e-8a4b-4c6e-9f21-a1e0c0de0001', {
      fresh: false,
    });
    expect(stored.verification?.result).toBe('user-not-found');
  });

  it('signs the shopper in even when Instacart cannot be reached', async () => {
    const shop = await start();
    shop.emulator.addFault({ path: '/v2/*', drop: true });
    const response = await shop.client().signIn('alex@example.com');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
  });
});

describe('sign-out', () => {
  it('deletes the session and clears the cookie', async () => {
    const shop = await start();
    const client = shop.client();
    await client.signIn('alex@example.com');
    const cookie = client.cookies.get('cm_session');
    await client.get('/');
    const response = await client.post('/signout');
    expect(response.status).toBe(303);
    const cleared = attributes(response.setCookies[0] ?? '');
    expect(cleared[0]).toBe('cm_session=');
    expect(cleared).toEqual(expect.arrayContaining(['Max-Age=0', 'HttpOnly', 'Path=/']));
    expect(client.cookies.has('cm_session')).toBe(false);
    const rows = await shop.shop.db.selectFrom('shop_sessions').selectAll().execute();
    expect(rows).toEqual([]);
    const replay = await shop.client().request('/orders', { headers: { cookie: `cm_session=${cookie}` } });
    expect(replay.status).toBe(303);
  });

  it('refuses a sign-out without the CSRF token', async () => {
    const shop = await start();
    const client = shop.client();
    await client.signIn('alex@example.com');
    const response = await client.post('/signout', { _csrf: 'wrong' });
    expect(response.status).toBe(403);
    expect((await client.get('/orders')).status).toBe(200);
  });
});

describe('idle expiry', () => {
  it('ends a session unused for longer than SESSION_IDLE_SECONDS', async () => {
    let now = new Date('2025-06-01T10:00:00Z');
    const shop = await start({ SESSION_IDLE_SECONDS: '600' }, () => now);
    const client = shop.client();
    await client.signIn('alex@example.com');
    now = new Date(now.getTime() + 9 * 60_000);
    expect((await client.get('/orders')).status).toBe(200);
    // Use pushed the expiry forward: nine more minutes are still fine.
    now = new Date(now.getTime() + 9 * 60_000);
    expect((await client.get('/orders')).status).toBe(200);
    now = new Date(now.getTime() + 11 * 60_000);
    const expired = await client.get('/orders');
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/signin?next=%2Forders');
  });
});
