/**
 * @module Section 5's set-up: an emulator and a storefront child of their own, and the sessions the
 * requests carry: a linked shopper with a cart, the admin, a signed-out visitor on `/signin`, and a
 * signed-out visit to the emulator's consent page.
 */
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import type { StorefrontDatabase } from '@cartlink/storefront';
import type { Kysely } from 'kysely';
import type { ChildServer } from '../../testing/processes';
import { CookieJar, readCsrf, ShopClient } from '../../testing/shop-client';
import { runLinkFlow, signIn } from '../lib/flows';
import { registerShop, SHOP_APP } from '../lib/instacart';
import type { SectionContext } from '../lib/report';
import type { Scope } from '../lib/scope';
import { startEmulatorChild, startSqliteStorefront } from '../lib/servers';
import { createShoppers } from '../lib/shoppers';
import type { FuzzEnv } from './target';

/** The servers under fuzzing and what the requests carry. */
export interface FuzzRun {
  emulator: ChildServer;
  shop: ChildServer;
  admin: EmulatorAdmin;
  /** The storefront's SQLite file, for the stored-input rows. */
  db: Kysely<StorefrontDatabase>;
  env: FuzzEnv;
}

/** Starts both servers, links a shopper and opens the sessions; throws when a session is missing. */
export async function setUpFuzz(ctx: SectionContext, scope: Scope): Promise<FuzzRun> {
  // Hundreds of log-in posts come from 127.0.0.1, at the same few emails: the emulator's log-in
  // limits are raised explicitly, so that these rows test the form's input handling, not the
  // throttle (the emulator's own tests attack the throttle).
  const emulator = await startEmulatorChild(scope, 'emulator (fuzz)', [
    ...['--login-attempts-per-address', '1000000'],
    ...['--login-failures-per-account', '1000000'],
  ]);
  const admin = new EmulatorAdmin(emulator.url);
  const { shop, db } = await startSqliteStorefront(scope, {
    name: 'storefront (fuzz)',
    file: 'fuzz.db',
    tmpDir: ctx.tmpDir,
    emulatorUrl: emulator.url,
  });
  const redirectUri = `${shop.url}/account/profile`;
  await registerShop(admin, [redirectUri]);
  const [shopper] = await createShoppers(db, admin, 1, 'fuzz');
  if (!shopper) throw new Error('no fuzz shopper');

  // Sessions: a linked shopper with a cart, the admin, and a signed-out visitor on /signin.
  const shopperClient = new ShopClient(shop.url);
  const linked = await runLinkFlow(shopperClient, shopper, admin);
  const home = await shopperClient.get('/');
  const adminClient = new ShopClient(shop.url);
  await signIn(adminClient, 'admin@example.com', 'cartlink-demo');
  const anonClient = new ShopClient(shop.url);
  const signInPage = await anonClient.get('/signin');
  const env: FuzzEnv = {
    shop: shop.url,
    emulator: emulator.url,
    redirectUri,
    shopperCookie: shopperClient.jar.header() ?? '',
    shopperCsrf: readCsrf(home.text) ?? '',
    adminCookie: adminClient.jar.header() ?? '',
    anonCookie: anonClient.jar.header() ?? '',
    anonCsrf: readCsrf(signInPage.text) ?? '',
    bearer: await admin.fulfillmentToken(SHOP_APP.clientId, SHOP_APP.clientSecret),
    emulatorLogin: await openConsentPage(emulator.url, redirectUri),
  };
  if (linked.outcome !== 'linked' || !env.shopperCsrf || !env.anonCsrf || !env.emulatorLogin.csrf) {
    throw new Error(`fuzz setup incomplete (link ${linked.outcome})`);
  }
  return { emulator, shop, admin, db, env };
}

/** A signed-out visit to the consent page: its session cookie and the log-in form's hidden fields. */
async function openConsentPage(emulatorUrl: string, redirectUri: string): Promise<FuzzEnv['emulatorLogin']> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: SHOP_APP.clientId,
    redirect_uri: redirectUri,
    scope: 'account_linking',
    state: 'fuzz',
  });
  const response = await fetch(`${emulatorUrl}/oauth/authorize?${query}`);
  const jar = new CookieJar();
  jar.store(response.headers.getSetCookie());
  const page = await response.text();
  return {
    cookie: jar.header() ?? '',
    csrf: /name="csrf_token" value="([^"]+)"/.exec(page)?.[1] ?? '',
    authorizationId: /name="authorization_id" value="([^"]+)"/.exec(page)?.[1] ?? '',
  };
}
