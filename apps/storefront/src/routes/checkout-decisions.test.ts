/**
 * The delivery-discount decision at checkout, case by case, as the page shows it and the order and
 * ledger record it: a member (the evidence, exactly), a lapsed member, a subscription ending, an
 * inactive Instacart account, an unlinked shopper, and Connect failing at checkout (the grace window to
 * the millisecond, and a failure between showing the page and placing the order). The shop and the
 * emulator share one clock, so expiries and the grace window are exact. (`checkout.test.ts` covers the
 * basic cases, the 409 on a changed membership and the one-transaction rule.)
 */
import { createEmulator } from '@cartlink/emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { type ShopClient, unescapeHtml } from '../../../../testing/shop-client';
import { createTestShop, EMULATOR_URL, linkAccount, type TestShop } from '../test-support.js';
import { DEMO_USERS } from '../users.js';

const ALEX = DEMO_USERS.find((user) => user.email === 'alex@example.com')?.id ?? '';
const T0 = new Date('2030-03-10T12:00:00.000Z');
const MINUTE = 60_000;
const CONNECT_STATUS_CALL = { method: 'GET', path: '/v2/fulfillment/users/*/link', status: 503 } as const;

const SAVED = 'You saved $3.99 with Instacart+';
const LINK_PROMO = 'Instacart+ member? Link your account to get $0 delivery';
const NOT_MEMBER =
  "Your Instacart account is linked, but you don't have an active Instacart+ membership. Members get $0 delivery.";
const NOT_ACTIVE =
  "Instacart says your Instacart account isn't active, so the $3.99 delivery fee applies. Contact Instacart customer service for help.";
const UNVERIFIABLE =
  "We couldn't reach Instacart to verify your Instacart+ membership, so the standard $3.99 delivery fee applies. Try again in a few minutes.";

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

interface Scenario {
  shop: TestShop;
  alex: ShopClient;
  clock: { now: Date };
  /** Sets the shared clock to `T0 + ms`. */
  at(ms: number): void;
}

/** A shop and emulator on one clock at T0, and Alex signed in with milk and coffee in the cart ($14.78). */
async function startWithCart(): Promise<Scenario> {
  const clock = { now: T0 };
  const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL, now: () => clock.now });
  testShop = await createTestShop({
    env: { DELIVERY_GRACE_SECONDS: '900' },
    emulator,
    deps: { now: () => clock.now },
  });
  const alex = testShop.client();
  await alex.signIn('alex@example.com');
  await alex.get('/');
  await alex.post('/cart/items', { product_id: 'milk' });
  await alex.post('/cart/items', { product_id: 'coffee' });
  return {
    shop: testShop,
    alex,
    clock,
    at: (ms) => {
      clock.now = new Date(T0.getTime() + ms);
    },
  };
}

let accounts = 0;

/** Creates an Instacart account and links Alex to it at the current time. */
async function linkAlex(
  { shop, alex }: Scenario,
  membership: { instacartplusMember: boolean; expiredAt?: Date | null },
): Promise<number> {
  const { id } = shop.emulator.createInstacartUser({
    email: `member-${++accounts}@instacart.test`,
    password: 'instacart',
    ...membership,
  });
  expect((await linkAccount(shop, alex, id)).outcome).toBe('linked');
  return id;
}

/** What the checkout page shows about delivery. */
interface CheckoutShown {
  status: number;
  /** `data-delivery-fee-cents`, or undefined when the page has none. */
  feeCents: number | undefined;
  /** The fee cell's markup. */
  feeCell: string | undefined;
  total: string | undefined;
  /** The fee the form will post as `expected_fee_cents`. */
  expectedFee: string | undefined;
  /** The page's text, entities decoded. */
  text: string;
}

async function showCheckout(alex: ShopClient): Promise<CheckoutShown> {
  const page = await alex.get('/checkout');
  const marker = /<dd data-delivery-fee-cents="(\d+)">(.*?)<\/dd>/.exec(page.text);
  return {
    status: page.status,
    feeCents: marker ? Number(marker[1]) : undefined,
    feeCell: marker?.[2],
    total: /<div class="total"><dt>Total<\/dt><dd>([^<]+)<\/dd>/.exec(page.text)?.[1],
    expectedFee: /<input type="hidden" name="expected_fee_cents" value="(\d+)">/.exec(page.text)?.[1],
    text: unescapeHtml(page.text),
  };
}

