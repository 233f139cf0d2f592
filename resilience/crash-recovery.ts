/**
 * @module Section 3: `kill -9` of the storefront process in the middle of 50 shoppers' flows (sign
 * in, add to cart, link, checkout, place order), then a restart on the same SQLite file. The file
 * must pass SQLite's own checks, nothing may be half-written (an order without its lines or its
 * ledger entry, a ledger entry without its order, rows of users that do not exist), and after one
 * more verification per shopper the link records must match the emulator's links. Every shopper
 * must be able to link again.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import { openDatabase } from '@cartlink/linking/node';
import type { StorefrontDatabase } from '@cartlink/storefront';
import Database from 'better-sqlite3';
import { type ChildServer, findFreePort } from '../testing/processes';
import { isShed, ShopClient, type ShopResponse } from '../testing/shop-client';
import { addToCart, checkoutPage, getStatus, placeOrder, verify } from '../testing/shop-steps';
import { runLinkFlow, signIn } from './lib/flows';
import { compareLinks, registerShop, SHOP_APP, shopLinks } from './lib/instacart';
import { describeError, histogram, type SectionContext } from './lib/report';
import { inScope, mapLimit, withTimeout } from './lib/scope';
import { startEmulatorChild, startStorefrontChild } from './lib/servers';
import { createShoppers, type Shopper } from './lib/shoppers';

const SECTION = '3 kill -9';

/**
 * A shopper told `503` with `Retry-After` (the storefront shedding sign-ins on a slow machine) tries
 * again, as a patient browser user would; that answer is the defence working, not a server error.
 */
const RETRIES_AFTER_SHED = 10;

/** Answers 5xx that are not the storefront shedding load. */
function serverErrors(responses: readonly ShopResponse[]): number {
  return responses.filter((response) => response.status >= 500 && !isShed(response)).length;
}

/** Queries that must all return no rows on a consistent database; each names what it finds. */
const CONSISTENCY_QUERIES: Array<{ name: string; sql: string }> = [
  {
    name: 'discounted order without its ledger entry',
    sql: `SELECT o.id FROM shop_orders o LEFT JOIN cartlink_delivery_discounts d ON d.order_id = o.id
          WHERE (o.discount_verification IS NOT NULL OR o.delivery_charged_cents < o.delivery_fee_cents) AND d.order_id IS NULL`,
  },
  {
    name: 'ledger entry without its order',
    sql: `SELECT d.order_id FROM cartlink_delivery_discounts d LEFT JOIN shop_orders o ON o.id = d.order_id WHERE o.id IS NULL`,
  },
  {
    name: 'ledger entry that disagrees with its order',
    sql: `SELECT d.order_id FROM cartlink_delivery_discounts d JOIN shop_orders o ON o.id = d.order_id
          WHERE d.waived_cents != o.delivery_fee_cents - o.delivery_charged_cents OR d.verification IS NOT o.discount_verification
             OR d.user_id != o.user_id`,
  },
  {
    name: 'order without lines',
    sql: `SELECT o.id FROM shop_orders o WHERE NOT EXISTS (SELECT 1 FROM shop_order_items i WHERE i.order_id = o.id)`,
  },
  {
    name: 'order whose totals do not add up',
    sql: `SELECT o.id FROM shop_orders o WHERE o.total_cents != o.subtotal_cents + o.delivery_charged_cents
          OR o.subtotal_cents != (SELECT COALESCE(SUM(i.unit_price_cents * i.quantity), 0) FROM shop_order_items i WHERE i.order_id = o.id)`,
  },
  {
    name: 'cart still holding the items of a placed order',
    sql: `SELECT o.user_id FROM shop_orders o JOIN shop_cart_items c ON c.user_id = o.user_id AND c.added_at <= o.placed_at`,
  },
  {
    name: 'link record of an unknown user',
    sql: `SELECT user_id FROM cartlink_link_records WHERE user_id NOT IN (SELECT id FROM shop_users)`,
  },
  {
    name: 'verification of an unknown user',
    sql: `SELECT user_id FROM cartlink_membership_verifications WHERE user_id NOT IN (SELECT id FROM shop_users)`,
  },
  {
    name: 'link transaction of an unknown user',
    sql: `SELECT user_id FROM cartlink_link_transactions WHERE user_id NOT IN (SELECT id FROM shop_users)`,
  },
  {
    name: 'ledger entry of an unknown user',
    sql: `SELECT user_id FROM cartlink_delivery_discounts WHERE user_id NOT IN (SELECT id FROM shop_users)`,
  },
  {
    name: 'session of an unknown user',
    sql: `SELECT id_hash FROM shop_sessions WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM shop_users)`,
  },
];

