/**
 * @module Step 7, database statements per request: counts that do not depend on the machine's speed.
 * The storefront counts every statement it sends to its database (Kysely's `log` hook, `BEGIN` and
 * `COMMIT` included; see `servers/storefront-with-floor.ts`); here each flow is one request sent
 * with nothing else running against that storefront, the count reset just before and read just
 * after:
 *
 * - `status_cached`: `GET /cartlink/status` with a recent verification (goal at most 2: the session,
 *   then the stored link and verification);
 * - `status_fresh`: `POST /cartlink/verify`, the status path that asks Connect and stores the new
 *   verification (goal at most 3);
 * - `profile_page`: `GET /account/profile` with a recent verification (information);
 * - `link_start`: `POST /cartlink/authorize`, the Link button's form (after its page was loaded);
 * - `link_complete`: `POST /cartlink/link` with the code and state, for a shopper new to Connect;
 * - `checkout_page` and `checkout_submit`: `GET /checkout` and `POST /checkout` (place order) for the
 *   linked demo shopper with one product in the cart;
 * - `sign_in`: `POST /signin` with the demo shopper's password (its form page loaded first, not
 *   counted): a password check and a membership verification.
 *
 * Beside each count, the storefront's CPU time for that one request (`process.cpuUsage`, every thread,
 * so the password hash in libuv's pool counts too); the median over the samples but the first (which
 * compiles the code it runs) is the figure: one request alone, an upper bound of the per-request cost
 * under load, which `docs/capacity.md` multiplies by a retailer's traffic.
 *
 * Each flow runs `statementSamples` times; the samples must agree (they do unless a statement of an
 * earlier request lands late, which would be worth knowing), and the largest is the figure. The
 * session's idle expiry is extended by a write at most once a minute: a request on the same session
 * just before each counted one makes sure that write is not what is counted.
 */
import { DEMO_PASSWORD } from '@cartlink/storefront';
import type { ChildServer } from '../../testing/processes';
import { readAttribute, ShopClient } from '../../testing/shop-client';
import {
  addToCart,
  type CheckoutPage,
  checkoutPage,
  getStatus,
  placeOrder,
  postCallback,
  readAuthorizationUrl,
} from '../../testing/shop-steps';
import {
  type BenchContext,
  DEMO_SHOPPER,
  type Shopper,
  STOREFRONT_APP,
  shopperWithSession,
  verifyLinked,
} from '../lib/context';
import { median, round } from '../lib/stats';
import type { StorefrontCounters } from '../servers/storefront-with-floor';

/** The flows counted, by the suffix of their `db_statements_*` key. */
export const STATEMENT_FLOWS = [
  'status_cached',
  'status_fresh',
  'profile_page',
  'link_start',
  'link_complete',
  'checkout_page',
  'checkout_submit',
  'sign_in',
] as const;
export type StatementFlow = (typeof STATEMENT_FLOWS)[number];

export interface StatementsResult {
  /** The figure per flow: the largest count of its samples. */
  counts: Record<StatementFlow, number>;
  /** Every sample's count. */
  samples: Record<StatementFlow, number[]>;
  /** Flows whose samples did not agree. */
  disagreeing: StatementFlow[];
  /** The statements of each flow's last sample, each cut to its first 100 characters. */
  sql: Record<StatementFlow, string[]>;
  /** The storefront's CPU time per request of each flow, in ms: the median of its samples. */
  cpuMs: Record<StatementFlow, number>;
  /** Every sample's CPU time, in ms. */
  cpuSamplesMs: Record<StatementFlow, number[]>;
}

/** Statements the storefront ran during `send` (which must be its only traffic), after checking its answer. */
export async function countStatements(
  storefront: ChildServer,
  send: () => Promise<{ status: number }>,
  expectStatus: number,
  what: string,
): Promise<StorefrontCounters> {
  await storefront.call('reset-counters', { trace: true });
  const answer = await send();
  const counted = await storefront.call<StorefrontCounters>('counters');
  if (answer.status !== expectStatus) throw new Error(`${what}: ${answer.status}, expected ${expectStatus}`);
  if (counted.requests !== 1)
    throw new Error(`${what}: ${counted.requests} requests reached the storefront, not 1`);
  return counted;
}

/** A shop account new to Connect, with a session of its own (made over IPC: no statement counted). */
async function newShopper(storefront: ChildServer): Promise<Shopper> {
  const [id = ''] = await storefront.call<string[]>('create-users', { count: 1 });
  const [cookie = ''] = await storefront.call<string[]>('create-sessions', { count: 1, userIds: [id] });
  return shopperWithSession(storefront.url, id, cookie);
}

