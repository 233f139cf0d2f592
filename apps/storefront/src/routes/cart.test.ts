/**
 * The cart as `shop-routes.ts` answers it, in process: adding (the flash, the header's count, the
 * line), quantities adding up to the cap, removing, an unknown product, the empty cart, a line whose
 * product left the catalogue, and refused or signed-out posts. (`form-fields.test.ts` covers malformed
 * quantities.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ShopClient, unescapeHtml } from '../../../../testing/shop-client';
import { MAX_QUANTITY } from '../catalogue.js';
import { createTestShop, type TestShop } from '../test-support.js';
import { DEMO_USERS } from '../users.js';

const ALEX = DEMO_USERS.find((user) => user.email === 'alex@example.com')?.id ?? '';

let testShop: TestShop;
let alex: ShopClient;

beforeAll(async () => {
  testShop = await createTestShop();
  alex = testShop.client();
  await alex.signIn('alex@example.com');
});

afterAll(async () => {
  await testShop.close();
});

afterEach(async () => {
  // Each test starts from an empty cart; orders stay (no test here reads them back).
  await testShop.shop.db.deleteFrom('shop_cart_items').execute();
});

interface CartLineShown {
  productId: string;
  name: string;
  quantity: number;
  price: string;
}

/** The lines of the cart page, in the order shown. */
function linesOf(page: string): CartLineShown[] {
  const rows = page.matchAll(
    /<th scope="row" id="line-([a-z]+)">([^<]+) <span class="unit">[^<]*<\/span><\/th>\s*<td class="num">(\d+)<\/td>\s*<td class="num">([^<]+)<\/td>/g,
  );
  return [...rows].map(([, productId = '', name = '', quantity = '', price = '']) => ({
    productId,
    name: unescapeHtml(name),
    quantity: Number(quantity),
    price,
  }));
}

/** The cart page's subtotal, or undefined on an empty cart. */
function subtotalOf(page: string): string | undefined {
  return /<tfoot><tr><th scope="row">Subtotal<\/th><td><\/td><td class="num">([^<]+)<\/td>/.exec(page)?.[1];
}

/** The header's "Cart (n)". */
function headerCountOf(page: string): number | undefined {
  const count = /Cart <span class="count">\((\d+)\)<\/span>/.exec(page)?.[1];
  return count === undefined ? undefined : Number(count);
}

/** The flash message of a page (`role="status"`), or undefined. */
function flashOf(page: string): string | undefined {
  return /<div class="flash" role="status">([^<]*)<\/div>/.exec(page)?.[1];
}

async function add(productId: string, quantity?: number): Promise<void> {
  await alex.get('/');
  const response = await alex.post('/cart/items', {
    product_id: productId,
    ...(quantity === undefined ? {} : { quantity: String(quantity) }),
  });
  expect(response.status).toBe(303);
}

async function alexCartRows(): Promise<Array<{ product_id: string; quantity: number }>> {
  const rows = await testShop.shop.db
    .selectFrom('shop_cart_items')
    .select(['product_id', 'quantity'])
    .where('user_id', '=', ALEX)
    .orderBy('product_id')
    .execute();
  return rows.map((row) => ({ product_id: row.product_id, quantity: Number(row.quantity) }));
}

