import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ShopClient, unescapeHtml } from '../../../testing/shop-client';
import { MAX_QUANTITY } from './catalogue.js';
import { integerField, parseFields } from './form-fields.js';
import { HttpError } from './http.js';
import { createTestShop, type TestShop } from './test-support.js';

/** Values that `Number()` or `parseInt()` would read as some number (or NaN), and the shop refuses. */
const MALFORMED = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e3',
  '1E3',
  ' 1',
  '1 ',
  '\t1',
  '0x10',
  '0b1',
  '0o7',
  '1.5',
  '1.0',
  '.5',
  '+1',
  '01',
  '-0',
  '1_000',
  '1,000',
  '١',
  '',
  '399abc',
  '9'.repeat(400),
];

describe('integerField', () => {
  const schema = z.object({ n: integerField('number', { min: 0, max: 1000 }) });

  it.each(MALFORMED)('refuses %j with a 400 that names the field', (value) => {
    let error: unknown;
    try {
      parseFields(schema, { n: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 400, message: expect.stringContaining('The number must be') });
  });

  it('refuses a missing required field and values out of bounds', () => {
    expect(() => parseFields(schema, {})).toThrow(HttpError);
    expect(() => parseFields(schema, { n: '-1' })).toThrow(HttpError);
    expect(() => parseFields(schema, { n: '1001' })).toThrow(HttpError);
  });

  it('reads canonical integers within bounds', () => {
    expect(parseFields(schema, { n: '0' })).toEqual({ n: 0 });
    expect(parseFields(schema, { n: '399' })).toEqual({ n: 399 });
    expect(parseFields(schema, { n: '1000' })).toEqual({ n: 1000 });
    const signed = z.object({ n: integerField('n', { min: -5, max: 5 }) });
    expect(parseFields(signed, { n: '-5' })).toEqual({ n: -5 });
  });
});

describe('malformed numbers over HTTP', () => {
  let testShop: TestShop;
  let alex: ShopClient;
  let admin: ShopClient;

  beforeAll(async () => {
    testShop = await createTestShop();
    alex = testShop.client();
    await alex.signIn('alex@example.com');
    admin = testShop.client();
    await admin.signIn('admin@example.com');
  });

  afterAll(async () => {
    await testShop.close();
  });

  async function cartQuantities(): Promise<Record<string, number>> {
    const rows = await testShop.shop.db.selectFrom('shop_cart_items').selectAll().execute();
    return Object.fromEntries(rows.map((row) => [`${row.user_id}/${row.product_id}`, Number(row.quantity)]));
  }

  async function orderCount(): Promise<number> {
    return (await testShop.shop.db.selectFrom('shop_orders').select('id').execute()).length;
  }

  it('POST /checkout refuses a malformed or missing expected_fee_cents with a 400 page and places nothing', async () => {
    await alex.get('/');
    expect((await alex.post('/cart/items', { product_id: 'bananas' })).status).toBe(303);
    await alex.get('/checkout');
    for (const value of [...MALFORMED, '-1', '100001']) {
      const response = await alex.post('/checkout', { expected_fee_cents: value });
      expect(response.status, `expected_fee_cents=${JSON.stringify(value)}`).toBe(400);
      expect(response.text).toContain('The expected delivery fee must be a whole number');
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    }
    expect((await alex.post('/checkout', {})).status).toBe(400);
    expect(await orderCount()).toBe(0);
    // Control: the value the page wrote places the order.
    expect((await alex.post('/checkout', { expected_fee_cents: '399' })).status).toBe(303);
    expect(await orderCount()).toBe(1);
  });

  it('POST /cart/items refuses a malformed or out-of-range quantity and adds nothing', async () => {
    await alex.get('/');
    const before = await cartQuantities();
    for (const value of [...MALFORMED, '0', '-1', String(MAX_QUANTITY + 1)]) {
      const response = await alex.post('/cart/items', { product_id: 'coffee', quantity: value });
      expect(response.status, `quantity=${JSON.stringify(value)}`).toBe(400);
      expect(response.text).toContain(`The quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
    }
    expect(await cartQuantities()).toEqual(before);
    // Control: a valid quantity adds that many, and no line goes past the maximum.
    expect((await alex.post('/cart/items', { product_id: 'coffee', quantity: '3' })).status).toBe(303);
    expect((await alex.post('/cart/items', { product_id: 'coffee' })).status).toBe(303);
    const after = await cartQuantities();
    const coffee = Object.entries(after).find(([line]) => line.endsWith('/coffee'))?.[1];
    expect(coffee).toBe(4);
    expect(
      (await alex.post('/cart/items', { product_id: 'coffee', quantity: String(MAX_QUANTITY) })).status,
    ).toBe(303);
    const capped = Object.entries(await cartQuantities()).find(([line]) => line.endsWith('/coffee'))?.[1];
    expect(capped).toBe(MAX_QUANTITY);
  });

  it.each(['/admin/reconciliation', '/admin/reconciliation.csv'])(
    '%s refuses malformed from/to with a 400 and a message',
    async (path) => {
      const bad = [
        'NaN',
        '1e3',
        ' 2025-01-01',
        '2025-01-01 ',
        '0x10',
        '1.5',
        '',
        '2025-1-1',
        '2025-01-01T00:00:00Z',
        '+2025-01-01',
        '20250101',
        '2025-02-30',
        '١٢٣٤-٠١-٠١',
      ];
      for (const value of bad) {
        for (const name of ['from', 'to']) {
          const other = name === 'from' ? 'to=2025-01-31' : 'from=2025-01-01';
          const response = await admin.get(`${path}?${name}=${encodeURIComponent(value)}&${other}`);
          expect(response.status, `${name}=${JSON.stringify(value)}`).toBe(400);
          expect(unescapeHtml(response.text)).toContain(`"${name}" must be a date written YYYY-MM-DD`);
        }
      }
      // Control: a well-formed period is served.
      expect((await admin.get(`${path}?from=2025-01-01&to=2025-01-31`)).status).toBe(200);
    },
  );
});
