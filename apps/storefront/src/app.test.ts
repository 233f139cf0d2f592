import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLogger, createTestShop, type TestShop } from './test-support.js';

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

describe('response headers', () => {
  it('puts the security headers on pages, assets and error pages, with a new nonce each time', async () => {
    testShop = await createTestShop();
    const client = testShop.client();
    const { urls } = testShop.shop.assets;
    const nonces = new Set<string>();
    for (const path of ['/', '/signin', urls.css, urls.elements, '/no-such-page']) {
      const response = await client.get(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      nonces.add(nonce ?? '');
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    }
    expect(nonces.size).toBe(5);
  });

  it("keeps the linking API's own stricter headers", async () => {
    testShop = await createTestShop();
    const response = await testShop.client().get('/cartlink/status');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("gives the linking API's answers the rest of the page policy, HSTS over https included", async () => {
    testShop = await createTestShop({
      env: { PUBLIC_URL: 'https://shop.test', CONNECT_CLIENT_SECRET: 'cs_test_https_only_secret' },
    });
    const client = testShop.client();
    const refused = await client.get('/cartlink/status');
    await client.signIn('alex@example.com');
    const answered = await client.get('/cartlink/status');
    expect([refused.status, answered.status]).toEqual([401, 200]);
    for (const response of [refused, answered]) {
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
      );
    }
  });

  it('renders an error on a linking path as a page with its own nonce and the page headers', async () => {
    const memory = createMemoryLogger();
    testShop = await createTestShop({ deps: { logger: memory.logger } });
    const client = testShop.client();
    await client.signIn('alex@example.com');
    await sql`drop table cartlink_membership_verifications`.execute(testShop.shop.db);
    const response = await client.get('/cartlink/status', { accept: 'text/html' });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const nonce = /'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.text).not.toContain('undefined');
    // The status request failed once: one error logged, one request line, not a second run.
    const lines = memory.lines();
    expect(lines.filter((line) => line.msg === 'unhandled error')).toHaveLength(1);
    expect(
      lines
        .filter((line) => line.msg === 'request' && line.path === '/cartlink/status')
        .map((line) => line.status),
    ).toEqual([500]);
  });

  it('serves assets at hashed paths for a year, immutable', async () => {
    testShop = await createTestShop();
    const { urls } = testShop.shop.assets;
    expect(urls.elements).toMatch(/^\/assets\/cartlink-elements\.[0-9a-f]{12}\.js$/);
    expect(urls.css).toMatch(/^\/assets\/storefront\.[0-9a-f]{12}\.css$/);
    const client = testShop.client();
    const script = await client.get(urls.elements);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.text).toContain('cartlink-status');
    expect((await client.get(urls.css)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await client.get('/assets/cartlink-elements.000000000000.js')).status).toBe(404);
  });

  it('links no third-party resource from any page', async () => {
    testShop = await createTestShop();
    const client = testShop.client();
    await client.signIn('alex@example.com');
    for (const path of ['/', '/cart', '/checkout', '/orders', '/account/profile']) {
      const page = await client.get(path);
      const sources = [...page.text.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
      for (const source of sources) {
        // The emulator's links (manage, join, authorize) are navigations, not resources the page loads.
        if (source.startsWith('http://emulator.test/')) continue;
        expect(source.startsWith('/') || source.startsWith('#')).toBe(true);
      }
      // Inline scripts only with this response's CSP nonce (the profile page strips the callback).
      const nonce = /'nonce-([^']+)'/.exec(page.headers.get('content-security-policy') ?? '')?.[1];
      for (const [tag] of page.text.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)) {
        expect(nonce).toBeDefined();
        expect(tag).toBe(`<script nonce="${nonce}">`);
      }
    }
  });
});

