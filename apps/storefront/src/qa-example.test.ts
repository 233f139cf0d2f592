/**
 * The test a retailer's QA writes with the kit, as the closing note of the test-kit issue quotes it:
 * a lapsed Instacart+ member links, pays the delivery fee, renews, and gets $0 delivery.
 */
import { startTestEmulator } from '@cartlink/emulator/testing';
import { expect, it } from 'vitest';
import { ShopClient } from '../../../testing/shop-client';
import { addToCart, checkoutPage, linkAccount, verify } from '../../../testing/shop-steps';
import { parseEnv } from './env.js';
import { startStorefront } from './server-node.js';

it('charges a lapsed member the fee, and nothing once the membership is renewed', async () => {
  const emulator = await startTestEmulator({ child: true });
  const { admin, url } = emulator;
  const env = { DATABASE_URL: ':memory:', CONNECT_BASE_URL: url, CONNECT_AUTH_URL: `${url}/oauth/authorize` };
  const shop = await startStorefront((port) =>
    parseEnv({ ...env, PUBLIC_URL: `http://127.0.0.1:${port}` }),
  ).catch(async (error: unknown) => {
    await emulator.stop();
    throw error;
  });
  try {
    const app = { client_id: 'cartlink-demo', client_secret: 'cartlink-demo-secret', name: 'Corner Market' };
    await admin.registerApp({ ...app, redirect_uris: [`${shop.url}/account/profile`] });
    const member = await admin.seedShopper('lapsed');
    const shopper = new ShopClient(shop.url);
    expect((await shopper.signIn('alex@example.com')).status).toBe(303);
    expect((await linkAccount(shopper, admin, member.id)).outcome).toBe('linked');
    expect(await addToCart(shopper, 'bananas')).toBe(303);
    expect((await checkoutPage(shopper)).feeCents).toBe(399);

    await admin.renewMembership(member.id);
    expect((await verify(shopper)).status?.state).toBe('linked-active');
    expect((await checkoutPage(shopper)).feeCents).toBe(0);
  } finally {
    await shop.close();
    await emulator.stop();
  }
});
