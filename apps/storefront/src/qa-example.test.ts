/**
 * The test a retailer's QA writes with the kit, kept here as it stands in the closing note of the
 * test-kit issue: a lapsed Instacart+ member links, pays the delivery fee, renews, and gets $0 delivery.
 */
import { startTestEmulator } from '@cartlink/emulator/testing';
import { expect, it } from 'vitest';
import { ShopClient } from '../../../testing/shop-client';
import { addToCart, checkoutPage, linkAccount } from '../../../testing/shop-steps';
import { parseEnv } from './env.js';
import { startStorefront } from './server-node.js';

it('charges a lapsed member the fee, and nothing once the membership is renewed', async () => {
  const emulator = await startTestEmulator({ child: true });
  const shop = await startStorefront((port) =>
    parseEnv({
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: ':memory:',
      CONNECT_BASE_URL: emulator.url,
      CONNECT_AUTH_URL: `${emulator.url}/oauth/authorize`,
      LOG_LEVEL: 'silent',
    }),
  );
  try {
    await emulator.admin.registerApp({
      client_id: 'cartlink-demo',
      client_secret: 'cartlink-demo-secret',
      name: 'Corner Market',
      redirect_uris: [`${shop.url}/account/profile`],
    });
    const member = await emulator.admin.seedShopper('lapsed');
    const shopper = new ShopClient(shop.url);
    await shopper.signIn('alex@example.com');
    expect((await linkAccount(shopper, emulator.admin, member.id)).outcome).toBe('linked');
    await addToCart(shopper, 'bananas');
    expect((await checkoutPage(shopper)).feeCents).toBe(399);

    await emulator.admin.renewMembership(member.id);
    await shopper.postJson('/cartlink/verify', {});
    expect((await checkoutPage(shopper)).feeCents).toBe(0);
  } finally {
    await shop.close();
    await emulator.stop();
  }
});
