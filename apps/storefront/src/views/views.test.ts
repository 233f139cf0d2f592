/**
 * What the server paints, in process: the profile page's status card (`<cartlink-status>` attributes,
 * its server-rendered shadow root with the card's words, the expiry date and the Link form, its
 * styles under the response's CSP nonce, the Linked badge, the unlink hint) for each link state and
 * locale, and the error pages (404, 405, 403, 413, 415) with their status codes. (`checkout.test.ts` covers the unlinked, linked-active,
 * loading and unavailable cards; `app.test.ts` the 404 and 500 pages' basics.)
 */
import { createHash } from 'node:crypto';
import { createEmulator } from '@cartlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAttribute, type ShopClient, unescapeHtml } from '../../../../testing/shop-client';
import { createTestShop, EMULATOR_URL, linkAccount, type TestShop } from '../test-support.js';
import { DEMO_USERS } from '../users.js';

const idOf = (email: string) => DEMO_USERS.find((user) => user.email === email)?.id ?? '';

const T0 = new Date('2030-03-10T12:00:00.000Z');
const MANAGE_URL = 'http://emulator.test/store/account/instacart-plus';
const JOIN_URL = 'http://emulator.test/signup?next=%2Fstore%2Faccount%2Finstacart-plus';
const UNLINK_HINT = 'To unlink your accounts later, contact Instacart customer service.';

let testShop: TestShop;
const clock = { now: T0 };

beforeAll(async () => {
  const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL, now: () => clock.now });
  testShop = await createTestShop({ emulator, deps: { now: () => clock.now } });
});

afterAll(async () => {
  await testShop.close();
});

async function signIn(email: string): Promise<ShopClient> {
  const client = testShop.client();
  expect((await client.signIn(email)).status).toBe(303);
  return client;
}

/** Signs `email` in and links it to a new Instacart account with this membership. */
async function signInLinked(
  email: string,
  membership: { instacartplusMember: boolean; expiredAt?: Date | null },
): Promise<ShopClient> {
  const client = await signIn(email);
  const { id } = testShop.emulator.createInstacartUser({
    email: `card-${email}`,
    password: 'instacart',
    ...membership,
  });
  expect((await linkAccount(testShop, client, id)).outcome).toBe('linked');
  return client;
}

/** Moves the shared clock past the minute in which a page load may reuse the last verification. */
function pastFreshnessWindow(): void {
  clock.now = new Date(clock.now.getTime() + 61_000);
}

