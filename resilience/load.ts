/**
 * @module Section 2: 200 shoppers link at once over HTTP while one Connect call in ten fails (the
 * emulator's seeded probability faults, one per route the storefront calls: `*` is one segment).
 * Afterwards, with the faults gone, every shopper's membership is verified once more and three
 * views must agree exactly: the storefront's `cartlink_link_records`, what its status endpoint
 * says, and the emulator's links. Nobody may be linked to another shopper's Instacart account.
 * Shoppers retry a sign-in the storefront shed (503 with `Retry-After`) as it says; that counts as
 * handled, any other 5xx does not.
 *
 * Then 500 sign-ins at once on a storefront of their own: each must get an answer (signed in, or a
 * 503 with `Retry-After`) before the client's patience runs out; how long that took is reported,
 * never asserted.
 *
 * Steps (`--only 2:storm`, `--only 2:burst`): `storm` (the first four rows), `burst` (the last).
 */
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import type { ChildServer } from '../testing/processes';
import { isShed, ShopClient, type ShopResponse } from '../testing/shop-client';
import { profileState, verify } from '../testing/shop-steps';
import { CLEAN_FLOW_OUTCOMES, runLinkFlow, signIn } from './lib/flows';
import { compareLinks, registerShop, shopLinks } from './lib/instacart';
import { describeError, histogram, percentile, type SectionContext } from './lib/report';
import { inScope, mapLimit, type Scope } from './lib/scope';
import { startEmulatorChild, startSqliteStorefront } from './lib/servers';
import { createShoppers, SHOPPER_PASSWORD } from './lib/shoppers';

const SECTION = '2 load';

/** The section's steps, for `--only 2:<step>`. */
export const LOAD_STEPS = ['storm', 'burst'] as const;

/** How many times a shopper retries a shed sign-in (503 with `Retry-After`). */
const RETRIES_AFTER_SHED = 10;

/** Simultaneous sign-ins of the overload row. */
const BURST_SIGN_INS = 500;

/** How long a burst client waits for its answer (sign-in page and post together) before giving up. */
const BURST_PATIENCE_MS = 30_000;

/** The routes the storefront calls; each gets its own 10 % fault. */
const FAULTED_ROUTES = [
  { method: 'POST', path: '/v2/oauth/token' },
  { method: 'GET', path: '/v2/fulfillment/users/*/link' },
  { method: 'POST', path: '/v2/fulfillment/users/*/link' },
  { method: 'POST', path: '/v2/fulfillment/users' },
];

/** Runs section 2. */
export function runLoad(ctx: SectionContext): Promise<void> {
  return inScope(ctx.report, SECTION, 'children stopped', async (scope) => {
    const emulator = await startEmulatorChild(scope, 'emulator (load)');
    const admin = new EmulatorAdmin(emulator.url);
    if (ctx.wants('storm')) await runLinkStorm(ctx, scope, emulator, admin);
    if (ctx.wants('burst')) await runSignInBurst(ctx, scope, emulator, admin);
  });
}

/**
 * The storm: everyone signs in, then all link at once under 10 % faults, just after the storefront's
 * fulfillment token expired at the emulator; then the views are compared and the unlinked try again.
 */