async function ordersOf(shop: TestShop) {
  return shop.shop.db.selectFrom('shop_orders').selectAll().execute();
}

async function ledgerOf(shop: TestShop) {
  return shop.shop.db.selectFrom('cartlink_delivery_discounts').selectAll().execute();
}

/** Places the order at the fee the page showed; returns the order id from the redirect. */
async function placeOrder(alex: ShopClient, expectedFeeCents: number): Promise<string> {
  const placed = await alex.post('/checkout', { expected_fee_cents: String(expectedFeeCents) });
  expect(placed.status).toBe(303);
  const location = placed.headers.get('location') ?? '';
  expect(location).toMatch(/^\/orders\/CM-[0-9A-F]{12}$/);
  return location.slice('/orders/'.length);
}

describe('an active member', () => {
  it('gets $0 delivery with the savings shown, and the order carries the evidence of that verification', async () => {
    const scenario = await startWithCart();
    const { shop, alex, at } = scenario;
    const expiredAt = new Date('2030-09-01T00:00:00.000Z');
    await linkAlex(scenario, { instacartplusMember: true, expiredAt });

    at(3 * MINUTE);
    const page = await showCheckout(alex);
    expect(page.feeCents).toBe(0);
    expect(page.feeCell).toBe(
      '<s><span class="visually-hidden">Regular fee </span>$3.99</s> <strong>$0.00</strong>',
    );
    expect(page.total).toBe('$14.78');
    expect(page.expectedFee).toBe('0');
    expect(page.text).toContain(SAVED);

    at(4 * MINUTE);
    const orderId = await placeOrder(alex, 0);
    const placedAt = T0.getTime() + 4 * MINUTE;
    expect(await ordersOf(shop)).toEqual([
      {
        id: orderId,
        user_id: ALEX,
        placed_at: placedAt,
        currency: 'USD',
        subtotal_cents: 1478,
        delivery_fee_cents: 399,
        delivery_charged_cents: 0,
        total_cents: 1478,
        discount_verification: 'fresh',
      },
    ]);
    // Verified afresh when the order was placed, not when the page was shown.
    expect(await ledgerOf(shop)).toEqual([
      {
        order_id: orderId,
        user_id: ALEX,
        placed_at: placedAt,
        waived_cents: 399,
        currency: 'USD',
        instacartplus_member: 1,
        expired_at: expiredAt.getTime(),
        verified_at: placedAt,
        verification: 'fresh',
      },
    ]);

    const confirmation = await alex.get(`/orders/${orderId}`);
    expect(confirmation.text).toContain(
      `<div class="flash" role="status">Thank you! Your order ${orderId} is placed.</div>`,
    );
    expect(confirmation.text).toContain(
      '<dd><s><span class="visually-hidden">Regular fee </span>$3.99</s> $0.00 <span class="tag">Instacart+</span></dd>',
    );
    expect(confirmation.text).toContain(`<p class="savings">${SAVED}</p>`);
    const history = await alex.get('/orders');
    expect(history.text).toContain(`<a href="/orders/${orderId}">${orderId}</a>`);
    expect(history.text).toContain('<span class="tag">Instacart+</span>');
  });
});