/** The words of the card's shadow root, as a shopper reads them with or without JavaScript. */
function shadowTextOf(page: string): string | undefined {
  const root =
    /<cartlink-status\b[^>]*><template shadowroot="open" shadowrootmode="open">([\s\S]*?)<\/template><\/cartlink-status>/.exec(
      page,
    )?.[1];
  if (root === undefined) return undefined;
  const text = root
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\/?time[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ');
  return unescapeHtml(text).replace(/\s+/g, ' ').trim();
}

/** The status card as the profile page paints it. */
async function cardOf(client: ShopClient, headers: Record<string, string> = {}) {
  const page = await client.request('/account/profile', { headers });
  expect(page.status).toBe(200);
  const attribute = (name: string) => readAttribute(page.text, 'cartlink-status', name);
  return {
    state: attribute('state'),
    expiredAt: attribute('expired-at'),
    manageUrl: attribute('manage-url'),
    joinUrl: attribute('join-url'),
    locale: attribute('locale'),
    shopName: attribute('shop-name'),
    dialogLocale: readAttribute(page.text, 'cartlink-result-dialog', 'locale'),
    /** The "✓ Linked to Instacart" badge is shown (no `hidden`). */
    badgeShown: /<p class="badge badge-linked" data-linked-indicator>/.test(page.text),
    badgeHidden: /<p class="badge badge-linked" data-linked-indicator hidden>/.test(page.text),
    unlinkHint: page.text.includes(UNLINK_HINT),
  };
}

describe('the status card painted by the server (declarative shadow DOM)', () => {
  // A shop of its own: the demo shoppers here are linked and unlinked independently of the tests below.
  let paintShop: TestShop;

  beforeAll(async () => {
    paintShop = await createTestShop();
  });

  afterAll(async () => {
    await paintShop.close();
  });

  async function shopper(email: string): Promise<ShopClient> {
    const client = paintShop.client();
    expect((await client.signIn(email)).status).toBe(303);
    return client;
  }

  async function profilePage(client: ShopClient, headers: Record<string, string> = {}) {
    const page = await client.request('/account/profile', { headers });
    expect(page.status).toBe(200);
    return page;
  }

  it('paints an unlinked shopper’s card with the Link form: a POST of the session’s CSRF token', async () => {
    const page = await profilePage(await shopper('blair@example.com'));
    expect(shadowTextOf(page.text)).toBe(
      'Instacart+ Link your Instacart account Your Corner Market account is not linked to an Instacart account. Instacart+ member? Link your account to get $0 delivery Link Instacart account Join Instacart+',
    );
    const csrf = readAttribute(page.text, 'cartlink-status', 'csrf-token');
    expect(csrf).toMatch(/^.{16,}$/);
    expect(page.text).toMatch(/<form method="post" action="\/cartlink\/authorize"\s*>/);
    expect(page.text).toContain(`<input type="hidden" name="_csrf" value="${csrf}">`);
  });

  it('paints a member’s card with the expiry date, in the shopper’s locale, as the browser writes it', async () => {
    const casey = await shopper('casey@example.com');
    const { id } = paintShop.emulator.createInstacartUser({
      email: 'painted-casey@example.com',
      password: 'instacart',
      instacartplusMember: true,
      expiredAt: new Date('2031-01-01T00:00:00.000Z'),
    });
    expect((await linkAccount(paintShop, casey, id)).outcome).toBe('linked');
    expect(shadowTextOf((await profilePage(casey)).text)).toContain(
      'Your Instacart+ membership is active Your Corner Market account is linked to your Instacart account, and your Instacart+ membership is active. Your membership expires on 01/01/2031.',
    );
    const french = shadowTextOf((await profilePage(casey, { 'accept-language': 'fr-CA' })).text);
    expect(french).toContain('Votre abonnement Instacart+ est actif');
    expect(french).toContain('Votre abonnement expire le 2031-01-01.');
    expect(french).toContain('Gérer Instacart+');
  });

  it('allows the card’s <style> by the hash of its text in style-src, with no nonce in the markup', async () => {
    const page = await profilePage(await shopper('alex@example.com'));
    const csp = page.headers.get('content-security-policy') ?? '';
    const hash = /style-src 'self' 'sha256-([^']+)'/.exec(csp)?.[1];
    const styles = [...page.text.matchAll(/<style\b([^>]*)>([\s\S]*?)<\/style>/g)];
    expect(styles).toHaveLength(1);
    const [, attributes, text] = styles[0] ?? [];
    expect(attributes).toBe('');
    expect(
      createHash('sha256')
        .update(text ?? '')
        .digest('base64'),
    ).toBe(hash);
  });

  it('paints loading, for the element to post the callback, when the address bar holds one', async () => {
    const page = await (await shopper('alex@example.com')).request('/account/profile?code=c0de&state=st4te');
    expect(readAttribute(page.text, 'cartlink-status', 'state')).toBe('loading');
    expect(shadowTextOf(page.text)).toBe('Loading your Instacart account status…');
  });
});