describe('adding to the cart', () => {
  it('goes back to the shop with a flash naming the product, counts it, and lists it with its price', async () => {
    await alex.get('/');
    const added = await alex.post('/cart/items', { product_id: 'bananas' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/');

    const shop = await alex.get('/');
    expect(flashOf(shop.text)).toBe('Added Organic bananas to your cart.');
    expect(headerCountOf(shop.text)).toBe(1);
    // Shown once.
    expect(flashOf((await alex.get('/')).text)).toBeUndefined();

    const cart = await alex.get('/cart');
    expect(linesOf(cart.text)).toEqual([
      { productId: 'bananas', name: 'Organic bananas', quantity: 1, price: '$2.49' },
    ]);
    expect(subtotalOf(cart.text)).toBe('$2.49');
    expect(cart.text).toContain('<a class="button button-primary" href="/checkout">Go to checkout</a>');
    expect(cart.text).toContain('<input type="hidden" name="product_id" value="bananas">');
  });

  it('adds to the same line: quantities add up, prices follow, and a line stops at the maximum', async () => {
    await add('bananas');
    await add('bananas', 3);
    await add('coffee', 2);
    const cart = await alex.get('/cart');
    // Sorted by name.
    expect(linesOf(cart.text)).toEqual([
      { productId: 'coffee', name: 'Medium roast coffee', quantity: 2, price: '$21.98' },
      { productId: 'bananas', name: 'Organic bananas', quantity: 4, price: '$9.96' },
    ]);
    expect(subtotalOf(cart.text)).toBe('$31.94');
    expect(headerCountOf(cart.text)).toBe(6);

    await add('bananas', MAX_QUANTITY);
    const capped = await alex.get('/cart');
    expect(linesOf(capped.text)[1]).toEqual({
      productId: 'bananas',
      name: 'Organic bananas',
      quantity: MAX_QUANTITY,
      price: '$49.80',
    });
    expect(headerCountOf(capped.text)).toBe(MAX_QUANTITY + 2);
  });

  it('refuses an unknown or missing product id with a 400 page, adding nothing', async () => {
    await alex.get('/');
    for (const fields of [{ product_id: 'caviar' }, { product_id: '' }, {}] as Record<string, string>[]) {
      const response = await alex.post('/cart/items', fields);
      expect(response.status, JSON.stringify(fields)).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.text).toContain('<h1>Unknown product</h1>');
      expect(response.text).toContain('<p>That product is not in the shop.</p>');
    }
    expect(await alexCartRows()).toEqual([]);
  });
});

describe('removing from the cart', () => {
  it('removes the line and goes back to the cart', async () => {
    await add('bananas', 2);
    await add('coffee');
    await alex.get('/cart');
    const removed = await alex.post('/cart/remove', { product_id: 'coffee' });
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe('/cart');
    const cart = await alex.get('/cart');
    expect(linesOf(cart.text).map((line) => line.productId)).toEqual(['bananas']);
    expect(subtotalOf(cart.text)).toBe('$4.98');
    expect(headerCountOf(cart.text)).toBe(2);
  });

  it('changes nothing for a product that is not in the cart, or not in the shop', async () => {
    await add('milk');
    await alex.get('/cart');
    for (const fields of [{ product_id: 'eggs' }, { product_id: 'caviar' }, {}] as Record<string, string>[]) {
      const response = await alex.post('/cart/remove', fields);
      expect(response.status, JSON.stringify(fields)).toBe(303);
      expect(response.headers.get('location')).toBe('/cart');
    }
    expect(await alexCartRows()).toEqual([{ product_id: 'milk', quantity: 1 }]);
  });
});

describe('the empty cart', () => {
  it('says so, with a way back to the shop and no checkout or remove buttons', async () => {
    const cart = await alex.get('/cart');
    expect(cart.status).toBe(200);
    expect(cart.text).toContain(
      '<div class="card empty"><p>Your cart is empty.</p><p><a class="button" href="/">Browse the shop</a></p></div>',
    );
    expect(cart.text).not.toContain('Go to checkout');
    expect(cart.text).not.toContain('action="/cart/remove"');
    expect(subtotalOf(cart.text)).toBeUndefined();
    expect(headerCountOf(cart.text)).toBe(0);
  });
});

describe('a line whose product left the catalogue', () => {
  it('is neither listed nor counted in the header, and is not ordered', async () => {
    // A line written when `caviar` was still sold (the catalogue is a constant, changed by a deploy).
    await testShop.shop.db
      .insertInto('shop_cart_items')
      .values({ user_id: ALEX, product_id: 'caviar', quantity: 2, added_at: Date.now() })
      .execute();
    const onlyStale = await alex.get('/cart');
    expect(onlyStale.text).toContain('<p>Your cart is empty.</p>');
    expect(headerCountOf(onlyStale.text)).toBe(0);

    await add('bananas');
    const cart = await alex.get('/cart');
    expect(linesOf(cart.text).map((line) => line.productId)).toEqual(['bananas']);
    expect(headerCountOf(cart.text)).toBe(1);
    expect(headerCountOf((await alex.get('/')).text)).toBe(1);

    await alex.get('/checkout');
    const placed = await alex.post('/checkout', { expected_fee_cents: '399' });
    expect(placed.status).toBe(303);
    const orderId = decodeURIComponent((placed.headers.get('location') ?? '').split('/').pop() ?? '');
    const items = await testShop.shop.db
      .selectFrom('shop_order_items')
      .select(['product_id', 'quantity'])
      .where('order_id', '=', orderId)
      .execute();
    expect(items.map((item) => [item.product_id, Number(item.quantity)])).toEqual([['bananas', 1]]);
    // Placing the order took the stale line out of the cart too.
    expect(await alexCartRows()).toEqual([]);
  });
});

describe('refused cart posts', () => {
  it("refuses a post without the page's token, or from another site, changing nothing", async () => {
    await add('milk');
    await alex.get('/cart');
    const attempts: Array<{
      path: string;
      fields: Record<string, string>;
      headers: Record<string, string>;
      title: string;
    }> = [
      { path: '/cart/items', fields: { _csrf: '', product_id: 'eggs' }, headers: {}, title: 'Page expired' },
      { path: '/cart/remove', fields: { _csrf: '', product_id: 'milk' }, headers: {}, title: 'Page expired' },
      {
        path: '/cart/items',
        fields: { product_id: 'eggs' },
        headers: { origin: 'https://evil.example' },
        title: 'Request refused',
      },
      {
        path: '/cart/remove',
        fields: { product_id: 'milk' },
        headers: { origin: 'https://evil.example' },
        title: 'Request refused',
      },
    ];
    for (const { path, fields, headers, title } of attempts) {
      const response = await alex.post(path, fields, headers);
      expect(response.status, `${path} ${title}`).toBe(403);
      expect(response.text).toContain(`<h1>${title}</h1>`);
    }
    expect(await alexCartRows()).toEqual([{ product_id: 'milk', quantity: 1 }]);
  });

  it('sends a visitor to sign in, adding nothing', async () => {
    const visitor = testShop.client();
    const added = await visitor.post('/cart/items', { product_id: 'milk' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/signin?next=%2F');
    const removed = await visitor.post('/cart/remove', { product_id: 'milk' });
    expect(removed.headers.get('location')).toBe('/signin?next=%2Fcart');
    const cart = await visitor.get('/cart');
    expect(cart.status).toBe(303);
    expect(cart.headers.get('location')).toBe('/signin?next=%2Fcart');
    expect(await testShop.shop.db.selectFrom('shop_cart_items').selectAll().execute()).toEqual([]);
  });
});