async function runLinkStorm(
  ctx: SectionContext,
  scope: Scope,
  emulator: ChildServer,
  admin: EmulatorAdmin,
): Promise<void> {
  const { report } = ctx;
  const count = ctx.quick ? 60 : 200;
  const { shop, db } = await startSqliteStorefront(scope, {
    name: 'storefront (load)',
    file: 'load.db',
    tmpDir: ctx.tmpDir,
    emulatorUrl: emulator.url,
  });
  await registerShop(admin, [`${shop.url}/account/profile`]);
  const shoppers = await createShoppers(db, admin, count, 'load');

  for (const [index, route] of FAULTED_ROUTES.entries()) {
    await admin.addFault({ ...route, status: 500, probability: 0.1, seed: 1000 + index });
  }

  const responses: ShopResponse[] = [];
  const observe = (response: ShopResponse) => responses.push(response);
  const clients = shoppers.map(
    () => new ShopClient(shop.url, { observe, retriesAfterShed: RETRIES_AFTER_SHED }),
  );
  // Everyone signs in first (scrypt makes 200 sign-ins take seconds), then all link at once.
  const signInStarted = performance.now();
  const signIns = await Promise.all(
    shoppers.map((shopper, index) =>
      signIn(clients[index] as ShopClient, shopper.email).catch(() => ({ ok: false, status: 0, ms: 0 })),
    ),
  );
  const signInMs = performance.now() - signInStarted;
  // The storefront's cached fulfillment token expires at the emulator now, so the storm also
  // meets the client_credentials grant: 200 concurrent 401s must share one token refetch.
  await admin.advanceClock(86_401);
  const started = performance.now();
  const results = await Promise.all(
    shoppers.map((shopper, index) =>
      signIns[index]?.ok
        ? runLinkFlow(clients[index] as ShopClient, shopper, admin, { signIn: false })
        : Promise.resolve({
            outcome: `sign-in-${signIns[index]?.status}`,
            step: 'sign-in' as const,
            ms: 0,
          }),
    ),
  );
  const wallMs = performance.now() - started;
  const faults = await admin.faults();
  await admin.clearFaults();

  const outcomes = results.map((result) => result.outcome);
  const unknown = outcomes.filter((outcome) => !CLEAN_FLOW_OUTCOMES.has(outcome));
  // A shed 503 is the storefront answering as designed; the retry that follows is in `responses` too.
  const shed = responses.filter(isShed);
  const fiveXx = responses.filter((response) => response.status >= 500 && !isShed(response));
  const injected = faults.reduce((sum, fault) => sum + fault.hits, 0);
  const durations = results.map((result) => result.ms);
  report.add({
    section: SECTION,
    did: `${count} shoppers sign in (all at once), then link at once over HTTP (storefront child, SQLite) just after the storefront's fulfillment token expired at the emulator, while a seeded 10% of every Connect route answers 500`,
    expected:
      'every sign-in succeeds (a shed 503 retried after its Retry-After counts as handled); every flow ends linked or with a clean failure (outcome in the known set); no other storefront 5xx',
    happened: `sign-ins ok ${signIns.filter((result) => result.ok).length}/${count} in ${(signInMs / 1000).toFixed(1)} s (shed 503s retried: ${shed.length}); link outcomes: ${histogram(outcomes)}; unknown: ${unknown.length}${unknown.length ? ` (${histogram(unknown)})` : ''}; storefront requests ${responses.length}, other 5xx ${fiveXx.length}; injected 500s ${injected} (${faults.map((fault) => `${fault.method} ${fault.path}: ${fault.hits}`).join(', ')}); link flow p50 ${percentile(durations, 50)} ms, p95 ${percentile(durations, 95)} ms, wall ${(wallMs / 1000).toFixed(1)} s`,
    ok: unknown.length === 0 && fiveXx.length === 0 && signIns.every((result) => result.ok),
  });

  // What the dialog said against what Instacart has, before anything else touches the links.
  const linksAfterStorm = await shopLinks(admin);
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
  const stateOf = async (read: () => Promise<string | null | undefined>, missing: string) => {
    try {
      return (await read()) ?? missing;
    } catch (error) {
      return `error: ${describeError(error)}`;
    }
  };
  const finals = await mapLimit(clients, 20, (client) =>
    stateOf(async () => (await verify(client)).status?.state, 'no status'),
  );
  const links = await shopLinks(admin);
  const records = new Set(
    (await db.selectFrom('cartlink_link_records').select('user_id').execute()).map((row) => row.user_id),
  );
  const { onlyDb, onlyEmulator, wrong } = compareLinks(records, links, shoppers);
  const statusDisagrees = shoppers.filter(
    (shopper, index) => (finals[index] === 'linked-active') !== links.has(shopper.id),
  );
  // The profile page's status element, as the shopper sees it.
  const profiles = await mapLimit(clients, 20, (client) =>
    stateOf(async () => (await profileState(client)).state, 'no element'),
  );
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
    runLinkFlow(clients[index] as ShopClient, shopper, admin, { signIn: false }),
  );
  const retryFiveXx =
    responses.filter((response) => response.status >= 500 && !isShed(response)).length - fiveXx.length;
  const errorLines = shop.errorLines();
  report.add({
    section: SECTION,
    did: `the ${again.length} shoppers not linked try once more with the faults removed (same sessions)`,
    expected: 'all linked; no 5xx',
    happened: `outcomes: ${histogram(retried.map((result) => result.outcome)) || 'none needed'}; 5xx ${retryFiveXx}; storefront error logs ${errorLines.length}${errorLines.length ? ` (${errorLines.slice(0, 2).join(' | ')})` : ''}`,
    ok: retried.every((result) => result.outcome === 'linked') && retryFiveXx === 0,
  });
}