describe('the status card on the profile page', () => {
  it('is linked-inactive, with the badge and no expiry, for an Instacart account without Instacart+', async () => {
    const casey = await signInLinked('casey@example.com', { instacartplusMember: false });
    expect(await cardOf(casey)).toEqual({
      state: 'linked-inactive',
      expiredAt: undefined,
      manageUrl: MANAGE_URL,
      joinUrl: JOIN_URL,
      locale: 'en-US',
      shopName: 'Corner Market',
      dialogLocale: 'en-US',
      badgeShown: true,
      badgeHidden: false,
      // Once linked, the element itself says how to unlink.
      unlinkHint: false,
    });
  });

  it('is linked-inactive with the past expiry for a subscription that ended', async () => {
    const ended = new Date(T0.getTime() - 30 * 86_400_000);
    const blair = await signInLinked('blair@example.com', { instacartplusMember: true, expiredAt: ended });
    const card = await cardOf(blair);
    expect(card.state).toBe('linked-inactive');
    expect(card.expiredAt).toBe(ended.toISOString());
    expect(card.badgeShown).toBe(true);
  });

  it('is unlinked, the badge hidden and the hint back, once Instacart unlinks the accounts', async () => {
    const expiry = new Date('2031-01-01T00:00:00.000Z');
    const alex = await signInLinked('alex@example.com', { instacartplusMember: true, expiredAt: expiry });
    const linked = await cardOf(alex);
    expect(linked).toMatchObject({
      state: 'linked-active',
      expiredAt: expiry.toISOString(),
      badgeShown: true,
    });

    expect(testShop.emulator.unlink('cartlink-demo', idOf('alex@example.com'))).toBe(true);
    pastFreshnessWindow();
    expect(await cardOf(alex)).toMatchObject({
      state: 'unlinked',
      expiredAt: undefined,
      badgeShown: false,
      badgeHidden: true,
      unlinkHint: true,
    });
  });

  it('is unlinked for a shopper whose Connect user Instacart deactivated', async () => {
    const admin = await signInLinked('admin@example.com', { instacartplusMember: true });
    expect((await cardOf(admin)).state).toBe('linked-active');
    testShop.emulator.setConnectUserActive('cartlink-demo', idOf('admin@example.com'), false);
    pastFreshnessWindow();
    expect(await cardOf(admin)).toMatchObject({ state: 'unlinked', badgeHidden: true, unlinkHint: true });
  });

  it.each([
    ['fr-CA,fr;q=0.9,en;q=0.8', 'fr-CA'],
    ['fr-FR', 'fr-CA'],
    ['en-CA', 'en-CA'],
    ['de-DE,en-GB;q=0.5', 'en-US'],
    ['de-DE', 'en-US'],
  ])('speaks the locale that Accept-Language %s asks for: %s', async (acceptLanguage, locale) => {
    const casey = await signIn('casey@example.com');
    const card = await cardOf(casey, { 'accept-language': acceptLanguage });
    expect(card.locale).toBe(locale);
    expect(card.dialogLocale).toBe(locale);
  });
});

/** The parts of an HTML error page that every one of them must get right. */
function errorPageOf(response: { status: number; headers: Headers; text: string }) {
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    title: /<h1>([^<]*)<\/h1>/.exec(response.text)?.[1],
    message: unescapeHtml(/<\/h1>\s*<p>([^<]*)<\/p>/.exec(response.text)?.[1] ?? ''),
    stack: /\n\s+at /.test(response.text),
  };
}

const HTML = 'text/html; charset=UTF-8';

