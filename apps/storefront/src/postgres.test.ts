import { createEmulator } from '@cartlink/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../../../testing/postgres.js';
import type { ShopClient } from '../../../testing/shop-client';
import { startLink } from '../../../testing/shop-steps';
import { createTestShop, EMULATOR_URL, type TestShop } from './test-support.js';

// Without a PostgreSQL server this suite says so and is skipped; under CI=true a missing server fails.
const available = await isPostgresAvailable();

describe.skipIf(!available)('several storefront instances on one PostgreSQL database', () => {
  let database: TestDatabase;
  let shops: TestShop[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL });
    // Started together: migrations and the demo seed must cope with a concurrent start.
    shops = await Promise.all([
      createTestShop({ env: { DATABASE_URL: database.url }, emulator }),
      // This one builds its own elements bundle, as a separate process would.
      createTestShop({ env: { DATABASE_URL: database.url }, emulator, deps: { elementsBundle: undefined } }),
    ]);
  });

  afterAll(async () => {
    for (const shop of shops) await shop.close();
    await database?.drop();
  });

  /** The same browser tab, its next request served by the other instance. */
  function moveTo(client: ShopClient, shop: TestShop): ShopClient {
    const moved = shop.client({ jar: client.jar });
    moved.csrfToken = client.csrfToken;
    return moved;
  }

  it('runs on PostgreSQL', () => {
    expect(shops.map((shop) => shop.shop.dialect)).toEqual(['postgres', 'postgres']);
  });

  it('links the same asset URLs from every instance, so a page from one loads its assets from another', () => {
    const [a, b] = shops as [TestShop, TestShop];
    expect(b.shop.assets.urls).toEqual(a.shop.assets.urls);
  });

  it('serves one shopper from either instance: session, cart, link, checkout and report', async () => {
    const [a, b] = shops as [TestShop, TestShop];
    const onA = a.client();
    await onA.signIn('alex@example.com');
    const onB = moveTo(onA, b);
    // The session made on A is known to B, and so is its CSRF token.
    expect((await onB.get('/')).text).toContain('Hi, Alex');
    expect((await onB.post('/cart/items', { product_id: 'avocados' })).status).toBe(303);
    expect((await moveTo(onB, a).get('/cart')).text).toContain('Hass avocados');

    // The link transaction started on A (the Link form's POST) is completed by B.
    const member = a.emulator.createInstacartUser({
      email: 'pg@instacart.test',
      password: 'instacart',
      instacartplusMember: true,
    });
    const url = (await startLink(moveTo(onB, a))).authorizationUrl;
    const code = a.emulator.authorizeForTest({
      instacartUserId: member.id,
      clientId: 'cartlink-demo',
      redirectUri: 'http://shop.test/account/profile',
      codeChallenge: url.searchParams.get('code_challenge') ?? '',
    });
    // A completed link rotates the session id: carry on with the tab that received the new cookie.
    const linkingTab = moveTo(onB, b);
    const linked = await linkingTab.postJson('/cartlink/link', {
      code,
      state: url.searchParams.get('state'),
    });
    expect(JSON.parse(linked.text)).toMatchObject({ outcome: 'linked', status: { state: 'linked-active' } });

    const checkoutOnB = moveTo(linkingTab, b);
    const page = await checkoutOnB.get('/checkout');
    expect(page.text).toContain('data-delivery-fee-cents="0"');
    const placed = await checkoutOnB.post('/checkout', { expected_fee_cents: '0' });
    expect(placed.status).toBe(303);
    const orderPath = placed.headers.get('location') ?? '';
    expect((await moveTo(checkoutOnB, a).get(orderPath)).text).toContain('You saved $3.99 with Instacart+');

    const admin = a.client();
    await admin.signIn('admin@example.com');
    const csv = await moveTo(admin, b).get('/admin/reconciliation.csv');
    expect(csv.text).toContain(`${orderPath.slice('/orders/'.length)},`);
    expect(csv.text).toContain(',399,USD,true,');
  });

  it('places one order from two concurrent submissions of the same cart', async () => {
    const [a, b] = shops as [TestShop, TestShop];
    const onA = a.client();
    await onA.signIn('casey@example.com');
    await onA.get('/');
    await onA.post('/cart/items', { product_id: 'eggs' });
    const onB = moveTo(onA, b);
    const responses = await Promise.all([
      onA.post('/checkout', { expected_fee_cents: '399' }),
      onB.post('/checkout', { expected_fee_cents: '399' }),
    ]);
    expect(responses.map((response) => response.status).sort()).toEqual([303, 409]);
    const orders = await a.shop.db
      .selectFrom('shop_orders')
      .select('id')
      .where('user_id', '=', '5d1f0c3e-8a4b-4c6e-9f21-ca5e70de0003')
      .execute();
    expect(orders).toHaveLength(1);
  });
});