/** What a SQLite file says about itself after the crash. */
function inspectDatabase(path: string): {
  integrity: string;
  foreignKeyViolations: number;
  problems: string[];
  counts: string;
} {
  const sqlite = new Database(path);
  try {
    const integrity = String(sqlite.pragma('integrity_check', { simple: true }));
    const foreignKeyViolations = (sqlite.pragma('foreign_key_check') as unknown[]).length;
    const problems: string[] = [];
    for (const query of CONSISTENCY_QUERIES) {
      const rows = sqlite.prepare(query.sql).all();
      if (rows.length > 0) problems.push(`${query.name} ×${rows.length}`);
    }
    const count = (table: string) =>
      (sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const counts = `orders ${count('shop_orders')}, ledger ${count('cartlink_delivery_discounts')}, link records ${count('cartlink_link_records')}, sessions ${count('shop_sessions')}`;
    return { integrity, foreignKeyViolations, problems, counts };
  } finally {
    sqlite.close();
  }
}

/** Runs section 3. */
export function runCrashRecovery(ctx: SectionContext): Promise<void> {
  const { report } = ctx;
  const count = ctx.quick ? 20 : 50;
  return inScope(report, SECTION, 'children stopped', async (scope) => {
    const emulator = await startEmulatorChild(scope, 'emulator (crash)');
    const admin = new EmulatorAdmin(emulator.url);
    const port = await findFreePort();
    const databasePath = join(ctx.tmpDir, 'crash.db');
    const startShop = (name: string): Promise<ChildServer> =>
      startStorefrontChild(scope, { name, port, databaseUrl: databasePath, emulatorUrl: emulator.url });
    const shop = await startShop('storefront (before kill)');
    await registerShop(admin, [`${shop.url}/account/profile`]);
    const seeding = await openDatabase<StorefrontDatabase>(databasePath);
    const shoppers = await createShoppers(seeding.db, admin, count, 'crash');
    await seeding.db.destroy();

    // The kill comes right after the k-th "Place order" is sent, while others are mid-link.
    const killAfterOrders = Math.max(3, Math.ceil(count / 4));
    const progress: string[] = shoppers.map(() => 'not started');
    let ordersPlaced = 0;
    let killedAt = '';
    let markKilled: () => void = () => {};
    const killed = new Promise<void>((resolve) => {
      markKilled = resolve;
    });
    let atKill: string[] = [];
    const kill = (why: string) => {
      if (killedAt) return;
      killedAt = why;
      atKill = [...progress];
      void shop.kill9().then(markKilled);
    };
    // Counted on completion, not on sending: on a loaded machine the first orders may still be in
    // flight when the Nth is sent, and the kill must find some orders placed and others not.
    const onOrderPlaced = () => {
      if (++ordersPlaced === killAfterOrders) kill(`the ${killAfterOrders}th order was placed`);
    };

    const responses: ShopResponse[] = [];
    const shopperOptions = {
      observe: (response: ShopResponse) => responses.push(response),
      retriesAfterShed: RETRIES_AFTER_SHED,
    };
    const clients = shoppers.map(() => new ShopClient(shop.url, shopperOptions));
    // Everyone signs in first (scrypt queues them), so the kill meets the linking and ordering steps.
    const signedIn = await Promise.all(
      shoppers.map((shopper, index) =>
        signIn(clients[index] as ShopClient, shopper.email).then((result) => result.ok),
      ),
    );
    // Counted from the end of the sign-ins, which a slow machine sheds and the shoppers retry.
    const fallback = setTimeout(() => kill('fallback timer (20 s)'), 20_000);
    const flows = shoppers.map(async (shopper, index) => {
      const client = clients[index] as ShopClient;
      if (!signedIn[index]) {
        progress[index] = 'sign-in failed';
        return;
      }
      try {
        // Starts spread over 200 ms, so that the kill finds shoppers at every step.
        await sleep(Math.floor(Math.random() * 200));
        if (killedAt) return;
        progress[index] = 'add to cart';
        await addToCart(client, 'milk');
        const result = await runLinkFlow(client, shopper, admin, {
          signIn: false,
          onStep: (step) => {
            progress[index] = step === 'done' ? 'linked' : step;
          },
        });
        if (result.outcome.startsWith('error')) return;
        progress[index] = 'checkout';
        const page = await checkoutPage(client);
        progress[index] = 'place order';
        const order = await placeOrder(client, page);
        progress[index] = order.orderId ? 'order placed' : `order ${order.http}`;
        if (order.orderId) onOrderPlaced();
      } catch {
        // The process died under this request: the progress says where.
      }
    });
    await withTimeout(killed, 60_000, 'the kill');
    clearTimeout(fallback);
    await withTimeout(Promise.all(flows), 60_000, 'flows to settle after the kill');
    report.add({
      section: SECTION,
      did: `${count} shoppers sign in, then all at once (0–200 ms jitter) add to cart → link → checkout → Place order; kill -9 of the storefront process (pid ${shop.pid}) after: ${killedAt}`,
      expected: 'all signed in; the kill lands mid-flow (some orders placed, some links or orders in flight)',
      happened: `signed in ${signedIn.filter(Boolean).length}/${count}; where each shopper was at the kill: ${histogram(atKill)}; storefront 5xx before the kill ${serverErrors(responses)} (shed and retried: ${responses.filter(isShed).length})`,
      ok:
        signedIn.every(Boolean) &&
        atKill.some((step) => step === 'order placed') &&
        atKill.some((step) =>
          ['status', 'authorize', 'link', 'linked', 'checkout', 'place order'].includes(step),
        ),
    });

    // The file as the crash left it (opening it replays the WAL, as the restart will).
    const inspected = inspectDatabase(databasePath);
    report.add({
      section: SECTION,
      did: 'open the SQLite file after the kill: PRAGMA integrity_check, PRAGMA foreign_key_check',
      expected: 'integrity_check = ok; foreign_key_check empty',
      happened: `integrity_check = ${inspected.integrity}; foreign_key_check rows ${inspected.foreignKeyViolations}; ${inspected.counts}`,
      ok: inspected.integrity === 'ok' && inspected.foreignKeyViolations === 0,
    });
    report.add({
      section: SECTION,
      did: 'look for half-written rows: orders vs lines vs ledger vs carts, link records / verifications / transactions / sessions of unknown users',
      expected: 'none',
      happened: inspected.problems.length ? inspected.problems.join('; ') : 'none',
      ok: inspected.problems.length === 0,
    });

    // Restart on the same file and port; sessions live in the database, so cookies still work.
    const restarted = await startShop('storefront (after restart)');
    const sessionChecks = await mapLimit(shoppers, 10, async (_shopper, index) => {
      try {
        return (await getStatus(clients[index] as ShopClient)).http;
      } catch {
        return 0;
      }
    });
    report.add({
      section: SECTION,
      did: 'restart the storefront on the same file; GET /cartlink/status with the cookies from before the kill',
      expected: 'starts; every pre-kill session still signed in (200)',
      happened: `restarted (pid ${restarted.pid}); status answers: ${histogram(sessionChecks.map(String))}`,
      ok: sessionChecks.every((status) => status === 200),
    });

    // One fresh verification per shopper (new sign-in), then records and emulator must agree.
    const fresh = shoppers.map(() => new ShopClient(restarted.url, shopperOptions));
    const before5xx = serverErrors(responses);
    const states = await mapLimit(shoppers, 10, async (shopper, index) => {
      const client = fresh[index] as ShopClient;
      try {
        const signedIn = await signIn(client, shopper.email);
        if (!signedIn.ok) return `sign-in ${signedIn.status}`;
        return (await verify(client)).status?.state ?? 'no status';
      } catch (error) {
        return `error: ${describeError(error)}`;
      }
    });
    const compare = async () => {
      const sqlite = new Database(databasePath, { readonly: true });
      try {
        const records = new Set(
          (
            sqlite.prepare('SELECT user_id FROM cartlink_link_records').all() as Array<{ user_id: string }>
          ).map((row) => row.user_id),
        );
        const links = await shopLinks(admin);
        return { records, links, ...compareLinks(records, links, shoppers) };
      } finally {
        sqlite.close();
      }
    };
    const afterVerify = await compare();
    report.add({
      section: SECTION,
      did: 'every shopper signs in again and POSTs /cartlink/verify; compare cartlink_link_records with the emulator links',
      expected:
        "no link record without an emulator link and vice versa; no link to another shopper's account",
      happened: `states: ${histogram(states)}; records ${afterVerify.records.size}, emulator links ${afterVerify.links.size}, only in DB ${afterVerify.onlyDb.length}, only in emulator ${afterVerify.onlyEmulator.length}, wrong ${afterVerify.wrong.length}`,
      ok:
        afterVerify.onlyDb.length === 0 &&
        afterVerify.onlyEmulator.length === 0 &&
        afterVerify.wrong.length === 0,
    });

    // Every shopper links again through the restarted process: Instacart customer service first
    // unlinks those who are linked, the storefront must notice on the next verification, and then
    // all of them go through the flow once more.
    const unlinked = [...afterVerify.links.keys()];
    await mapLimit(unlinked, 10, (userId) => admin.unlink(userId, SHOP_APP.clientId));
    const noticed = await mapLimit(shoppers, 10, async (_shopper: Shopper, index) => {
      try {
        return (await verify(fresh[index] as ShopClient)).status?.state ?? 'no status';
      } catch (error) {
        return `error: ${describeError(error)}`;
      }
    });
    const relinks = await mapLimit(shoppers, 10, (shopper, index) =>
      runLinkFlow(fresh[index] as ShopClient, shopper, admin, { signIn: false }),
    );
    const finals = await mapLimit(shoppers, 10, async (_shopper: Shopper, index) => {
      try {
        return (await verify(fresh[index] as ShopClient)).status?.state ?? 'no status';
      } catch (error) {
        return `error: ${describeError(error)}`;
      }
    });
    // And everyone can shop: add to cart, checkout at $0, Place order; the ledger follows.
    const orders = await mapLimit(shoppers, 10, async (_shopper: Shopper, index) => {
      const client = fresh[index] as ShopClient;
      try {
        await addToCart(client, 'eggs');
        const page = await checkoutPage(client);
        const order = await placeOrder(client, page);
        return order.orderId ? `fee ${page.feeCents}` : `order ${order.http}`;
      } catch (error) {
        return `error: ${describeError(error)}`;
      }
    });
    const finalInspection = inspectDatabase(databasePath);
    const end = await compare();
    const after5xx = serverErrors(responses) - before5xx;
    report.add({
      section: SECTION,
      did: `every shopper links again after the restart: customer-service unlink of the ${unlinked.length} linked at Instacart, POST /cartlink/verify, the full link flow; then verify, check out and Place order`,
      expected: `verify says unlinked for all ${count} after the unlink; every link "linked"; all linked-active; every order at fee 0; database still consistent; records = emulator links; no 5xx after restart`,
      happened: `after unlink: ${histogram(noticed)}; links: ${histogram(relinks.map((result) => result.outcome))}; final: ${histogram(finals)}; orders: ${histogram(orders)}; consistency: ${finalInspection.problems.join('; ') || 'ok'} (${finalInspection.counts}); records ${end.records.size} vs links ${end.links.size} (only DB ${end.onlyDb.length}, only emulator ${end.onlyEmulator.length}); 5xx ${after5xx}; storefront error logs ${restarted.errorLines().length}`,
      ok:
        noticed.every((state) => state === 'unlinked') &&
        relinks.every((result) => result.outcome === 'linked') &&
        finals.every((state) => state === 'linked-active') &&
        orders.every((order) => order === 'fee 0') &&
        finalInspection.problems.length === 0 &&
        end.onlyDb.length === 0 &&
        end.onlyEmulator.length === 0 &&
        after5xx === 0,
    });
  });
}