describe('error pages', () => {
  let alex: ShopClient;

  beforeAll(async () => {
    alex = await signIn('alex@example.com');
  });

  it('answers an unknown path with 404, in the frame of the visitor or the shopper', async () => {
    const visitor = await testShop.client().get('/no-such-page');
    expect(errorPageOf(visitor)).toEqual({
      status: 404,
      contentType: HTML,
      cacheControl: 'no-store',
      title: 'Page not found',
      message: "We couldn't find that page. It may have moved, or the address may be mistyped.",
      stack: false,
    });
    expect(visitor.text).toContain('<a class="button" href="/">Back to the shop</a>');
    expect(visitor.text).toContain('<li><a href="/signin">Sign in</a></li>');

    const shopper = await alex.get('/no-such-page');
    expect(shopper.status).toBe(404);
    expect(shopper.text).toContain('<span class="greeting">Hi, Alex</span>');
    expect(shopper.text).toContain('>Sign out</button>');
  });

  it("answers an order that is not the shopper's with 404 and a link to their orders", async () => {
    const response = await alex.get('/orders/CM-000000000000');
    expect(errorPageOf(response)).toEqual({
      status: 404,
      contentType: HTML,
      cacheControl: 'no-store',
      title: 'Order not found',
      message: 'There is no order with that number in your account.',
      stack: false,
    });
    expect(response.text).toContain('<a class="button" href="/orders">Your orders</a>');
  });

  it('answers a missing asset with a plain 404', async () => {
    const response = await alex.get('/assets/storefront.000000000000.css');
    expect(response.status).toBe(404);
    expect(response.text).toBe('Not found\n');
  });

  it.each([
    ['GET', '/signout', 'POST'],
    ['GET', '/signout/everywhere', 'POST'],
    ['GET', '/cart/items', 'POST'],
    ['GET', '/cart/remove', 'POST'],
    ['PUT', '/checkout', 'GET, HEAD, POST'],
    ['PATCH', '/signin', 'GET, HEAD, POST'],
    ['DELETE', '/cart', 'GET, HEAD'],
    ['POST', '/', 'GET, HEAD'],
    ['POST', '/orders/CM-000000000000', 'GET, HEAD'],
    ['POST', '/account/profile', 'GET, HEAD'],
    ['POST', '/admin/reconciliation.csv', 'GET, HEAD'],
  ])('answers %s %s with a 405 page and Allow: %s', async (method, path, allow) => {
    const response = await alex.request(path, { method });
    expect(errorPageOf(response)).toEqual({
      status: 405,
      contentType: HTML,
      cacheControl: 'no-store',
      title: 'Method not allowed',
      message: "This page can't be used that way. Use the shop's own links and buttons.",
      stack: false,
    });
    expect(response.headers.get('allow')).toBe(allow);
  });

  it('keeps 404 for a path no route serves, whatever the method', async () => {
    for (const [method, path] of [
      ['POST', '/no-such-page'],
      ['PUT', '/orders/CM-000000000000/lines'],
      ['DELETE', '/checkout/'],
    ] as const) {
      const response = await alex.request(path, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get('allow')).toBeNull();
    }
  });

  it.each([
    ['GET', '/cartlink/authorize', 'POST', 'method_not_allowed'],
    ['GET', '/cartlink/link', 'POST', 'method_not_allowed'],
    ['POST', '/cartlink/status', 'GET', 'method_not_allowed_get'],
  ])('answers %s %s on the linking API with a JSON 405 and Allow: %s', async (method, path, allow, code) => {
    const response = await alex.request(path, {
      method,
      headers: { origin: 'http://shop.test', 'content-type': 'application/json' },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(JSON.parse(response.text)).toEqual({ error: { code, message: `Use ${allow}` } });
  });

  it("answers a shopper at the staff's report with a 403 page, and the CSV with a 403 line", async () => {
    const page = await alex.get('/admin/reconciliation');
    expect(errorPageOf(page)).toEqual({
      status: 403,
      contentType: HTML,
      cacheControl: 'no-store',
      title: 'Not allowed',
      message: "The reconciliation report is for Corner Market's staff only.",
      stack: false,
    });
    const csv = await alex.get('/admin/reconciliation.csv');
    expect(csv.status).toBe(403);
    expect(csv.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
    expect(csv.text).toBe('The reconciliation report is for Corner Market staff only.\n');
  });

  it('answers a form that is not form-encoded with 415, and one too large with 413', async () => {
    await alex.get('/');
    const json = await alex.request('/cart/items', {
      method: 'POST',
      headers: { origin: 'http://shop.test', 'content-type': 'application/json' },
      body: JSON.stringify({ _csrf: alex.csrfToken, product_id: 'milk' }),
    });
    expect(errorPageOf(json)).toMatchObject({
      status: 415,
      title: 'Unsupported form',
      message: 'Send the form from the shop page.',
    });
    const large = await alex.post('/cart/items', { product_id: 'milk', padding: 'x'.repeat(17 * 1024) });
    expect(errorPageOf(large)).toMatchObject({
      status: 413,
      title: 'Form too large',
      message: 'The form was larger than the shop accepts.',
    });
    expect((await alex.get('/cart')).text).toContain('<p>Your cart is empty.</p>');
  });
});