describe('no membership', () => {
  it('charges the fee to a member whose subscription ended, offers Join, and writes no ledger entry', async () => {
    const scenario = await startWithCart();
    const { shop, alex } = scenario;
    await linkAlex(scenario, {
      instacartplusMember: true,
      expiredAt: new Date(T0.getTime() - 30 * 86_400_000),
    });
    const page = await showCheckout(alex);
    expect(page.feeCents).toBe(399);
    expect(page.feeCell).toBe('$3.99');
    expect(page.total).toBe('$18.77');
    expect(page.text).toContain(NOT_MEMBER);
    expect(page.text).toContain(
      '<a class="button" href="http://emulator.test/signup?next=%2Fstore%2Faccount%2Finstacart-plus">Join Instacart+</a>',
    );
    expect(page.text).not.toContain(SAVED);

    const orderId = await placeOrder(alex, 399);
    expect(await ordersOf(shop)).toMatchObject([
      { id: orderId, delivery_charged_cents: 399, total_cents: 1877, discount_verification: null },
    ]);
    expect(await ledgerOf(shop)).toEqual([]);
    const confirmation = await alex.get(`/orders/${orderId}`);
    expect(confirmation.text).toContain('<div class="delivery"><dt>Delivery</dt><dd>$3.99</dd></div>');
    expect(confirmation.text).not.toContain('You saved');
  });

  it('waives the fee until the subscription ends, and not from the instant it does', async () => {
    const scenario = await startWithCart();
    const { alex, at } = scenario;
    const expiredAt = new Date(T0.getTime() + 10 * MINUTE);
    await linkAlex(scenario, { instacartplusMember: true, expiredAt });

    at(10 * MINUTE - 1000);
    expect((await showCheckout(alex)).feeCents).toBe(0);
    at(10 * MINUTE);
    const ended = await showCheckout(alex);
    expect(ended.feeCents).toBe(399);
    expect(ended.text).toContain(NOT_MEMBER);
  });

  it('charges the fee to a shopper whose Instacart account is not active, and says so', async () => {
    const scenario = await startWithCart();
    const { shop, alex } = scenario;
    const instacartUser = await linkAlex(scenario, { instacartplusMember: true });
    shop.emulator.updateInstacartUser(instacartUser, { active: false });
    const page = await showCheckout(alex);
    expect(page.feeCents).toBe(399);
    expect(page.text).toContain(NOT_ACTIVE);
    expect(page.text).not.toContain('Join Instacart+');
    expect(page.text).not.toContain(LINK_PROMO);
    await placeOrder(alex, 399);
    expect(await ledgerOf(shop)).toEqual([]);
  });
});

