import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ShopClient, unescapeHtml } from '../../../testing/shop-client';
import { signInRedirectTarget } from './http.js';
import { safeNextPath } from './security.js';
import { createTestShop, TEST_ORIGIN, type TestShop } from './test-support.js';

/**
 * `next` values (as the server receives them, after the query string or form is decoded) that must
 * all send the shopper to `/`: each resolves, is read, or could be read by some hop as another origin.
 */
const OFF_SITE = [
  // The three: dot segments that the URL parser collapses into `//host`.
  '/.//evil.example/x',
  '/x/..//evil.example',
  '/%2e%2e//evil.example',
  // More dot segments, plain and percent-encoded, single and double.
  '/..//evil.example',
  '/../..//evil.example',
  '/././/evil.example',
  '/x/y/../..//evil.example',
  '/x/./..//evil.example',
  '/%2e//evil.example',
  '/%2E%2E//evil.example',
  '/.%2e//evil.example',
  '/%2e.//evil.example',
  '/x/%2e%2e//evil.example',
  '/%252e%252e//evil.example',
  '/x/%252e%252e/%252fevil.example',
  // Scheme-relative and extra slashes.
  '//evil.example',
  '//evil.example/x',
  '///evil.example',
  '////evil.example',
  '/ /evil.example',
  // Encoded slashes and backslashes, single and double.
  '/%2f/evil.example',
  '/%2F%2Fevil.example',
  '%2F%2Fevil.example',
  '/%2f%2fevil.example',
  '/%252f%252fevil.example',
  '/%5cevil.example',
  '/%5C%5Cevil.example',
  '%5C%5Cevil.example',
  '/%255cevil.example',
  // Backslashes, which browsers read as slashes.
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '\\/evil.example',
  '/.\\/evil.example',
  '/..\\evil.example',
  '/\\@evil.example',
  // Tabs, newlines and other controls, which browsers strip from URLs, raw and encoded.
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r/evil.example',
  '\t//evil.example',
  '/\t\t/evil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%0D/evil.example',
  '/%00/evil.example',
  '/\u0000/evil.example',
  '/\u007f/evil.example',
  ' //evil.example',
  ' /account/profile',
  // Path parameters: `/;/host` is `//host` to servers that drop them.
  '/;/evil.example',
  '/;//evil.example',
  '/.;//evil.example',
  '/x;/..//evil.example',
  // Userinfo.
  '//user:pass@evil.example',
  '//shop.test@evil.example',
  'http://shop.test@evil.example',
  '/@evil.example',
  '/%40evil.example',
  // Absolute URLs and other schemes.
  'https://evil.example',
  'HTTPS://evil.example',
  'https:evil.example',
  'https:/evil.example',
  'http:\\\\evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  '\u0000javascript:alert(1)',
  'data:text/html,hi',
  'evil.example',
  '.evil.example',
  // Look-alike slashes, which some hops fold to `/`.
  '/\uff0f/evil.example',
  '\uff0f\uff0fevil.example',
  '/\u2215/evil.example',
  '',
  `/${'a'.repeat(3000)}`,
];

/** Same-origin paths the shop's own pages send, which must survive untouched. */
const ON_SITE = [
  '/',
  '/checkout',
  '/cart',
  '/account/profile',
  '/orders/CM-0A1B2C3D4E5F',
  '/admin/reconciliation?from=2025-01-01&to=2025-01-31',
  '/orders#latest',
];

describe('safeNextPath', () => {
  it.each(OFF_SITE)('sends %j to /', (value) => {
    expect(safeNextPath(value)).toBe('/');
  });

  it.each(ON_SITE)('keeps %j', (value) => {
    expect(safeNextPath(value)).toBe(value);
  });

  it('answers with a path a browser resolves to the shop, for every off-site value', () => {
    for (const value of OFF_SITE) {
      const result = safeNextPath(value);
      expect(new URL(result, 'https://shop.example').origin).toBe('https://shop.example');
    }
  });
});

describe('signInRedirectTarget', () => {
  it('carries the page as next when it is a shop path, and nothing off-site', () => {
    expect(signInRedirectTarget(new URL('http://shop.test/checkout?x=1'))).toBe(
      `/signin?next=${encodeURIComponent('/checkout?x=1')}`,
    );
    expect(signInRedirectTarget(new URL('http://shop.test/orders/%2F%2Fevil.example'))).toBe('/signin');
    expect(signInRedirectTarget(new URL('http://shop.test/.//evil.example/x'))).toBe('/signin');
  });
});