export async function runStatementsStep(ctx: BenchContext): Promise<StatementsResult> {
  const { storefront, shopper } = ctx;
  const client = shopper.client;
  const samples = Object.fromEntries(STATEMENT_FLOWS.map((flow) => [flow, [] as number[]])) as Record<
    StatementFlow,
    number[]
  >;
  const sql = Object.fromEntries(STATEMENT_FLOWS.map((flow) => [flow, [] as string[]])) as Record<
    StatementFlow,
    string[]
  >;
  const cpuSamplesMs = Object.fromEntries(STATEMENT_FLOWS.map((flow) => [flow, [] as number[]])) as Record<
    StatementFlow,
    number[]
  >;
  const count = (flow: StatementFlow, send: () => Promise<{ status: number }>, status = 200) =>
    countStatements(storefront, send, status, flow).then((counted) => {
      samples[flow].push(counted.statements);
      cpuSamplesMs[flow].push(counted.cpuUs / 1000);
      sql[flow] = counted.sql.map((statement) => statement.replace(/\s+/g, ' ').slice(0, 100));
    });

  for (let i = 0; i < ctx.sizes.statementSamples; i++) {
    // A recent verification (and a session write, if one was due, out of the way).
    await verifyLinked(shopper);
    await count('status_cached', () => client.get('/cartlink/status'));
    await count('profile_page', () => client.get('/account/profile'));
    await count('status_fresh', () => client.postJson('/cartlink/verify', {}));

    // A link from the start, for a shopper Connect does not know yet.
    const fresh = await newShopper(storefront);
    const before = await getStatus(fresh.client);
    if (before.status?.state !== 'unlinked')
      throw new Error(`new shopper: ${before.status?.state ?? before.http}`);
    const profile = await fresh.client.get('/account/profile');
    const csrf = readAttribute(profile.text, 'cartlink-status', 'csrf-token');
    if (!csrf) throw new Error('GET /account/profile: no csrf-token on the status element');
    let location = '';
    // As Chromium posts it from the profile page (see `pressLink` in testing/shop-steps.ts).
    await count(
      'link_start',
      async () => {
        const answer = await fresh.client.postForm(
          '/cartlink/authorize',
          { _csrf: csrf },
          { origin: 'null', headers: { 'sec-fetch-site': 'same-origin' } },
        );
        location = answer.location ?? '';
        return answer;
      },
      303,
    );
    const link = readAuthorizationUrl(location);
    const code = await ctx.admin.authorizeCode({
      instacartUserId: (await ctx.admin.seedShopper('member')).id,
      clientId: STOREFRONT_APP.clientId,
      redirectUri: link.redirectUri,
      codeChallenge: link.codeChallenge ?? null,
    });
    await count('link_complete', async () => {
      const answer = await postCallback(fresh.client, { code, state: link.state });
      if (answer.outcome !== 'linked')
        throw new Error(`POST /cartlink/link: ${answer.outcome ?? answer.http}`);
      return answer.response;
    });

    // Checkout of one product by the linked demo shopper. Each form's 303 is followed, as a browser
    // follows it: the page it leads to shows (and clears) the form's notice, which the next counted
    // page would otherwise clear instead.
    const added = await addToCart(client, 'bananas');
    if (added !== 303) throw new Error(`POST /cart/items: ${added}`);
    await client.get('/');
    let page: CheckoutPage | undefined;
    await count('checkout_page', async () => {
      page = await checkoutPage(client);
      return { status: page.http };
    });
    if (!page?.savedMessage) throw new Error('GET /checkout: no Instacart+ saving shown for a linked member');
    const checkout = page;
    await count(
      'checkout_submit',
      async () => {
        const order = await placeOrder(client, checkout);
        if (!order.orderId) throw new Error(`POST /checkout: ${order.http}, no order`);
        location = order.response.location ?? '';
        return { status: order.http };
      },
      303,
    );
    await client.get(location);

    // A sign-in on a new client (a browser without the shop's cookie), its form page not counted.
    const visitor = new ShopClient(storefront.url);
    await visitor.get('/signin');
    if (!visitor.csrfToken) throw new Error('GET /signin: no CSRF token');
    await count(
      'sign_in',
      () => visitor.post('/signin', { email: DEMO_SHOPPER.email, password: DEMO_PASSWORD }),
      303,
    );
  }

  const counts = Object.fromEntries(
    STATEMENT_FLOWS.map((flow) => [flow, Math.max(...samples[flow])]),
  ) as Record<StatementFlow, number>;
  const disagreeing = STATEMENT_FLOWS.filter((flow) => new Set(samples[flow]).size > 1);
  const cpuMs = Object.fromEntries(
    // The first sample of each flow runs code for the first time (compilation, caches): left out.
    STATEMENT_FLOWS.map((flow) => [
      flow,
      round(median(cpuSamplesMs[flow].slice(cpuSamplesMs[flow].length > 1 ? 1 : 0)), 2),
    ]),
  ) as Record<StatementFlow, number>;
  ctx.log(
    `  statements per request: ${STATEMENT_FLOWS.map((flow) => `${flow.replace('_', ' ')} ${counts[flow]}`).join(', ')}` +
      (disagreeing.length > 0 ? ` (samples differ: ${disagreeing.join(', ')})` : ''),
  );
  ctx.log(
    `  storefront CPU ms per request (median): ${STATEMENT_FLOWS.map((flow) => `${flow.replace('_', ' ')} ${cpuMs[flow]}`).join(', ')}`,
  );
  return { counts, samples, disagreeing, sql, cpuMs, cpuSamplesMs };
}