/** How one burst sign-in ended. */
type BurstOutcome = 'signed in' | '503 with Retry-After' | 'no answer' | `HTTP ${string}`;

/**
 * 500 sign-ins at once (sign-in page, then the form) on a storefront child of its own, each with the
 * patience of a browser user. Under this overload the storefront must answer every one, signed in or
 * 503 with `Retry-After`: nobody may be left with a connection that hangs until they give up.
 */
async function runSignInBurst(
  ctx: SectionContext,
  scope: Scope,
  emulator: ChildServer,
  admin: EmulatorAdmin,
): Promise<void> {
  const { shop, db } = await startSqliteStorefront(scope, {
    name: 'storefront (sign-in burst)',
    file: 'burst.db',
    tmpDir: ctx.tmpDir,
    emulatorUrl: emulator.url,
  });
  const shoppers = await createShoppers(db, admin, BURST_SIGN_INS, 'burst', { withInstacartAccounts: false });

  const retryAfters: number[] = [];
  const started = performance.now();
  const results = await Promise.all(
    shoppers.map(async (shopper): Promise<{ outcome: BurstOutcome; ms: number; detail?: string }> => {
      // One patience for the page and the post together: the shopper gives up, not each request.
      const patience = AbortSignal.timeout(BURST_PATIENCE_MS);
      const client = new ShopClient(shop.url, { send: (request) => fetch(request, { signal: patience }) });
      const begun = performance.now();
      try {
        const answer = await client.signIn(shopper.email, SHOPPER_PASSWORD);
        const ms = performance.now() - begun;
        if (answer.method === 'GET') return { outcome: `HTTP ${answer.status} (sign-in page)`, ms };
        if (answer.status === 303 && answer.location !== undefined && !answer.location.includes('/signin')) {
          return { outcome: 'signed in', ms };
        }
        if (isShed(answer)) {
          retryAfters.push(Number(answer.retryAfter));
          return { outcome: '503 with Retry-After', ms };
        }
        return { outcome: `HTTP ${answer.status}`, ms };
      } catch (error) {
        return { outcome: 'no answer', ms: performance.now() - begun, detail: describeError(error) };
      }
    }),
  );
  const wallMs = performance.now() - started;
  const count = (outcome: BurstOutcome) => results.filter((result) => result.outcome === outcome).length;
  const noAnswer = results.filter((result) => result.outcome === 'no answer');
  const unexpected = results.filter(
    (result) => !['signed in', '503 with Retry-After', 'no answer'].includes(result.outcome),
  );
  const answered = results.filter((result) => result.outcome !== 'no answer').map((result) => result.ms);
  const retryRange = retryAfters.length
    ? `${Math.min(...retryAfters)}–${Math.max(...retryAfters)} s`
    : 'none';
  ctx.report.add({
    section: SECTION,
    did: `${BURST_SIGN_INS} shoppers sign in at the same moment (sign-in page, then the form) on a storefront child of their own (SQLite, default PASSWORD_HASH_CONCURRENCY and QUEUE_DEADLINE_MS=5000), each giving up after ${BURST_PATIENCE_MS / 1000} s`,
    expected:
      'every sign-in gets an answer: signed in, or 503 with Retry-After and a try-again page; none left without an answer (times reported, not asserted)',
    happened: `signed in ${count('signed in')}, 503 ${count('503 with Retry-After')} (Retry-After ${retryRange}), no answer ${noAnswer.length}${noAnswer[0]?.detail ? ` (e.g. ${noAnswer[0].detail})` : ''}${unexpected.length ? `, other ${histogram(unexpected.map((result) => result.outcome))}` : ''}; time to an answer p50 ${percentile(answered, 50)} ms, p99 ${percentile(answered, 99)} ms, max ${percentile(answered, 100)} ms; wall ${(wallMs / 1000).toFixed(1)} s; storefront error logs ${shop.errorLines().length}`,
    ok: noAnswer.length === 0 && unexpected.length === 0,
  });
}