describe('the sign-in redirect over HTTP', () => {
  let testShop: TestShop;

  beforeAll(async () => {
    // Many sign-ins of one account: the throttle (tested on its own) would refuse them after ten.
    testShop = await createTestShop({
      env: { SIGNIN_ACCOUNT_LIMIT: '100000', SIGNIN_ADDRESS_LIMIT: '100000' },
    });
  });

  afterAll(async () => {
    await testShop.close();
  });

  /** The hidden `next` field of a sign-in page, decoded, or undefined when it has none. */
  function hiddenNext(page: string): string | undefined {
    const value = /<input type="hidden" name="next" value="([^"]*)">/.exec(page)?.[1];
    return value === undefined ? undefined : unescapeHtml(value);
  }

  /** Where a browser goes with this `Location`, resolved against the shop. */
  function landing(location: string | null): URL {
    return new URL(location ?? '', TEST_ORIGIN);
  }

  async function signedIn(): Promise<ShopClient> {
    const client = testShop.client();
    expect((await client.signIn('casey@example.com')).status).toBe(303);
    return client;
  }

  // One test per value: each signs in (a scrypt hash), and the whole list in one test would be a
  // budget that a loaded machine can exceed.
  it.each(OFF_SITE)(
    'signed out: the form never carries next=%j, and signing in with it lands on /',
    async (value) => {
      const client = testShop.client();
      const page = await client.get(`/signin?next=${encodeURIComponent(value)}`);
      expect(page.status).toBe(200);
      expect(hiddenNext(page.text)).toBeUndefined();
      expect(page.text).not.toContain('evil.example');
      // A tampered hidden field: the POST decides again.
      const response = await client.post('/signin', {
        email: 'casey@example.com',
        password: 'cartlink-demo',
        next: value,
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
    },
  );

  it('signed in: GET /signin?next= redirects to / at once for every off-site value', async () => {
    const client = await signedIn();
    for (const value of OFF_SITE) {
      const response = await client.get(`/signin?next=${encodeURIComponent(value)}`);
      expect(response.status).toBe(303);
      expect(response.headers.get('location'), `GET next=${JSON.stringify(value)}`).toBe('/');
    }
  });

  it.each(OFF_SITE.slice(0, 12))('signed in: POST /signin with next=%j lands on /', async (value) => {
    const client = await signedIn();
    // The signed-in session's CSRF token, from a page that has it (GET /signin just redirects).
    await client.get('/');
    const response = await client.post('/signin', {
      email: 'casey@example.com',
      password: 'cartlink-demo',
      next: value,
    });
    expect(response.headers.get('location')).toBe('/');
  });

  it('reads the raw query strings of the issue, unencoded, as the browser sends them', async () => {
    const raw = [
      '/.//evil.example/x',
      '/x/..//evil.example',
      '/%2e%2e//evil.example',
      '/%2E%2E/%2e%2e//evil.example',
      '//evil.example',
      '/%2F/evil.example',
      '/%5Cevil.example',
      '%09//evil.example',
      '/%09/evil.example',
      '/%0A/evil.example',
      '/;/evil.example',
      '/%252e%252e//evil.example',
    ];
    const visitor = testShop.client();
    const member = await signedIn();
    for (const query of raw) {
      const form = await visitor.get(`/signin?next=${query}`);
      const hidden = hiddenNext(form.text);
      if (hidden !== undefined) expect(landing(hidden).origin).toBe(TEST_ORIGIN);
      expect(hidden, `hidden next for ${query}`).toBeUndefined();
      const shortcut = await member.get(`/signin?next=${query}`);
      expect(shortcut.headers.get('location'), `GET /signin?next=${query}`).toBe('/');
    }
  });

  it('still returns a shopper to the shop page they came from', async () => {
    const client = testShop.client();
    const protectedPage = await client.get('/checkout?from=cart');
    expect(protectedPage.status).toBe(303);
    const signInUrl = protectedPage.headers.get('location') ?? '';
    expect(signInUrl).toBe(`/signin?next=${encodeURIComponent('/checkout?from=cart')}`);
    const form = await client.get(signInUrl);
    expect(hiddenNext(form.text)).toBe('/checkout?from=cart');
    const response = await client.post('/signin', {
      email: 'casey@example.com',
      password: 'cartlink-demo',
      next: hiddenNext(form.text) ?? '',
    });
    expect(response.headers.get('location')).toBe('/checkout?from=cart');
    const shortcut = await client.get(`/signin?next=${encodeURIComponent('/orders#latest')}`);
    expect(shortcut.headers.get('location')).toBe('/orders#latest');
  });

  it('sends a protected page with a smuggled path to plain /signin', async () => {
    const response = await testShop.client().get('/orders/%2F%2Fevil.example');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/signin');
  });
});
