/**
 * @module Section 2: 200 shoppers link at once over HTTP while one Connect call in ten fails (the
 * emulator's seeded probability faults, one per route the storefront calls: `*` is one segment).
 * Afterwards, with the faults gone, every shopper's membership is verified once more and three
 * views must agree exactly: the storefront's `cartlink_link_records`, what its status endpoint
 * says, and the emulator's links. Nobody may be linked to another shopper's Instacart account.
 */
import { join } from 'node:path';
import { openDatabase } from '@cartlink/linking/node';
import type { StorefrontDatabase } from '@cartlink/storefront';
import { EmulatorAdmin, Sandbox } from './lib/emulator-client';
import { CLEAN_FLOW_OUTCOMES, runLinkFlow } from './lib/flows';
import {
  describeError,
  findFreePort,
  mapLimit,
  Scope,
  startEmulatorChild,
  startStorefrontChild,
} from './lib/processes';
import { histogram, percentile, type SectionContext } from './lib/report';
import { type Exchange, profileState, ShopClient, signIn, verify } from './lib/shop-client';
import { createShoppers, SHOPPER_PASSWORD } from './lib/shoppers';

const SECTION = '2 load';

/** The routes the storefront calls; each gets its own 10 % fault. */
const FAULTED_ROUTES = [
  { method: 'POST', path: '/v2/oauth/token' },
  { method: 'GET', path: '/v2/fulfillment/users/*/link' },
  { method: 'POST', path: '/v2/fulfillment/users/*/link' },
  { method: 'POST', path: '/v2/fulfillment/users' },
];

