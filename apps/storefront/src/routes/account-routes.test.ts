/**
 * The profile page and the linking endpoints as the storefront wires them: reading writes nothing,
 * a link starts only with the Link form's POST (CSRF token, origin), and the page's CSP lets that
 * form's redirect reach the authorization server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readAttribute, type ShopClient } from '../../../../testing/shop-client';
import { pressLink, startLink } from '../../../../testing/shop-steps';
import { createTestShop, linkAccount, type TestShop } from '../test-support.js';

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

async function signedIn(env: Record<string, string> = {}): Promise<{ shop: TestShop; client: ShopClient }> {
  testShop = await createTestShop({ env });
  const client = testShop.client();
  await client.signIn('alex@example.com');
  return { shop: testShop, client };
}

/** The `form-action` directive of a response's CSP. */
function formActionOf(headers: Headers): string | undefined {
  return (headers.get('content-security-policy') ?? '')
    .split(';')
    .map((directive) => directive.trim())
    .find((directive) => directive.startsWith('form-action'));
}

async function countLinkTransactions(shop: TestShop): Promise<number> {
  const row = await shop.shop.db
    .selectFrom('cartlink_link_transactions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('reading is read-only', () => {
  it('writes no link transaction in a hundred status reads and a hundred profile pages', async () => {
    const { shop, client } = await signedIn();
    const before = await countLinkTransactions(shop);
    for (let read = 0; read < 100; read++) {
      const status = await client.get('/cartlink/status');
      expect(status.status).toBe(200);
      expect(JSON.parse(status.text)).toMatchObject({ state: 'unlinked' });
      expect(JSON.parse(status.text)).not.toHaveProperty('authorizationUrl');
      const profile = await client.get('/account/profile');
      expect(readAttribute(profile.text, 'cartlink-status', 'state')).toBe('unlinked');
    }
    expect(await countLinkTransactions(shop)).toBe(before);
    expect(before).toBe(0);
  });

  it('writes no link transaction on any other page either', async () => {
    const { shop, client } = await signedIn();
    for (const path of [
      '/',
      '/cart',
      '/checkout',
      '/orders',
      '/account/profile?cartlink_outcome=throttled',
    ]) {
      expect((await client.get(path)).status, path).toBe(200);
    }
    expect(await client.get('/cartlink/authorize').then((response) => response.status)).toBe(405);
    expect(await countLinkTransactions(shop)).toBe(0);
  });
});

