import { RECONCILIATION_CSV_HEADER } from '@cartlink/linking';
import { afterEach, describe, expect, it } from 'vitest';
import { currentMonth, PeriodError, parsePeriod } from './reconciliation.js';
import { createTestShop, linkAccount, type TestShop } from './test-support.js';

let testShop: TestShop | undefined;

afterEach(async () => {
  await testShop?.close();
  testShop = undefined;
});

const PRODUCT_HEADER =
  'order_id,placed_at,user_id,waived_cents,currency,instacartplus_member,expired_at,verified_at,verification';

describe('parsePeriod', () => {
  const now = new Date('2025-02-14T12:00:00Z');

  it('defaults to the current UTC month', () => {
    expect(currentMonth(now)).toEqual({ fromDay: '2025-02-01', toDay: '2025-02-28' });
    const period = parsePeriod({}, now);
    expect(period.from.toISOString()).toBe('2025-02-01T00:00:00.000Z');
    expect(period.to.toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });

  it('includes the whole of the `to` day', () => {
    const period = parsePeriod({ from: '2025-01-31', to: '2025-01-31' }, now);
    expect(period.from.toISOString()).toBe('2025-01-31T00:00:00.000Z');
    expect(period.to.toISOString()).toBe('2025-02-01T00:00:00.000Z');
  });

  it.each([
    [{ from: '2025-1-5', to: '2025-01-31' }, '"from" must be a date'],
    [{ from: '2025-01-01', to: '31/01/2025' }, '"to" must be a date'],
    [{ from: '2025-02-30', to: '2025-03-01' }, '"from" must be a date'],
    [{ from: '2025-03-01', to: '2025-02-01' }, '"from" must not be after "to"'],
    [{ from: '2020-01-01', to: '2025-01-01' }, 'at most 366 days'],
  ])('refuses %j', (query, message) => {
    expect(() => parsePeriod(query, now)).toThrow(PeriodError);
    expect(() => parsePeriod(query, now)).toThrow(message);
  });
});

/** A shop whose clock sits at `clock.now`, with one discounted order placed by Alex at each given time. */
async function shopWithDiscountedOrders(placedAt: Date[]): Promise<TestShop> {
  const clock = { now: placedAt[0] ?? new Date() };
  testShop = await createTestShop({ deps: { now: () => clock.now } });
  const alex = testShop.client();
  await alex.signIn('alex@example.com');
  const member = testShop.emulator.createInstacartUser({
    email: 'report@instacart.test',
    password: 'instacart',
    instacartplusMember: true,
    // The emulator runs on real time; keep the subscription active whatever the shop's clock says.
    expiredAt: new Date(Date.now() + 5 * 365 * 86_400_000),
  });
  expect((await linkAccount(testShop, alex, member.id)).outcome).toBe('linked');
  for (const at of placedAt) {
    clock.now = at;
    // Days apart on the shop's clock, so the previous session has expired: sign in again.
    await alex.signIn('alex@example.com');
    await alex.get('/');
    await alex.post('/cart/items', { product_id: 'milk' });
    const placed = await alex.post('/checkout', { expected_fee_cents: '0' });
    expect(placed.headers.get('location')).toMatch(/^\/orders\/CM-/);
  }
  return testShop;
}

describe('reconciliation report', () => {
  it('is for the admin only: others get 403, visitors are sent to sign in', async () => {
    testShop = await createTestShop();
    const visitor = await testShop.client().get('/admin/reconciliation?from=2025-01-01&to=2025-01-31');
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get('location')).toBe(
      `/signin?next=${encodeURIComponent('/admin/reconciliation?from=2025-01-01&to=2025-01-31')}`,
    );
    const alex = testShop.client();
    await alex.signIn('alex@example.com');
    expect((await alex.get('/admin/reconciliation')).status).toBe(403);
    expect((await alex.get('/admin/reconciliation.csv')).status).toBe(403);
    expect((await alex.get('/')).text).not.toContain('href="/admin/reconciliation"');
    const admin = testShop.client();
    await admin.signIn('admin@example.com');
    const page = await admin.get('/admin/reconciliation');
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/admin/reconciliation" aria-current="page">Report</a>');
  });

  it('lists the period’s discounts with totals, a chart and the CSV link', async () => {
    const shop = await shopWithDiscountedOrders([
      new Date('2025-01-10T09:00:00Z'),
      new Date('2025-01-12T18:30:00Z'),
    ]);
    const admin = shop.client();
    await admin.signIn('admin@example.com');
    const page = await admin.get('/admin/reconciliation?from=2025-01-01&to=2025-01-31');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<dt>Discounted orders</dt><dd>2</dd>');
    expect(page.text).toContain('<dt>Delivery fees waived</dt><dd>$7.98</dd>');
    expect(page.text).toMatch(/<svg viewBox="[^"]+" role="img" aria-labelledby="chart-title-0 chart-desc-0"/);
    expect(page.text).toContain('<title id="chart-title-0">Waived delivery fees by day (USD)</title>');
    expect(page.text.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(page.text).toContain('<th scope="row">2025-01-10</th>');
    expect(page.text).toContain('alex@example.com');
    expect(page.text).toContain('href="/admin/reconciliation.csv?from=2025-01-01&amp;to=2025-01-31"');
  });

  it('exports the CSV with docs/product.md’s header, `to` inclusive', async () => {
    const shop = await shopWithDiscountedOrders([
      new Date('2025-01-31T23:59:59Z'),
      new Date('2025-02-01T00:00:00Z'),
      new Date('2025-01-01T00:00:00Z'),
    ]);
    const admin = shop.client();
    await admin.signIn('admin@example.com');
    const response = await admin.get('/admin/reconciliation.csv?from=2025-01-01&to=2025-01-31');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="corner-market-delivery-discounts-2025-01-01-to-2025-01-31.csv"',
    );
    const lines = response.text.split('\r\n');
    expect(lines[0]).toBe(PRODUCT_HEADER);
    expect(RECONCILIATION_CSV_HEADER.join(',')).toBe(PRODUCT_HEADER);
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(1, -1).map((line) => line.split(','));
    expect(rows.map((row) => row[1])).toEqual(['2025-01-01T00:00:00.000Z', '2025-01-31T23:59:59.000Z']);
    for (const row of rows) {
      expect(row[0]).toMatch(/^CM-[0-9A-F]{12}$/);
      expect(row[2]).toBe('5d1f0c3e-8a4b-4c6e-9f21-a1e0c0de0001');
      expect(row.slice(3, 6)).toEqual(['399', 'USD', 'true']);
      expect(row[8]).toBe('fresh');
    }
  });

  it('answers bad dates with 400 and a clear message', async () => {
    testShop = await createTestShop();
    const admin = testShop.client();
    await admin.signIn('admin@example.com');
    const csv = await admin.get('/admin/reconciliation.csv?from=2025-13-01&to=2025-01-31');
    expect(csv.status).toBe(400);
    expect(csv.text).toBe('Bad period: "from" must be a date written YYYY-MM-DD, for example 2025-01-31.\n');
    const backwards = await admin.get('/admin/reconciliation.csv?from=2025-02-01&to=2025-01-31');
    expect(backwards.status).toBe(400);
    expect(backwards.text).toContain('"from" must not be after "to"');
    const page = await admin.get('/admin/reconciliation?from=yesterday');
    expect(page.status).toBe(400);
    expect(page.text).toContain('&quot;from&quot; must be a date written YYYY-MM-DD');
  });
});