/** Runs section 2. */
export async function runLoad(ctx: SectionContext): Promise<void> {
  const { report } = ctx;
  const scope = new Scope();
  const count = ctx.quick ? 60 : 200;
  try {
    const emulator = await startEmulatorChild(scope, 'emulator (load)');
    const admin = new EmulatorAdmin(emulator.url);
    const sandbox = new Sandbox(emulator.url);
    const port = await findFreePort();
    const databasePath = join(ctx.tmpDir, 'load.db');
    const shop = await startStorefrontChild(scope, {
      name: 'storefront (load)',
      port,
      databaseUrl: databasePath,
      emulatorUrl: emulator.url,
    });
    await admin.registerApp([`${shop.url}/account/profile`]);
    const { db } = openDatabase<StorefrontDatabase>(databasePath);
    scope.add('close load database handle', () => db.destroy());
    const shoppers = await createShoppers(db, admin, count, 'load');
    const byId = new Map(shoppers.map((shopper) => [shopper.id, shopper]));
    await sandbox.prepare();

    for (const [index, route] of FAULTED_ROUTES.entries()) {
      await admin.addFault({ ...route, status: 500, probability: 0.1, seed: 1000 + index });
    }

    const exchanges: Exchange[] = [];
    const observe = (exchange: Exchange) => exchanges.push(exchange);
    const clients = shoppers.map(() => new ShopClient(shop.url, undefined, observe));
    // Everyone signs in first (scrypt makes 200 sign-ins take seconds), then all link at once.
    const signInStarted = performance.now();
    const signIns = await Promise.all(
      shoppers.map((shopper, index) =>
        signIn(clients[index] as ShopClient, shopper.email, SHOPPER_PASSWORD).catch(() => ({
          ok: false,
          status: 0,
          ms: 0,
        })),
      ),
    );
    const signInMs = performance.now() - signInStarted;
    // The storefront's cached fulfillment token expires at the emulator now, so the storm also
    // meets the client_credentials grant: 200 concurrent 401s must share one token refetch.
    await admin.advanceClock(86_401);
    await sandbox.prepare();
    const started = performance.now();
    const results = await Promise.all(
      shoppers.map((shopper, index) =>
        signIns[index]?.ok
          ? runLinkFlow(clients[index] as ShopClient, shopper, sandbox, { signIn: false })
          : Promise.resolve({
              outcome: `sign-in-${signIns[index]?.status}`,
              step: 'sign-in' as const,
              ms: 0,
            }),
      ),
    );
    const wallMs = performance.now() - started;
    const faults = await admin.listFaults();
    await admin.clearFaults();

    const outcomes = results.map((result) => result.outcome);
    const unknown = outcomes.filter((outcome) => !CLEAN_FLOW_OUTCOMES.has(outcome));
    const fiveXx = exchanges.filter((exchange) => exchange.status >= 500);
    const injected = faults.reduce((sum, fault) => sum + fault.hits, 0);
    const durations = results.map((result) => result.ms);
    report.add({
      section: SECTION,
      did: `${count} shoppers sign in (all at once), then link at once over HTTP (storefront child, SQLite) just after the storefront's fulfillment token expired at the emulator, while a seeded 10% of every Connect route answers 500`,
      expected:
        'every sign-in succeeds; every flow ends linked or with a clean failure (outcome in the known set); no storefront 5xx',
      happened: `sign-ins ok ${signIns.filter((result) => result.ok).length}/${count} in ${(signInMs / 1000).toFixed(1)} s; link outcomes: ${histogram(outcomes)}; unknown: ${unknown.length}${unknown.length ? ` (${histogram(unknown)})` : ''}; storefront requests ${exchanges.length}, 5xx ${fiveXx.length}; injected 500s ${injected} (${faults.map((fault) => `${fault.method} ${fault.path}: ${fault.hits}`).join(', ')}); link flow p50 ${percentile(durations, 50)} ms, p95 ${percentile(durations, 95)} ms, wall ${(wallMs / 1000).toFixed(1)} s`,
      ok: unknown.length === 0 && fiveXx.length === 0 && signIns.every((result) => result.ok),
    });

    // What the dialog said against what Instacart has, before anything else touches the links.
    const linksAfterStorm = await admin.links();
    const dialogLied = shoppers
      .map((shopper, index) => ({
        outcome: results[index]?.outcome ?? '',
        link: linksAfterStorm.get(shopper.id),
        own: shopper.instacartUserId,
      }))
      .filter(({ outcome, link, own }) => (outcome === 'linked') !== (link === own));
    report.add({
      section: SECTION,
      did: "compare each flow's dialog outcome with the emulator's links right after the storm",
      expected: 'outcome "linked" exactly for the shoppers the emulator has linked to their own account',
      happened: `${dialogLied.length} disagree${dialogLied[0] ? ` (e.g. outcome ${dialogLied[0].outcome}, emulator ${dialogLied[0].link ?? 'no link'})` : ''}`,
      ok: dialogLied.length === 0,
    });

    // A final fresh verification for every shopper, then the three views must agree.
    const finals = await mapLimit(shoppers, 20, async (_, index) => {
      try {
        return (await verify(clients[index] as ShopClient)).status?.state ?? 'no status';
      } catch (error) {
        return `error: ${describeError(error)}`;
      }
    });
    const links = await admin.links();
    const records = new Set(
      (await db.selectFrom('cartlink_link_records').select('user_id').execute()).map((row) => row.user_id),
    );
    const onlyDb = [...records].filter((id) => !links.has(id));
    const onlyEmulator = [...links.keys()].filter((id) => !records.has(id));
    const wrong = [...links].filter(
      ([userId, instacartId]) => byId.get(userId)?.instacartUserId !== instacartId,
    );
    const statusDisagrees = shoppers.filter(
      (shopper, index) => (finals[index] === 'linked-active') !== links.has(shopper.id),
    );
    // The profile page's status element, as the shopper sees it.
    const profiles = await mapLimit(shoppers, 20, async (_, index) => {
      try {
        return (await profileState(clients[index] as ShopClient)).state ?? 'no element';
      } catch (error) {
        return `error: ${describeError(error)}`;
      }
    });
    const profileDisagrees = profiles.filter((state, index) => state !== finals[index]).length;
    report.add({
      section: SECTION,
      did: 'faults removed; POST /cartlink/verify for every shopper, then the profile page; compare cartlink_link_records, the status, the profile page and GET /_emulator/state links',
      expected:
        "records = emulator links exactly; status and profile linked-active exactly for them; every link to the shopper's own Instacart account",
      happened: `final status: ${histogram(finals)}; records ${records.size}, emulator links ${links.size}, only in DB ${onlyDb.length}, only in emulator ${onlyEmulator.length}; status disagrees ${statusDisagrees.length}; profile ≠ status ${profileDisagrees}; links to another's account ${wrong.length}`,
      ok:
        onlyDb.length === 0 &&
        onlyEmulator.length === 0 &&
        statusDisagrees.length === 0 &&
        profileDisagrees === 0 &&
        wrong.length === 0,
    });

    // Those who ended with a clean failure try again, now that Connect answers.
    const again = shoppers
      .map((shopper, index) => ({ shopper, index }))
      .filter(({ index }) => finals[index] !== 'linked-active');
    const retried = await mapLimit(again, 20, ({ shopper, index }) =>
      runLinkFlow(clients[index] as ShopClient, shopper, sandbox, { signIn: false }),
    );
    const retryFiveXx = exchanges.filter((exchange) => exchange.status >= 500).length - fiveXx.length;
    report.add({
      section: SECTION,
      did: `the ${again.length} shoppers not linked try once more with the faults removed (same sessions)`,
      expected: 'all linked; no 5xx',
      happened: `outcomes: ${histogram(retried.map((result) => result.outcome)) || 'none needed'}; 5xx ${retryFiveXx}; storefront error logs ${shop.errorLines().length}${shop.errorLines().length ? ` (${shop.errorLines().slice(0, 2).join(' | ')})` : ''}`,
      ok: retried.every((result) => result.outcome === 'linked') && retryFiveXx === 0,
    });
  } finally {
    const failures = await scope.close();
    if (failures.length > 0) {
      report.add({
        section: SECTION,
        did: 'cleanup',
        expected: 'children stopped',
        happened: failures.join('; '),
        ok: false,
      });
    }
  }
}