describe('the Link form', () => {
  it('is rendered into the element with the session CSRF token', async () => {
    const { client } = await signedIn();
    const page = await client.get('/account/profile');
    expect(readAttribute(page.text, 'cartlink-status', 'authorize-endpoint')).toBe('/cartlink/authorize');
    expect(readAttribute(page.text, 'cartlink-status', 'csrf-token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readAttribute(page.text, 'cartlink-status', 'csrf-token')).toBe(client.csrfToken);
    expect(readAttribute(page.text, 'cartlink-status', 'authorization-url')).toBeUndefined();
  });

  it("is allowed by the profile page's form-action, which adds only the authorization server", async () => {
    const { client } = await signedIn();
    const profile = await client.get('/account/profile');
    expect(formActionOf(profile.headers)).toBe("form-action 'self' http://emulator.test");
    // Every other page keeps its forms on the shop.
    expect(formActionOf((await client.get('/')).headers)).toBe("form-action 'self'");
  });

  it('starts one link transaction per press, bound to the session, and answers 303 to Instacart', async () => {
    const { shop, client } = await signedIn();
    const response = await pressLink(client);
    expect(response.status).toBe(303);
    const url = new URL(response.headers.get('location') ?? '');
    expect(`${url.origin}${url.pathname}`).toBe('http://emulator.test/oauth/authorize');
    expect(url.searchParams.get('redirect_uri')).toBe('http://shop.test/account/profile');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(await countLinkTransactions(shop)).toBe(1);
    await startLink(client);
    expect(await countLinkTransactions(shop)).toBe(2);
  });

  it('links the accounts: the press, consent at Instacart, the callback', async () => {
    const { shop, client } = await signedIn();
    const member = shop.emulator.createInstacartUser({
      email: 'form@instacart.test',
      password: 'instacart',
      instacartplusMember: true,
    });
    expect(await linkAccount(shop, client, member.id)).toMatchObject({
      outcome: 'linked',
      status: { state: 'linked-active' },
    });
    expect(await countLinkTransactions(shop)).toBe(0);
  });

  // A wrong token from the shop's own page is a page left open past its session: the shopper goes
  // back to the profile page with the failure dialog. A cross-site post is refused outright. Either
  // way nothing is written and nobody is sent on to Instacart.
  const BACK_WITH_FAILURE = { status: 303, location: '/account/profile?cartlink_outcome=failed' };
  const REFUSED = { status: 403, location: null };

  describe('refuses a forged press, writing nothing', () => {
    it.each([
      [
        'a wrong CSRF token',
        { _csrf: 'x'.repeat(43) },
        { origin: 'null', 'sec-fetch-site': 'same-origin' },
        BACK_WITH_FAILURE,
      ],
      [
        'no CSRF token',
        { _csrf: '' },
        { origin: 'null', 'sec-fetch-site': 'same-origin' },
        BACK_WITH_FAILURE,
      ],
      [
        'a post from another site',
        {},
        { origin: 'http://evil.test', 'sec-fetch-site': 'cross-site' },
        REFUSED,
      ],
      [
        'a cross-site post with Origin: null',
        {},
        { origin: 'null', 'sec-fetch-site': 'cross-site' },
        REFUSED,
      ],
    ])('%s', async (_name, fields, headers, expected) => {
      const { shop, client } = await signedIn();
      await client.get('/account/profile');
      const response = await client.post('/cartlink/authorize', fields, headers);
      expect({ status: response.status, location: response.headers.get('location') }).toEqual(expected);
      expect(await countLinkTransactions(shop)).toBe(0);
    });

    it("with another shopper's CSRF token", async () => {
      const { shop, client } = await signedIn();
      const blair = shop.client();
      await blair.signIn('blair@example.com');
      const blairPage = await blair.get('/account/profile');
      const blairToken = readAttribute(blairPage.text, 'cartlink-status', 'csrf-token') ?? '';
      expect(blairToken).not.toBe('');
      const response = await client.post('/cartlink/authorize', { _csrf: blairToken });
      expect({ status: response.status, location: response.headers.get('location') }).toEqual(
        BACK_WITH_FAILURE,
      );
      expect(await countLinkTransactions(shop)).toBe(0);
    });

    it('without a session: back to the profile page, which asks to sign in', async () => {
      const { shop } = await signedIn();
      const stranger = shop.client();
      await stranger.get('/signin');
      const response = await stranger.post('/cartlink/authorize');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/account/profile');
      const profile = await stranger.get('/account/profile');
      expect(profile.status).toBe(303);
      expect(profile.headers.get('location')).toMatch(/^\/signin\?next=/);
      expect(await countLinkTransactions(shop)).toBe(0);
    });
  });

  it('sends the shopper back to the profile page with cartlink_outcome=throttled past the limit', async () => {
    const { shop, client } = await signedIn({ LINK_START_LIMIT: '2' });
    await startLink(client);
    await startLink(client);
    const refused = await pressLink(client);
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/account/profile?cartlink_outcome=throttled');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const json = await pressLink(client, { accept: 'application/json' });
    expect(json.status).toBe(429);
    expect(JSON.parse(json.text)).toMatchObject({ error: { code: 'throttled' } });
    expect(await countLinkTransactions(shop)).toBe(2);
    // The page it comes back to renders as usual; the element reads the outcome from the address bar.
    const page = await client.get('/account/profile?cartlink_outcome=throttled');
    expect(page.status).toBe(200);
    expect(readAttribute(page.text, 'cartlink-status', 'state')).toBe('unlinked');
  });
});