describe('when Connect cannot be reached at checkout', () => {
  it('counts a member verification exactly as old as the grace window, and not a millisecond older', async () => {
    const scenario = await startWithCart();
    const { shop, alex, at } = scenario;
    await linkAlex(scenario, { instacartplusMember: true, expiredAt: new Date('2031-01-01T00:00:00Z') });
    expect((await showCheckout(alex)).feeCents).toBe(0); // verified at T0
    shop.emulator.addFault(CONNECT_STATUS_CALL);

    at(15 * MINUTE);
    const last = await showCheckout(alex);
    expect(last.feeCents).toBe(0);
    expect(last.text).toContain(SAVED);
    expect(last.text).toContain(
      "We couldn't reach Instacart just now, so your $0 delivery is based on your recent Instacart+ membership verification (15 minutes ago).",
    );

    at(15 * MINUTE + 1);
    const past = await showCheckout(alex);
    expect(past.feeCents).toBe(399);
    expect(past.text).toContain(UNVERIFIABLE);
    expect(past.text).not.toContain(SAVED);
  });

  it('does not stretch a recent verification past the end of the subscription it saw', async () => {
    const scenario = await startWithCart();
    const { shop, alex, at } = scenario;
    await linkAlex(scenario, { instacartplusMember: true, expiredAt: new Date(T0.getTime() + 5 * MINUTE) });
    expect((await showCheckout(alex)).feeCents).toBe(0);
    shop.emulator.addFault(CONNECT_STATUS_CALL);
    at(6 * MINUTE);
    const page = await showCheckout(alex);
    expect(page.feeCents).toBe(399);
    expect(page.text).toContain(UNVERIFIABLE);
  });

  it('gives no grace to a linked shopper without Instacart+, nor to one never linked', async () => {
    const scenario = await startWithCart();
    const { shop, alex } = scenario;
    const casey = shop.client();
    await casey.signIn('casey@example.com');
    await casey.get('/');
    await casey.post('/cart/items', { product_id: 'eggs' });
    const unlinked = await showCheckout(casey);
    expect(unlinked.feeCents).toBe(399);
    expect(unlinked.text).toContain(LINK_PROMO);

    await linkAlex(scenario, { instacartplusMember: false });
    expect((await showCheckout(alex)).text).toContain(NOT_MEMBER);
    shop.emulator.addFault(CONNECT_STATUS_CALL);

    for (const client of [alex, casey]) {
      const page = await showCheckout(client);
      expect(page.feeCents).toBe(399);
      expect(page.text).toContain(UNVERIFIABLE);
      expect(page.text).not.toContain(LINK_PROMO);
      expect(page.text).not.toContain(NOT_MEMBER);
    }
  });

  it('places the order at $0 on the grace rule when Connect fails between the page and the order', async () => {
    const scenario = await startWithCart();
    const { shop, alex, at } = scenario;
    const expiredAt = new Date('2031-01-01T00:00:00.000Z');
    await linkAlex(scenario, { instacartplusMember: true, expiredAt });
    at(MINUTE);
    expect((await showCheckout(alex)).feeCents).toBe(0); // verified at T0 + 1 min

    shop.emulator.addFault(CONNECT_STATUS_CALL);
    at(3 * MINUTE);
    const orderId = await placeOrder(alex, 0);
    expect(await ledgerOf(shop)).toEqual([
      {
        order_id: orderId,
        user_id: ALEX,
        placed_at: T0.getTime() + 3 * MINUTE,
        waived_cents: 399,
        currency: 'USD',
        instacartplus_member: 1,
        expired_at: expiredAt.getTime(),
        // The verification the grace rule relied on, not the failed attempt.
        verified_at: T0.getTime() + MINUTE,
        verification: 'grace',
      },
    ]);
    expect(await ordersOf(shop)).toMatchObject([{ id: orderId, delivery_charged_cents: 0 }]);
  });

  it('places no order at a fee the page did not show once the grace window has passed', async () => {
    const scenario = await startWithCart();
    const { shop, alex, at } = scenario;
    await linkAlex(scenario, { instacartplusMember: true, expiredAt: new Date('2031-01-01T00:00:00Z') });
    expect((await showCheckout(alex)).feeCents).toBe(0);

    shop.emulator.addFault(CONNECT_STATUS_CALL);
    at(16 * MINUTE);
    const refused = await alex.post('/checkout', { expected_fee_cents: '0' });
    expect(refused.status).toBe(409);
    const text = unescapeHtml(refused.text);
    expect(text).toContain(
      '<p class="flash flash-warning" role="alert">Your delivery fee changed to $3.99 since you opened checkout. Review your order and place it again.</p>',
    );
    expect(text).toContain('data-delivery-fee-cents="399"');
    expect(text).toContain(UNVERIFIABLE);
    expect(await ordersOf(shop)).toEqual([]);

    // The page it answered with places the order at the fee it shows, without a ledger entry.
    const orderId = await placeOrder(alex, 399);
    expect(await ordersOf(shop)).toMatchObject([
      { id: orderId, delivery_charged_cents: 399, discount_verification: null },
    ]);
    expect(await ledgerOf(shop)).toEqual([]);
  });
});

describe('an empty cart', () => {
  it('shows nothing to order without asking Instacart, and placing it orders nothing', async () => {
    const { shop } = await startWithCart();
    const blair = shop.client();
    await blair.signIn('blair@example.com');
    const before = shop.emulator.getRequests().length;
    const page = await blair.get('/checkout');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<p>Your cart is empty, so there is nothing to order yet.</p>');
    expect(page.text).not.toContain('data-delivery-fee-cents');
    expect(page.text).not.toContain('Place order');
    expect(shop.emulator.getRequests().slice(before)).toEqual([]);

    const placed = await blair.post('/checkout', { expected_fee_cents: '399' });
    expect(placed.status).toBe(409);
    expect(placed.text).toContain(
      '<p class="flash flash-warning" role="alert">Your cart is empty, so no order was placed.</p>',
    );
    expect(await ordersOf(shop)).toEqual([]);
  });
});
