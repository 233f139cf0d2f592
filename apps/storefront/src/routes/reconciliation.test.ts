/**
 * The reconciliation report and its CSV as `admin-routes.ts` serves them, in process: orders on either
 * side of a UTC month boundary, an empty period (the CSV is then its header line alone), the default
 * period from the shop's clock, and ledger entries whose fields need CSV quoting, in two currencies.
 * The shop and the emulator share one clock. (`admin.test.ts` covers access, the period parser, bad
 * dates and the CSV's headers.)
 */
import { createEmulator } from '@cartlink/emulator';
import { createSqlStorage } from '@cartlink/linking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopClient } from '../../../../testing/shop-client';
import { createTestShop, EMULATOR_URL, linkAccount, type TestShop } from '../test-support.js';
import { DEMO_USERS } from '../users.js';
import { formatDateTime } from '../views/shop-views.js';

const ALEX = DEMO_USERS.find((user) => user.email === 'alex@example.com')?.id ?? '';
const HEADER =
  'order_id,placed_at,user_id,waived_cents,currency,instacartplus_member,expired_at,verified_at,verification';
const MEMBERSHIP_END = '2035-01-01T00:00:00.000Z';

/** The last millisecond of January and the first of February, UTC. */
const LAST_OF_JANUARY = '2025-01-31T23:59:59.999Z';
const FIRST_OF_FEBRUARY = '2025-02-01T00:00:00.000Z';

let testShop: TestShop;
const clock = { now: new Date('2025-01-31T23:00:00.000Z') };
/** The order ids placed at LAST_OF_JANUARY and FIRST_OF_FEBRUARY. */
let januaryOrder = '';
let februaryOrder = '';

/** Alex places an order of one milk at `at`, with $0 delivery. */
async function placeDiscountedOrder(alex: ShopClient, at: string): Promise<string> {
  await alex.get('/');
  await alex.post('/cart/items', { product_id: 'milk' });
  clock.now = new Date(at);
  const placed = await alex.post('/checkout', { expected_fee_cents: '0' });
  expect(placed.status).toBe(303);
  return (placed.headers.get('location') ?? '').slice('/orders/'.length);
}

beforeAll(async () => {
  const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL, now: () => clock.now });
  testShop = await createTestShop({ emulator, deps: { now: () => clock.now } });
  const alex = testShop.client();
  await alex.signIn('alex@example.com');
  const member = emulator.createInstacartUser({
    email: 'report-member@instacart.test',
    password: 'instacart',
    instacartplusMember: true,
    expiredAt: new Date(MEMBERSHIP_END),
  });
  expect((await linkAccount(testShop, alex, member.id)).outcome).toBe('linked');
  januaryOrder = await placeDiscountedOrder(alex, LAST_OF_JANUARY);
  februaryOrder = await placeDiscountedOrder(alex, FIRST_OF_FEBRUARY);
});

afterAll(async () => {
  await testShop.close();
});

/** The admin, signed in at the clock's current time. */
async function signInAdmin(): Promise<ShopClient> {
  const admin = testShop.client();
  expect((await admin.signIn('admin@example.com')).status).toBe(303);
  return admin;
}

/** The CSV line of one of Alex's orders placed (and verified) at `at`. */
function csvLine(orderId: string, at: string): string {
  return `${orderId},${at},${ALEX},399,USD,true,${MEMBERSHIP_END},${at},fresh`;
}

/** The report page's totals: discounted orders and the fees waived. */
function totalsOf(page: string): { orders: string | undefined; waived: string | undefined } {
  return {
    orders: /<dt>Discounted orders<\/dt><dd>([^<]*)<\/dd>/.exec(page)?.[1],
    waived: /<dt>Delivery fees waived<\/dt><dd>([^<]*)<\/dd>/.exec(page)?.[1],
  };
}

/** The rows of the chart's data table: day, orders, amount. */
function chartRowsOf(page: string): string[][] {
  const rows = page.matchAll(
    /<tr><th scope="row">(\d{4}-\d{2}-\d{2})<\/th><td class="num">(\d+)<\/td><td class="num">([^<]+)<\/td><\/tr>/g,
  );
  return [...rows].map(([, day = '', orders = '', amount = '']) => [day, orders, amount]);
}

