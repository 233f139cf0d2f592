/**
 * Response headers and cookies. Every route of the storefront is requested (pages, error pages, the
 * 404, assets, the `/cartlink/*` JSON, the CSV, redirects, refused posts) as a visitor, a shopper and
 * the admin, and the emulator's pages and token responses too; each response is checked for the
 * headers that protect it. A second storefront whose PUBLIC_URL is https runs in process (with an
 * in-process emulator) for HSTS and the `__Host-`/`Secure` cookie rules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, type Emulator } from '@cartlink/emulator';
import { createStorefront, parseEnv, type Storefront } from '@cartlink/storefront';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpE2eStack } from '../../testing/e2e-stack';
import { ShopClient, type ShopResponse } from '../../testing/shop-client';
import { addToCart, checkoutPage, placeOrder, startLink } from '../../testing/shop-steps';
import { authorizePath, emulatorFormFields, parseSetCookie } from './harness';

const stack = setUpE2eStack();

interface Seen {
  label: string;
  status: number;
  headers: Headers;
  body: string;
}

const shopResponses: Seen[] = [];
const emulatorPages: Seen[] = [];
const tokenResponses: Seen[] = [];

async function record(into: Seen[], label: string, response: Promise<ShopResponse>): Promise<Seen> {
  const answer = await response;
  const seen = { label, status: answer.status, headers: answer.headers, body: answer.text };
  into.push(seen);
  return seen;
}

/** The directives of a Content-Security-Policy, by name. */
function parseCsp(value: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (value ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/**
 * What every CSP here must say: nothing beyond the site itself by default (`default-src 'self'`, or the
 * stricter `'none'` of the JSON API), no plugins (`object-src 'none'`, directly or through a
 * `default-src 'none'`), no `<base>`, no framing.
 */
function cspProblems(value: string | null): string[] {
  if (value === null) return ['no Content-Security-Policy'];
  const csp = parseCsp(value);
  const problems: string[] = [];
  const defaults = csp.get('default-src');
  if (!(defaults?.length === 1 && (defaults[0] === "'self'" || defaults[0] === "'none'")))
    problems.push(`default-src ${defaults?.join(' ')}`);
  const objects = csp.get('object-src') ?? defaults;
  if (objects?.join(' ') !== "'none'") problems.push(`object-src ${objects?.join(' ')}`);
  if (csp.get('base-uri')?.join(' ') !== "'none'")
    problems.push(`base-uri ${csp.get('base-uri')?.join(' ')}`);
  if (csp.get('frame-ancestors')?.join(' ') !== "'none'")
    problems.push(`frame-ancestors ${csp.get('frame-ancestors')?.join(' ')}`);
  return problems;
}

beforeAll(async () => {
  const shop = (client: ShopClient, label: string, path: string, init?: RequestInit) =>
    record(shopResponses, label, client.request(path, init));

  // A visitor.
  const visitor = new ShopClient(stack.shopUrl);
  for (const path of [
    '/',
    '/signin',
    '/signin?next=%2Fcheckout',
    '/cart',
    '/checkout',
    '/orders',
    '/account/profile',
    '/account/profile?code=abc&state=def',
    '/admin/reconciliation',
    '/admin/reconciliation.csv',
    '/no-such-page',
    '/assets/missing.css',
    '/healthz',
    '/cartlink/status',
    '/cartlink/nothing',
    '/cartlink/link',
    ...stack.shop.storefront.assets.byPath.keys(),
  ])
    await shop(visitor, `visitor GET ${path}`, path);
  await record(
    shopResponses,
    'visitor POST /signin (wrong password)',
    visitor.signIn('alex@example.com', 'nope'),
  );
  await record(
    shopResponses,
    'visitor POST /signin (cross-origin)',
    visitor.postForm('/signin', { email: 'alex@example.com' }, { origin: 'http://evil.test' }),
  );
  await record(shopResponses, 'visitor POST /cartlink/verify', visitor.postJson('/cartlink/verify', {}));

  // A shopper with an order.
  const alex = await stack.signInClient('alex@example.com');
  await addToCart(alex, 'coffee');
  const placed = await placeOrder(alex, await checkoutPage(alex));
  const orderPath = placed.response.location ?? '/orders/none';
  for (const path of [
    '/',
    '/signin',
    '/cart',
    '/checkout',
    '/orders',
    orderPath,
    '/orders/no-such-order',
    '/account/profile',
    '/account/profile?code=abc&state=def&iss=x',
    '/admin/reconciliation',
    '/admin/reconciliation.csv',
    '/cartlink/status',
    '/no-such-page',
  ])
    await shop(alex, `shopper GET ${path}`, path);
  await record(shopResponses, 'shopper POST /cartlink/verify', alex.postJson('/cartlink/verify', {}));
  const { state } = await startLink(alex);
  await record(
    shopResponses,
    'shopper POST /cartlink/link (bad code)',
    alex.postJson('/cartlink/link', { code: 'x', state }),
  );
  await record(
    shopResponses,
    'shopper POST /cartlink/link (cross-origin)',
    alex.postJson('/cartlink/link', { code: 'x', state: 'y' }, { origin: 'http://evil.test' }),
  );
  await record(
    shopResponses,
    'shopper POST /cartlink/link (text/plain)',
    alex.request('/cartlink/link', {
      method: 'POST',
      headers: { origin: stack.shopUrl, 'content-type': 'text/plain' },
      body: '{}',
    }),
  );
  await record(
    shopResponses,
    'shopper POST /cartlink/link (malformed)',
    alex.postJson('/cartlink/link', { user_id: 'x' }),
  );
  await record(
    shopResponses,
    'shopper POST /cart/items (no token)',
    alex.postForm('/cart/items', { product_id: 'milk' }),
  );

  // The admin.
  const admin = await stack.signInClient('admin@example.com');
  for (const path of [
    '/admin/reconciliation',
    '/admin/reconciliation?from=nonsense',
    '/admin/reconciliation.csv',
    '/admin/reconciliation.csv?from=nonsense',
  ])
    await shop(admin, `admin GET ${path}`, path);

  // The emulator's pages, and its token endpoint.
  const instacart = new ShopClient(stack.emulatorUrl);
  const loginPage = await record(emulatorPages, 'emulator log-in page', instacart.get(authorizePath(stack)));
  await record(
    emulatorPages,
    'emulator error page (unknown client)',
    instacart.get(authorizePath(stack, { client_id: 'nobody' })),
  );
  await record(
    emulatorPages,
    'emulator error page (unregistered redirect)',
    instacart.get(authorizePath(stack, { redirect_uri: 'http://evil.test/cb' })),
  );
  const fields = emulatorFormFields(loginPage.body);
  await record(
    emulatorPages,
    'emulator log-in page (wrong password)',
    instacart.postForm('/oauth/login', { ...fields, email: 'plus@instacart.test', password: 'nope' }),
  );
  await instacart.postForm('/oauth/login', {
    ...fields,
    email: 'plus@instacart.test',
    password: 'instacart',
  });
  await record(emulatorPages, 'emulator consent page', instacart.get(authorizePath(stack)));
  for (const path of ['/store/account/instacart-plus', '/signup?next=%2Fstore', '/_emulator/'])
    await record(emulatorPages, `emulator GET ${path}`, instacart.get(path));

  // As a server calls it: no cookie, no Origin.
  const token = (body: Record<string, string>) =>
    new ShopClient(stack.emulatorUrl).postJson(
      '/v2/oauth/token',
      { client_id: stack.clientId, client_secret: stack.clientSecret, ...body },
      { origin: null },
    );
  await record(
    tokenResponses,
    'client_credentials',
    token({ grant_type: 'client_credentials', scope: 'connect:fulfillment' }),
  );
  await record(
    tokenResponses,
    'authorization_code (invalid code)',
    token({ grant_type: 'authorization_code', code: 'nope', redirect_uri: stack.redirectUri }),
  );
  await record(tokenResponses, 'unsupported grant', token({ grant_type: 'password' }));
});

describe('storefront response headers', () => {
  it('crawled pages, error pages, assets, redirects, JSON and the CSV', () => {
    const statuses = new Set(shopResponses.map((seen) => seen.status));
    for (const status of [200, 303, 400, 401, 403, 404, 405, 415]) expect(statuses).toContain(status);
    expect(shopResponses.some((seen) => seen.headers.get('content-type')?.startsWith('text/csv'))).toBe(true);
  });

  it("sends a Content-Security-Policy with default-src 'self', object-src/base-uri/frame-ancestors 'none' on every response", () => {
    const problems = shopResponses.flatMap((seen) =>
      cspProblems(seen.headers.get('content-security-policy')).map((problem) => `${seen.label}: ${problem}`),
    );
    expect(problems).toEqual([]);
    // HTML pages are held to 'self' exactly (the JSON API may be stricter with 'none').
    for (const seen of shopResponses.filter((s) => s.headers.get('content-type')?.startsWith('text/html'))) {
      expect(parseCsp(seen.headers.get('content-security-policy')).get('default-src'), seen.label).toEqual([
        "'self'",
      ]);
    }
  });

  it("gives every <script> the response's own nonce, a new one per response", () => {
    const nonces: string[] = [];
    let scripts = 0;
    for (const seen of shopResponses.filter((s) => s.headers.get('content-type')?.startsWith('text/html'))) {
      const scriptSources = parseCsp(seen.headers.get('content-security-policy')).get('script-src') ?? [];
      const nonce = scriptSources.find((source) => source.startsWith("'nonce-"))?.slice(7, -1);
      expect(nonce, `${seen.label}: script-src has a nonce`).toBeTruthy();
      expect(scriptSources, `${seen.label}: no unsafe-inline`).not.toContain("'unsafe-inline'");
      nonces.push(nonce ?? '');
      for (const tag of seen.body.matchAll(/<script\b[^>]*>/gi)) {
        scripts += 1;
        expect(/\snonce="([^"]*)"/.exec(tag[0])?.[1], `${seen.label}: ${tag[0]}`).toBe(nonce);
      }
    }
    expect(scripts, 'the profile page has scripts (inline and modules)').toBeGreaterThan(2);
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('sends X-Content-Type-Options: nosniff and Cross-Origin-Opener-Policy: same-origin on every response', () => {
    for (const seen of shopResponses) {
      expect(seen.headers.get('x-content-type-options'), seen.label).toBe('nosniff');
      expect(seen.headers.get('cross-origin-opener-policy'), seen.label).toBe('same-origin');
    }
  });

  it('sends Referrer-Policy: no-referrer on the profile page, strict-origin-when-cross-origin (or stricter) elsewhere', () => {
    const profile = shopResponses.filter(
      (seen) => seen.label.includes('GET /account/profile') && seen.status === 200,
    );
    expect(profile.length).toBeGreaterThanOrEqual(2);
    for (const seen of profile) expect(seen.headers.get('referrer-policy'), seen.label).toBe('no-referrer');
    for (const seen of shopResponses) {
      expect(['strict-origin-when-cross-origin', 'no-referrer'], seen.label).toContain(
        seen.headers.get('referrer-policy'),
      );
    }
  });

  it('sends Cache-Control: no-store on the profile page, the /cartlink/* endpoints, every page and the CSV', () => {
    // Pages (the profile page first of all) as served, not the redirects to sign-in; every answer of
    // the JSON endpoints, whatever its status.
    const mustNotStore = shopResponses.filter(
      (seen) =>
        seen.label.includes('/cartlink/') ||
        (seen.status !== 303 &&
          (seen.label.includes('.csv') || seen.headers.get('content-type')?.startsWith('text/html'))),
    );
    expect(
      mustNotStore.filter((seen) => seen.label.includes('/account/profile')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(mustNotStore.length).toBeGreaterThan(20);
    for (const seen of mustNotStore) {
      expect(seen.headers.get('cache-control') ?? '', seen.label).toMatch(/(^|,\s*)no-store(\s*,|$)/);
    }
  });
});

describe('emulator response headers', () => {
  it('sends the CSP, nosniff and Referrer-Policy: no-referrer on each of its pages', () => {
    expect(emulatorPages.length).toBeGreaterThanOrEqual(8);
    const problems: string[] = [];
    for (const seen of emulatorPages) {
      expect(seen.headers.get('content-type'), seen.label).toMatch(/^text\/html/);
      for (const problem of cspProblems(seen.headers.get('content-security-policy')))
        problems.push(`${seen.label}: ${problem}`);
      if (seen.headers.get('x-content-type-options') !== 'nosniff') problems.push(`${seen.label}: nosniff`);
      if (seen.headers.get('referrer-policy') !== 'no-referrer')
        problems.push(`${seen.label}: referrer-policy`);
    }
    expect(problems).toEqual([]);
  });

  it('sends Cross-Origin-Opener-Policy: same-origin on each of its pages', () => {
    const missing = emulatorPages
      .filter((seen) => seen.headers.get('cross-origin-opener-policy') !== 'same-origin')
      .map((seen) => `${seen.label}: ${seen.headers.get('cross-origin-opener-policy')}`);
    expect(missing).toEqual([]);
  });

  it('sends Cache-Control: no-store (and nosniff) on every token response', () => {
    expect(tokenResponses.map((seen) => seen.status)).toEqual([200, 400, 400]);
    for (const seen of tokenResponses) {
      expect(seen.headers.get('cache-control'), seen.label).toBe('no-store');
      expect(seen.headers.get('x-content-type-options'), seen.label).toBe('nosniff');
    }
  });
});

describe('cookies over http', () => {
  it('flags the session cookie HttpOnly, SameSite=Lax, Path=/ without Domain; rotates it at sign-in; clears it at sign-out', async () => {
    const client = new ShopClient(stack.shopUrl);
    const form = await client.get('/signin');
    const visitorCookie = parseSetCookie(form.setCookies[0] ?? '');
    expect(visitorCookie.name).toBe('cm_session');
    const check = (cookie: typeof visitorCookie) => {
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('lax');
      expect(cookie.attributes.get('path')).toBe('/');
      expect(cookie.attributes.has('domain')).toBe(false);
    };
    check(visitorCookie);

    await client.post('/signin', { email: 'blair@example.com', password: 'cartlink-demo' });
    const signedIn = client.cookies.get('cm_session') ?? '';
    expect(signedIn).not.toBe('');
    expect(signedIn, 'a new session id at sign-in').not.toBe(visitorCookie.value);
    check(parseSetCookie(client.setCookies.at(-1) ?? ''));
    // The pre-sign-in id (which a fixation attack could have planted) is worth nothing now.
    const probe = (value: string) =>
      new ShopClient(stack.shopUrl).get('/cart', { cookie: `cm_session=${value}` });
    const planted = await probe(visitorCookie.value);
    expect(planted.status).toBe(303);
    expect(planted.location).toMatch(/^\/signin/);
    expect((await client.get('/cart')).status).toBe(200);

    await client.get('/cart');
    const signOut = await client.post('/signout');
    expect(signOut.status).toBe(303);
    const cleared = parseSetCookie(signOut.setCookies[0] ?? '');
    expect(cleared.name).toBe('cm_session');
    expect(cleared.value).toBe('');
    expect(
      cleared.attributes.get('max-age') === '0' ||
        Date.parse(cleared.attributes.get('expires') ?? '') < Date.now(),
    ).toBe(true);
    const afterSignOut = await probe(signedIn);
    expect(afterSignOut.status, 'the signed-out session is gone on the server too').toBe(303);
  });

  it("flags the emulator's session cookie HttpOnly, SameSite=Lax, Path=/; rotates it at log-in and log-out", async () => {
    const client = new ShopClient(stack.emulatorUrl);
    const authorize = authorizePath(stack);
    const page = await client.get(authorize);
    const first = parseSetCookie(page.setCookies[0] ?? '');
    expect(first.name).toBe('instacart_emulator_session');
    const check = (cookie: typeof first) => {
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('lax');
      expect(cookie.attributes.get('path')).toBe('/');
      expect(cookie.attributes.has('domain')).toBe(false);
    };
    check(first);
    const login = await client.postForm('/oauth/login', {
      ...emulatorFormFields(page.text),
      email: 'plus@instacart.test',
      password: 'instacart',
    });
    expect(login.status).toBe(303);
    const loggedIn = parseSetCookie(login.setCookies[0] ?? '');
    check(loggedIn);
    expect(loggedIn.value, 'a new session id at log-in').not.toBe(first.value);
    // Probed with a separate client, so that the answer's new cookie does not replace this one's.
    const probe = (value: string) =>
      new ShopClient(stack.emulatorUrl).get(authorize, { cookie: `instacart_emulator_session=${value}` });
    const planted = await probe(first.value);
    expect(planted.text).not.toContain('Authorization Required');

    const consent = (await client.get(authorize)).text;
    expect(consent).toContain('Authorization Required');
    const logout = await client.postForm('/oauth/logout', emulatorFormFields(consent));
    expect(logout.status).toBe(303);
    const loggedOut = parseSetCookie(logout.setCookies[0] ?? '');
    check(loggedOut);
    expect(loggedOut.value).not.toBe(loggedIn.value);
    const stale = await probe(loggedIn.value);
    expect(stale.text, 'the logged-out session no longer consents').not.toContain('Authorization Required');
  });
});

describe('over https', () => {
  const origin = 'https://shop.test';
  const emulatorOrigin = 'https://emulator.test';
  let directory: string;
  let emulator: Emulator;
  let shop: Storefront;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'cartlink-security-https-'));
    emulator = createEmulator({ seed: 'demo', issuer: emulatorOrigin });
    const elements = [...stack.shop.storefront.assets.byPath.values()].find((asset) =>
      asset.path.includes('cartlink-elements'),
    );
    shop = await createStorefront(
      parseEnv({
        PUBLIC_URL: origin,
        DATABASE_URL: join(directory, 'storefront.db'),
        CONNECT_BASE_URL: emulatorOrigin,
        CONNECT_AUTH_URL: `${emulatorOrigin}/oauth/authorize`,
        CONNECT_CLIENT_SECRET: 'https-client-secret',
        INSTACART_WEB_URL: emulatorOrigin,
        LOG_LEVEL: 'silent',
      }),
      {
        fetch: (input, init) => emulator.fetch(new Request(input, init)),
        ...(elements ? { elementsBundle: { code: elements.body } } : {}),
      },
    );
    emulator.registerApp({
      clientId: 'cartlink-demo',
      clientSecret: 'https-client-secret',
      name: 'Corner Market',
      redirectUris: [`${origin}/account/profile`],
    });
  });

  let closed = false;
  afterAll(async () => {
    if (!closed) await shop?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('sends Strict-Transport-Security on every response of an https shop', async () => {
    const client = new ShopClient(origin, { send: (request) => shop.fetch(request) });
    const seen: Seen[] = [];
    for (const path of [
      '/',
      '/signin',
      '/account/profile',
      '/cartlink/status',
      '/no-such-page',
      '/healthz',
      ...shop.assets.byPath.keys(),
    ])
      await record(seen, `visitor GET ${path}`, client.get(path));
    expect((await client.signIn('alex@example.com')).status).toBe(303);
    for (const path of [
      '/',
      '/account/profile',
      '/account/profile?code=a&state=b',
      '/cartlink/status',
      '/checkout',
      '/signin',
    ])
      await record(seen, `shopper GET ${path}`, client.get(path));
    await record(seen, 'shopper POST /cartlink/verify', client.postJson('/cartlink/verify', {}));
    await record(
      seen,
      'shopper POST /cartlink/link (cross-origin)',
      client.postJson('/cartlink/link', {}, { origin: 'http://shop.test' }),
    );
    for (const response of seen) {
      const hsts = response.headers.get('strict-transport-security') ?? '';
      expect(
        Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0),
        `${response.label}: ${hsts}`,
      ).toBeGreaterThanOrEqual(31_536_000);
      expect(cspProblems(response.headers.get('content-security-policy')), response.label).toEqual([]);
    }
  });

  it('names the session cookie __Host- and flags it Secure, HttpOnly, SameSite=Lax, Path=/; rotates it; clears it', async () => {
    const client = new ShopClient(origin, { send: (request) => shop.fetch(request) });
    const form = await client.get('/signin');
    const visitor = parseSetCookie(form.setCookies[0] ?? '');
    const check = (cookie: typeof visitor) => {
      expect(cookie.name).toBe('__Host-cm_session');
      expect(cookie.attributes.has('secure')).toBe(true);
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('lax');
      expect(cookie.attributes.get('path')).toBe('/');
      expect(cookie.attributes.has('domain')).toBe(false);
    };
    check(visitor);
    const signIn = await client.post('/signin', { email: 'alex@example.com', password: 'cartlink-demo' });
    expect(signIn.status).toBe(303);
    const rotated = parseSetCookie(signIn.setCookies[0] ?? '');
    check(rotated);
    expect(rotated.value).not.toBe(visitor.value);
    await client.get('/cart');
    const signOut = await client.post('/signout');
    const cleared = parseSetCookie(signOut.setCookies[0] ?? '');
    check(cleared);
    expect(cleared.value).toBe('');
    expect(cleared.attributes.get('max-age')).toBe('0');
  });

  it("names the emulator's session cookie __Host- and flags it Secure over https", async () => {
    const client = new ShopClient(emulatorOrigin, { send: (request) => emulator.fetch(request) });
    const page = await client.get(
      authorizePath({ clientId: 'cartlink-demo', redirectUri: `${origin}/account/profile` }),
    );
    expect(page.status).toBe(200);
    const cookie = parseSetCookie(page.setCookies[0] ?? '');
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('domain')).toBe(false);
    expect(cookie.name).toBe('__Host-instacart_emulator_session');
  });

  // Last in this block: it closes the shop's database to make every page fail.
  it('keeps the headers on the 500 error page (the database gone)', async () => {
    // Signed in, so that every request needs the database for its session.
    const client = new ShopClient(origin, { send: (request) => shop.fetch(request) });
    expect((await client.signIn('blair@example.com')).status).toBe(303);
    await shop.close();
    closed = true;
    const seen: Seen[] = [];
    for (const path of ['/', '/account/profile', '/healthz', '/cartlink/status'])
      await record(seen, `GET ${path} without a database`, client.get(path));
    expect(seen.map((response) => response.status)).toEqual([500, 500, 500, 500]);
    for (const response of seen) {
      expect(cspProblems(response.headers.get('content-security-policy')), response.label).toEqual([]);
      expect(response.headers.get('x-content-type-options'), response.label).toBe('nosniff');
      expect(response.headers.get('cross-origin-opener-policy'), response.label).toBe('same-origin');
      expect(response.headers.get('strict-transport-security'), response.label).toMatch(/max-age=\d+/);
      expect(response.body, `${response.label}: no stack trace`).not.toMatch(/\n\s+at |Error:|sqlite/i);
    }
  });
});
