import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { readAttribute, type ShopClient } from '../../../testing/shop-client';
import { startLink } from '../../../testing/shop-steps';
import { createTestShop, linkAccount, type TestShop } from './test-support.js';
import { DEMO_USERS } from './users.js';

const ALEX = DEMO_USERS[0]?.id ?? '';

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

interface Scenario {
  shop: TestShop;
  client: ShopClient;
  clock: { now: Date };
}

/** A shop with a movable clock, and Alex signed in with two items in the cart. */
async function startWithCart(): Promise<Scenario> {
  const clock = { now: new Date() };
  testShop = await createTestShop({ env: { DELIVERY_GRACE_SECONDS: '900' }, deps: { now: () => clock.now } });
  const client = testShop.client();
  await client.signIn('alex@example.com');
  await client.get('/');
  expect((await client.post('/cart/items', { product_id: 'bananas' })).status).toBe(303);
  await client.post('/cart/items', { product_id: 'bananas' });
  await client.post('/cart/items', { product_id: 'coffee' });
  return { shop: testShop, client, clock };
}

function feeCents(page: string): number {
  const value = /data-delivery-fee-cents="(\d+)"/.exec(page)?.[1];
  if (value === undefined) throw new Error('no data-delivery-fee-cents on the page');
  return Number(value);
}

async function ordersOf(shop: TestShop) {
  return shop.shop.db.selectFrom('shop_orders').selectAll().execute();
}

async function ledgerOf(shop: TestShop) {
  return shop.shop.db.selectFrom('cartlink_delivery_discounts').selectAll().execute();
}

function createMember(shop: TestShop, email: string, member: boolean, expiredAt?: Date): number {
  return shop.emulator.createInstacartUser({
    email,
    password: 'instacart',
    instacartplusMember: member,
    ...(expiredAt ? { expiredAt } : {}),
  }).id;
}