describe('error pages', () => {
  it('answers an unknown path with a 404 page', async () => {
    testShop = await createTestShop();
    const response = await testShop.client().get('/no-such-page');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.text).toContain('<h1>Page not found</h1>');
  });

  it('logs an unexpected error and shows a friendly 500 page without the stack', async () => {
    const memory = createMemoryLogger();
    testShop = await createTestShop({ deps: { logger: memory.logger } });
    const client = testShop.client();
    await client.signIn('alex@example.com');
    await sql`drop table shop_order_items`.execute(testShop.shop.db);
    await sql`drop table shop_orders`.execute(testShop.shop.db);
    const response = await client.get('/orders');
    expect(response.status).toBe(500);
    expect(response.text).toContain('<h1>Something went wrong</h1>');
    expect(response.text).not.toContain('shop_orders');
    expect(response.text).not.toMatch(/\n\s+at /);
    const logged = memory.lines().find((line) => line.msg === 'unhandled error');
    expect(logged).toMatchObject({ level: 50, path: '/orders' });
    expect(JSON.stringify(logged)).toContain('shop_orders');
  });
});

describe('logging', () => {
  it('logs one line per request with the path but never the query, cookies, code or state', async () => {
    const memory = createMemoryLogger();
    testShop = await createTestShop({ deps: { logger: memory.logger } });
    const client = testShop.client();
    await client.signIn('alex@example.com');
    await client.get('/account/profile?code=secret-code-value&state=secret-state-value');
    const lines = memory.lines();
    const request = lines.find((line) => line.msg === 'request' && line.path === '/account/profile');
    expect(request).toMatchObject({ method: 'GET', status: 200 });
    expect(typeof request?.durationMs).toBe('number');
    const all = JSON.stringify(lines);
    expect(all).not.toContain('secret-code-value');
    expect(all).not.toContain('secret-state-value');
    expect(all).not.toContain(client.cookies.get('cm_session'));
  });

  it('logs one line for each status request, whatever its query, answered or refused', async () => {
    const memory = createMemoryLogger();
    testShop = await createTestShop({ deps: { logger: memory.logger } });
    const client = testShop.client();
    await client.get('/cartlink/status');
    await client.signIn('alex@example.com');
    await client.get('/cartlink/status?code=secret-code-value');
    const status = memory
      .lines()
      .filter((line) => line.msg === 'request' && line.path === '/cartlink/status');
    expect(status).toMatchObject([
      { method: 'GET', status: 401 },
      { method: 'GET', status: 200 },
    ]);
    expect(status.every((line) => typeof line.durationMs === 'number')).toBe(true);
    expect(JSON.stringify(memory.lines())).not.toContain('secret-code-value');
  });

  it('redacts secrets wherever they appear in a log object', () => {
    const memory = createMemoryLogger();
    memory.logger.info(
      {
        headers: { cookie: 'cm_session=abc', authorization: 'Bearer t0ken' },
        code: 'c0de',
        callback: { state: 'st4te', linking_token: 'l1nk' },
        nested: { deeper: { access_token: 'acc3ss' } },
      },
      'test',
    );
    const line = JSON.stringify(memory.lines()[0]);
    for (const secret of ['abc', 't0ken', 'c0de', 'st4te', 'l1nk', 'acc3ss'])
      expect(line).not.toContain(secret);
    expect(line).toContain('[Redacted]');
  });
});

describe('start-up', () => {
  it('seeds the demo accounts once, however often it starts on the same database', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'storefront-')), 'shop.db');
    const first = await createTestShop({ env: { DATABASE_URL: file } });
    await first.close();
    testShop = await createTestShop({ env: { DATABASE_URL: file } });
    const users = await testShop.shop.db
      .selectFrom('shop_users')
      .select(['email', 'first_name', 'role'])
      .orderBy('email')
      .execute();
    expect(users).toEqual([
      { email: 'admin@example.com', first_name: 'Admin', role: 'admin' },
      { email: 'alex@example.com', first_name: 'Alex', role: 'shopper' },
      { email: 'blair@example.com', first_name: 'Blair', role: 'shopper' },
      { email: 'casey@example.com', first_name: 'Casey', role: 'shopper' },
    ]);
    const hash = await testShop.shop.db.selectFrom('shop_users').select('password_hash').executeTakeFirst();
    expect(hash?.password_hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  });
});