/** The order ids of the discount list, in the order shown. */
function listedOrdersOf(page: string): string[] {
  return [...page.matchAll(/<th scope="row" class="nowrap">([^<]*)<\/th>/g)].map((match) => match[1] ?? '');
}

describe('a UTC month boundary', () => {
  it('puts an order placed in the last millisecond of January in January, and the next one in February', async () => {
    const admin = await signInAdmin();
    const january = await admin.get('/admin/reconciliation?from=2025-01-01&to=2025-01-31');
    expect(totalsOf(january.text)).toEqual({ orders: '1', waived: '$3.99' });
    expect(chartRowsOf(january.text)).toEqual([['2025-01-31', '1', '$3.99']]);
    expect(january.text.match(/<rect class="bar"/g)).toHaveLength(1);
    expect(listedOrdersOf(january.text)).toEqual([januaryOrder]);

    const february = await admin.get('/admin/reconciliation?from=2025-02-01&to=2025-02-28');
    expect(totalsOf(february.text)).toEqual({ orders: '1', waived: '$3.99' });
    expect(chartRowsOf(february.text)).toEqual([['2025-02-01', '1', '$3.99']]);
    expect(listedOrdersOf(february.text)).toEqual([februaryOrder]);
  });

  it('exports each to its own month, and both, oldest first, for a period across the boundary', async () => {
    const admin = await signInAdmin();
    const january = await admin.get('/admin/reconciliation.csv?from=2025-01-01&to=2025-01-31');
    expect(january.text).toBe(`${HEADER}\r\n${csvLine(januaryOrder, LAST_OF_JANUARY)}\r\n`);
    const february = await admin.get('/admin/reconciliation.csv?from=2025-02-01&to=2025-02-28');
    expect(february.text).toBe(`${HEADER}\r\n${csvLine(februaryOrder, FIRST_OF_FEBRUARY)}\r\n`);
    const across = await admin.get('/admin/reconciliation.csv?from=2025-01-31&to=2025-02-01');
    expect(across.text).toBe(
      `${HEADER}\r\n${csvLine(januaryOrder, LAST_OF_JANUARY)}\r\n${csvLine(februaryOrder, FIRST_OF_FEBRUARY)}\r\n`,
    );
  });
});

describe('an empty period', () => {
  it('exports the header line alone, CRLF-terminated', async () => {
    const admin = await signInAdmin();
    const csv = await admin.get('/admin/reconciliation.csv?from=2025-03-01&to=2025-03-31');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.text).toBe(`${HEADER}\r\n`);
  });

  it('shows zero totals, no bars, and says that no fee was waived', async () => {
    const admin = await signInAdmin();
    const page = await admin.get('/admin/reconciliation?from=2025-03-01&to=2025-03-31');
    expect(page.status).toBe(200);
    expect(totalsOf(page.text)).toEqual({ orders: '0', waived: '$0.00' });
    expect(page.text).not.toContain('<rect class="bar"');
    expect(chartRowsOf(page.text)).toEqual([]);
    expect(page.text).toContain(
      '<desc id="chart-desc-0">Bar chart from 2025-03-01 to 2025-03-31: $0.00 waived on 0 days. The table below lists each day.</desc>',
    );
    expect(page.text.match(/<p>No delivery fees were waived in this period\.<\/p>/g)).toHaveLength(2);
    expect(listedOrdersOf(page.text)).toEqual([]);
  });
});

describe('the default period', () => {
  it("is the current UTC month of the shop's clock, on the page and in the CSV", async () => {
    clock.now = new Date('2025-02-14T08:00:00.000Z');
    const admin = await signInAdmin();
    const page = await admin.get('/admin/reconciliation');
    expect(page.text).toContain('<h2 id="totals-title">Totals, 2025-02-01 to 2025-02-28</h2>');
    expect(page.text).toContain('<input id="from" name="from" type="date" required value="2025-02-01">');
    expect(page.text).toContain('<input id="to" name="to" type="date" required value="2025-02-28">');
    expect(listedOrdersOf(page.text)).toEqual([februaryOrder]);

    const csv = await admin.get('/admin/reconciliation.csv');
    expect(csv.headers.get('content-disposition')).toBe(
      'attachment; filename="corner-market-delivery-discounts-2025-02-01-to-2025-02-28.csv"',
    );
    expect(csv.text).toBe(`${HEADER}\r\n${csvLine(februaryOrder, FIRST_OF_FEBRUARY)}\r\n`);
  });
});