describe('checkout', () => {
  it('charges the fee to an unlinked shopper and invites them to link', async () => {
    const { client, shop } = await startWithCart();
    const page = await client.get('/checkout');
    expect(page.status).toBe(200);
    expect(page.text).toContain('$15.97'); // 2 × $2.49 + $10.99
    expect(feeCents(page.text)).toBe(399);
    expect(page.text).toContain(
      '<a href="/account/profile">Instacart+ member? Link your account to get $0 delivery</a>',
    );
    expect(page.text).not.toContain('You saved');
    expect(page.text).toContain('>Place order</button>');

    const placed = await client.post('/checkout', { expected_fee_cents: '399' });
    expect(placed.status).toBe(303);
    const [order] = await ordersOf(shop);
    expect(order).toMatchObject({
      user_id: ALEX,
      subtotal_cents: 1597,
      delivery_charged_cents: 399,
      total_cents: 1996,
    });
    expect(order?.discount_verification).toBeNull();
    expect(await ledgerOf(shop)).toEqual([]);
    const confirmation = await client.get(placed.headers.get('location') ?? '');
    expect(confirmation.text).toContain(`Your order ${order?.id} is placed`);
  });

  it('waives the fee for an active member, verified fresh, and records the order with its ledger entry', async () => {
    const { client, shop } = await startWithCart();
    const expires = new Date(Date.now() + 200 * 86_400_000);
    const linked = await linkAccount(
      shop,
      client,
      createMember(shop, 'member@instacart.test', true, expires),
    );
    expect(linked).toMatchObject({ outcome: 'linked', status: { state: 'linked-active' } });

    const before = shop.emulator.getRequests().length;
    const page = await client.get('/checkout');
    // A fresh status call at checkout, as the seed's best practices say.
    expect(
      shop.emulator
        .getRequests()
        .slice(before)
        .some((call) => call.method === 'GET' && call.path.endsWith('/link')),
    ).toBe(true);
    expect(feeCents(page.text)).toBe(0);
    expect(page.text).toMatch(/<s><span class="visually-hidden">Regular fee <\/span>\$3\.99<\/s>/);
    expect(page.text).toContain('You saved $3.99 with Instacart+');
    expect(page.text).not.toContain("couldn't reach Instacart");

    const placed = await client.post('/checkout', { expected_fee_cents: '0' });
    expect(placed.status).toBe(303);
    const [order] = await ordersOf(shop);
    const [entry] = await ledgerOf(shop);
    expect(order).toMatchObject({
      delivery_fee_cents: 399,
      delivery_charged_cents: 0,
      total_cents: 1597,
      discount_verification: 'fresh',
    });
    expect(entry).toMatchObject({
      order_id: order?.id,
      user_id: ALEX,
      waived_cents: 399,
      currency: 'USD',
      verification: 'fresh',
    });
    // Connect sends expired_at in whole seconds.
    expect(Math.abs(Number(entry?.expired_at) - expires.getTime())).toBeLessThan(1000);
    expect(Boolean(entry?.instacartplus_member)).toBe(true);
    expect(Number(entry?.placed_at)).toBe(Number(order?.placed_at));
    // The cart is empty now, and an empty cart cannot be ordered.
    expect((await client.get('/cart')).text).toContain('Your cart is empty');
    const again = await client.post('/checkout', { expected_fee_cents: '0' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('Your cart is empty, so no order was placed.');
    expect(await ordersOf(shop)).toHaveLength(1);
  });

  it('offers Join Instacart+ to a linked shopper without a membership', async () => {
    const { client, shop } = await startWithCart();
    await linkAccount(shop, client, createMember(shop, 'basic2@instacart.test', false));
    const page = await client.get('/checkout');
    expect(feeCents(page.text)).toBe(399);
    expect(page.text).toContain('>Join Instacart+</a>');
    expect(page.text).toContain(
      'href="http://emulator.test/signup?next=%2Fstore%2Faccount%2Finstacart-plus"',
    );
  });

  it('keeps the discount within the grace window when Instacart is down, and records it as grace', async () => {
    const { client, shop, clock } = await startWithCart();
    await linkAccount(shop, client, createMember(shop, 'grace@instacart.test', true));
    expect(feeCents((await client.get('/checkout')).text)).toBe(0);

    clock.now = new Date(clock.now.getTime() + 5 * 60_000);
    shop.emulator.addFault({ method: 'GET', path: '/v2/fulfillment/users/*/link', status: 503 });
    const page = await client.get('/checkout');
    expect(feeCents(page.text)).toBe(0);
    expect(page.text).toContain('You saved $3.99 with Instacart+');
    expect(page.text).toContain("We couldn't reach Instacart just now");
    expect(page.text).toContain('recent Instacart+ membership verification (5 minutes ago)');

    await client.post('/checkout', { expected_fee_cents: '0' });
    const [entry] = await ledgerOf(shop);
    expect(entry?.verification).toBe('grace');
    expect((await ordersOf(shop))[0]?.discount_verification).toBe('grace');
  });

  it('charges the fee with an explanation when Instacart is down and no recent verification exists', async () => {
    const { client, shop, clock } = await startWithCart();
    await linkAccount(shop, client, createMember(shop, 'stale@instacart.test', true));
    clock.now = new Date(clock.now.getTime() + 16 * 60_000);
    shop.emulator.addFault({ method: 'GET', path: '/v2/fulfillment/users/*/link', drop: true });
    const page = await client.get('/checkout');
    expect(feeCents(page.text)).toBe(399);
    expect(page.text).toContain("We couldn't reach Instacart to verify your Instacart+ membership");
    expect(page.text).not.toContain('You saved');
  });

  it('re-decides at order time and does not charge more than the page showed', async () => {
    const { client, shop } = await startWithCart();
    const instacartUser = createMember(shop, 'lapsing@instacart.test', true);
    await linkAccount(shop, client, instacartUser);
    expect(feeCents((await client.get('/checkout')).text)).toBe(0);
    // The membership ends while the checkout page is open.
    shop.emulator.updateInstacartUser(instacartUser, { instacartplusMember: false });
    const response = await client.post('/checkout', { expected_fee_cents: '0' });
    expect(response.status).toBe(409);
    expect(response.text).toContain('Your delivery fee changed to $3.99');
    expect(feeCents(response.text)).toBe(399);
    expect(await ordersOf(shop)).toEqual([]);
    // Placing it again, now with the fee shown, goes through without a ledger entry.
    expect((await client.post('/checkout', { expected_fee_cents: '399' })).status).toBe(303);
    expect(await ordersOf(shop)).toHaveLength(1);
    expect(await ledgerOf(shop)).toEqual([]);
  });

  it('writes the order and its ledger entry in one transaction: neither lands when the ledger fails', async () => {
    const { client, shop } = await startWithCart();
    await linkAccount(shop, client, createMember(shop, 'atomic@instacart.test', true));
    await sql`create trigger refuse_ledger before insert on cartlink_delivery_discounts begin select raise(abort, 'ledger unavailable'); end`.execute(
      shop.shop.db,
    );
    const response = await client.post('/checkout', { expected_fee_cents: '0' });
    expect(response.status).toBe(500);
    expect(response.text).toContain('Something went wrong');
    expect(response.text).not.toContain('ledger unavailable');
    expect(await ordersOf(shop)).toEqual([]);
    expect(await shop.shop.db.selectFrom('shop_order_items').selectAll().execute()).toEqual([]);
    // The cart was not emptied either: the shopper can try again.
    expect((await client.get('/cart')).text).toContain('Medium roast coffee');

    await sql`drop trigger refuse_ledger`.execute(shop.shop.db);
    expect((await client.post('/checkout', { expected_fee_cents: '0' })).status).toBe(303);
    expect(await ordersOf(shop)).toHaveLength(1);
    expect(await ledgerOf(shop)).toHaveLength(1);
  });

  it('refuses to place an order without the CSRF token', async () => {
    const { client, shop } = await startWithCart();
    await client.get('/checkout');
    expect((await client.post('/checkout', { _csrf: '' })).status).toBe(403);
    expect((await client.post('/checkout', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await ordersOf(shop)).toEqual([]);
  });

  it('sends a signed-out visitor to sign in and back', async () => {
    testShop = await createTestShop();
    const response = await testShop.client().get('/checkout');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/signin?next=%2Fcheckout');
  });
});

describe('catalogue and cart', () => {
  it('lists the products with an Add to cart button each', async () => {
    testShop = await createTestShop();
    const page = await testShop.client().get('/');
    const buttons = page.text.match(/>Add to cart<\/button>/g) ?? [];
    expect(buttons.length).toBeGreaterThanOrEqual(8);
    expect(buttons.length).toBeLessThanOrEqual(10);
    // A visitor's buttons lead to sign-in (no session, no CSRF token needed to browse).
    expect(page.text).toContain('<form method="get" action="/signin">');
    expect(page.setCookies).toEqual([]);
  });

  it('counts items in the header and removes them', async () => {
    const { client } = await startWithCart();
    expect((await client.get('/')).text).toContain('Cart <span class="count">(3)</span>');
    await client.get('/cart');
    await client.post('/cart/remove', { product_id: 'bananas' });
    const cart = await client.get('/cart');
    expect(cart.text).not.toContain('Organic bananas');
    expect(cart.text).toContain('Cart <span class="count">(1)</span>');
  });

  it('refuses an unknown product', async () => {
    const { client } = await startWithCart();
    expect((await client.post('/cart/items', { product_id: 'caviar' })).status).toBe(400);
  });
});

describe('orders', () => {
  it('shows only the shopper’s own orders', async () => {
    const { client, shop } = await startWithCart();
    const placed = await client.post('/checkout', { expected_fee_cents: '399' });
    const path = placed.headers.get('location') ?? '';
    expect((await client.get('/orders')).text).toContain(path);
    const blair = shop.client();
    await blair.signIn('blair@example.com');
    expect((await blair.get(path)).status).toBe(404);
    expect((await blair.get('/orders')).text).toContain("You haven't placed an order yet.");
  });
});

describe('profile page', () => {
  it('renders the status on the server for an unlinked shopper, with the Link form that starts a link', async () => {
    const { client } = await startWithCart();
    const page = await client.get('/account/profile');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(readAttribute(page.text, 'cartlink-status', 'state')).toBe('unlinked');
    expect(readAttribute(page.text, 'cartlink-status', 'authorization-url')).toBeUndefined();
    expect(readAttribute(page.text, 'cartlink-status', 'authorize-endpoint')).toBe('/cartlink/authorize');
    expect(readAttribute(page.text, 'cartlink-status', 'csrf-token')).toBe(client.csrfToken);
    const authorizationUrl = (await startLink(client)).authorizationUrl;
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe('http://emulator.test/oauth/authorize');
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe('http://shop.test/account/profile');
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(readAttribute(page.text, 'cartlink-status', 'status-src')).toBe('/cartlink/status');
    expect(readAttribute(page.text, 'cartlink-status', 'link-endpoint')).toBe('/cartlink/link');
    expect(readAttribute(page.text, 'cartlink-status', 'dialog')).toBe('cartlink-dialog');
    expect(readAttribute(page.text, 'cartlink-result-dialog', 'id')).toBe('cartlink-dialog');
    expect(page.text).toContain('contact Instacart customer service');
    expect(page.text).toMatch(/data-linked-indicator hidden>/);
    expect(page.text).toMatch(/<script type="module" src="\/assets\/cartlink-elements\.[0-9a-f]{12}\.js"/);
  });

  it('shows linked-active with the expiry and the Linked indicator', async () => {
    const { client, shop } = await startWithCart();
    const expires = new Date('2031-03-04T05:06:07Z');
    await linkAccount(shop, client, createMember(shop, 'shown@instacart.test', true, expires));
    const page = await client.get('/account/profile');
    expect(readAttribute(page.text, 'cartlink-status', 'state')).toBe('linked-active');
    expect(readAttribute(page.text, 'cartlink-status', 'expired-at')).toBe('2031-03-04T05:06:07.000Z');
    expect(readAttribute(page.text, 'cartlink-status', 'authorization-url')).toBeUndefined();
    expect(page.text).toMatch(/data-linked-indicator><span aria-hidden="true">✓<\/span> Linked to Instacart/);
  });

  it('changes nothing on a GET with code and state: it renders loading and leaves them to the element', async () => {
    const { client, shop } = await startWithCart();
    const state = (await startLink(client)).authorizationUrl.searchParams.get('state');
    const transactions = await shop.shop.db.selectFrom('cartlink_link_transactions').selectAll().execute();
    const before = shop.emulator.getRequests().length;
    const page = await client.get(`/account/profile?code=abc&state=${state}`);
    expect(page.status).toBe(200);
    expect(readAttribute(page.text, 'cartlink-status', 'state')).toBe('loading');
    expect(shop.emulator.getRequests().length).toBe(before);
    expect(await shop.shop.db.selectFrom('cartlink_link_transactions').selectAll().execute()).toEqual(
      transactions,
    );
  });

  it('shows unavailable when Instacart cannot be reached, and the page still works', async () => {
    const { client, shop, clock } = await startWithCart();
    // Past the freshness window of the verification made at sign-in, so the page asks Connect.
    clock.now = new Date(clock.now.getTime() + 2 * 60_000);
    shop.emulator.addFault({ method: 'GET', path: '/v2/fulfillment/users/*/link', status: 503 });
    const page = await client.get('/account/profile');
    expect(page.status).toBe(200);
    expect(readAttribute(page.text, 'cartlink-status', 'state')).toBe('unavailable');
  });

  it('refuses a replayed callback and one from another session', async () => {
    const { client, shop } = await startWithCart();
    const instacartUser = createMember(shop, 'replay@instacart.test', true);
    const url = (await startLink(client)).authorizationUrl;
    const code = shop.emulator.authorizeForTest({
      instacartUserId: instacartUser,
      clientId: 'cartlink-demo',
      redirectUri: 'http://shop.test/account/profile',
      codeChallenge: url.searchParams.get('code_challenge') ?? '',
    });
    const state = url.searchParams.get('state');
    const other = shop.client();
    await other.signIn('alex@example.com');
    const stolen = JSON.parse((await other.postJson('/cartlink/link', { code, state })).text);
    expect(stolen.outcome).toBe('state-invalid');
    // The state was spent by that attempt: the rightful session cannot use it afterwards either.
    const replay = JSON.parse((await client.postJson('/cartlink/link', { code, state })).text);
    expect(replay.outcome).toBe('state-invalid');
  });
});