describe('ledger entries whose fields need care', () => {
  // Entries another system wrote to the shared ledger (a shop's own ids never hold these characters):
  // the CSV must still be one record per entry, and the page must show them as text.
  const odd = {
    orderId: 'POS-7,"B"\r\nX',
    userId: 'kiosk, "north"',
    placedAt: new Date('2025-04-02T10:00:00.000Z'),
    waivedCents: 1250,
    currency: 'CAD',
    instacartplusMember: false,
    expiredAt: null,
    verifiedAt: new Date('2025-04-02T09:55:00.000Z'),
    verification: 'grace' as const,
  };
  const plain = {
    orderId: 'CM-00000000000A',
    userId: ALEX,
    placedAt: new Date('2025-04-03T00:00:00.000Z'),
    waivedCents: 399,
    currency: 'USD',
    instacartplusMember: true,
    expiredAt: new Date('2025-12-31T00:00:00.000Z'),
    verifiedAt: new Date('2025-04-03T00:00:00.000Z'),
    verification: 'fresh' as const,
  };

  beforeAll(async () => {
    const ledger = createSqlStorage(testShop.shop.db).discounts;
    await ledger.record(odd);
    await ledger.record(plain);
  });

  it('quotes a field with a comma, a quote or a line break, and writes amounts as whole cents', async () => {
    const admin = await signInAdmin();
    const csv = await admin.get('/admin/reconciliation.csv?from=2025-04-01&to=2025-04-30');
    expect(csv.text).toBe(
      [
        HEADER,
        '"POS-7,""B""\r\nX",2025-04-02T10:00:00.000Z,"kiosk, ""north""",1250,CAD,false,,2025-04-02T09:55:00.000Z,grace',
        `CM-00000000000A,2025-04-03T00:00:00.000Z,${ALEX},399,USD,true,2025-12-31T00:00:00.000Z,2025-04-03T00:00:00.000Z,fresh`,
        '',
      ].join('\r\n'),
    );
  });

  it('shows them escaped, with totals and a chart per currency', async () => {
    const admin = await signInAdmin();
    const page = await admin.get('/admin/reconciliation?from=2025-04-01&to=2025-04-30');
    expect(totalsOf(page.text)).toEqual({ orders: '2', waived: 'CA$12.50 + $3.99' });
    expect(page.text).toContain('<title id="chart-title-0">Waived delivery fees by day (CAD)</title>');
    expect(page.text).toContain('<title id="chart-title-1">Waived delivery fees by day (USD)</title>');
    expect(chartRowsOf(page.text)).toEqual([
      ['2025-04-02', '1', 'CA$12.50'],
      ['2025-04-03', '1', '$3.99'],
    ]);
    expect(listedOrdersOf(page.text)).toEqual(['POS-7,&quot;B&quot;\r\nX', 'CM-00000000000A']);
    // Times as the order pages write them (`formatDateTime`, UTC); the other cells exactly.
    const cells = (orderId: string) =>
      page.text
        .split('<th scope="row" class="nowrap">')
        .find((row) => row.startsWith(orderId))
        ?.split('</tr>')[0]
        ?.match(/<td[^>]*>(.*?)<\/td>/g);
    expect(cells('POS-7')).toEqual([
      `<td>${formatDateTime(odd.placedAt)}</td>`,
      '<td>kiosk, &quot;north&quot;</td>',
      '<td class="num">CA$12.50</td>',
      '<td>No</td>',
      '<td>—</td>',
      `<td>${formatDateTime(odd.verifiedAt)}</td>`,
      '<td><span class="tag tag-warning">grace</span></td>',
    ]);
    expect(cells('CM-00000000000A')).toEqual([
      `<td>${formatDateTime(plain.placedAt)}</td>`,
      '<td>alex@example.com</td>',
      '<td class="num">$3.99</td>',
      '<td>Yes</td>',
      '<td>2025-12-31</td>',
      `<td>${formatDateTime(plain.verifiedAt)}</td>`,
      '<td><span class="tag">fresh</span></td>',
    ]);
  });
});
