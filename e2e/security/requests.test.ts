/**
 * Attacks through ordinary requests: naming another shopper in the request, calling the linking
 * endpoints from another origin (forged headers, and a real page on another loopback port), changing
 * state with a GET, and steering the post-sign-in redirect (`next`) off the shop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { getBrowser, setUpE2eStack, shopUserId } from '../../testing/e2e-stack';
import { jsonOf, readAttribute, readCsrf, ShopClient } from '../../testing/shop-client';
import {
  addToCart,
  checkoutPage,
  linkAccount,
  placeOrder,
  postCallback,
  startLink,
} from '../../testing/shop-steps';
import { pressLinkInBrowser, settledStatus, signIn, submitSignIn } from '../support';
import { authorizePath, codeExchanges, linkedAccountOf, logInAtEmulator, resetLinks } from './harness';

// `info`: the shop's one line per request is how the cross-origin test sees what reached it.
const stack = setUpE2eStack({ logLevel: 'info' });
const ALEX = shopUserId('alex@example.com');
const BLAIR = shopUserId('blair@example.com');
const FULL_DELIVERY_FEE_CENTS = 399;

afterEach(async () => {
  await resetLinks(stack);
});

/** Links the client's shopper to a new Instacart+ account through the real callback; returns its id. */
async function linkNewMember(client: ShopClient): Promise<number> {
  const account = (await stack.admin.seedShopper('member')).id;
  const answer = await linkAccount(client, stack.admin, account);
  expect(answer.outcome, answer.response.text).toBe('linked');
  return account;
}

/** The Connect user ids the storefront asked about (in paths and bodies) since call number `from`. */
function connectSubjectsSince(from: number): string[] {
  const ids = new Set<string>();
  for (const call of stack.connectCalls.slice(from)) {
    const match = /^\/v2\/fulfillment\/users\/([^/]+)/.exec(call.path);
    if (match?.[1]) ids.add(decodeURIComponent(match[1]));
    const bodyId = /"user_id"\s*:\s*"([^"]+)"/.exec(call.requestBody)?.[1];
    if (bodyId) ids.add(bodyId);
  }
  return [...ids];
}

describe('the subject is the session, never an id the browser sends', () => {
  it('ignores user_id / userId in the query, the body, headers and cookies of /cartlink/*, the profile and checkout', async () => {
    // Blair is a linked Instacart+ member; Alex is not linked. Alex names Blair everywhere.
    const blair = await stack.signInClient('blair@example.com');
    const blairAccount = await linkNewMember(blair);
    const alex = await stack.signInClient('alex@example.com');
    expect(await addToCart(alex, 'bananas')).toBe(303);
    const from = stack.connectCalls.length;

    const naming = {
      'x-user-id': BLAIR,
      'user-id': BLAIR,
      'x-userid': BLAIR,
      'x-cartlink-user-id': BLAIR,
      cookie: `${[...alex.cookies].map(([name, value]) => `${name}=${value}`).join('; ')}; user_id=${BLAIR}; userId=${BLAIR}`,
    };
    const query = `user_id=${BLAIR}&userId=${BLAIR}&subject=${BLAIR}`;

    const status = await alex.get(`/cartlink/status?${query}`, naming);
    expect(status.status).toBe(200);
    expect(jsonOf<{ state: string }>(status)?.state).toBe('unlinked');

    const verify = await alex.postJson(
      `/cartlink/verify?${query}`,
      { user_id: BLAIR, userId: BLAIR },
      { headers: naming },
    );
    expect(verify.status).toBe(200);
    expect(jsonOf<{ state: string }>(verify)?.state).toBe('unlinked');

    // A callback that also names Blair: refused outright, or at most Alex's own link.
    const { state, codeChallenge } = await startLink(alex);
    const otherAccount = (await stack.admin.seedShopper('member')).id;
    const code = await stack.authorizeCode(otherAccount, codeChallenge);
    const link = await postCallback(
      alex,
      { code, state, user_id: BLAIR, userId: BLAIR },
      { headers: naming },
    );
    expect([200, 400]).toContain(link.http);
    expect(linkedAccountOf(stack, BLAIR)).toBe(blairAccount);

    const profile = await alex.get(`/account/profile?${query}`, naming);
    expect(readAttribute(profile.text, 'cartlink-status', 'state')).toBe('unlinked');

    const checkout = await alex.get(`/checkout?${query}`, naming);
    expect(Number(/data-delivery-fee-cents="(\d+)"/.exec(checkout.text)?.[1])).toBe(FULL_DELIVERY_FEE_CENTS);
    const placed = await alex.postForm(
      `/checkout?${query}`,
      {
        _csrf: readCsrf(checkout.text) ?? '',
        expected_fee_cents: String(FULL_DELIVERY_FEE_CENTS),
        user_id: BLAIR,
        userId: BLAIR,
      },
      { headers: naming },
    );
    expect(placed.status).toBe(303);
    const orders = await stack.shop.storefront.db
      .selectFrom('shop_orders')
      .select(['user_id', 'delivery_charged_cents'])
      .execute();
    expect(orders).toEqual([{ user_id: ALEX, delivery_charged_cents: FULL_DELIVERY_FEE_CENTS }]);

    // Every Connect call made for Alex's requests was about Alex.
    expect(connectSubjectsSince(from)).toEqual([ALEX]);
  });
});

describe('the linking endpoints refuse other origins', () => {
  it('refuses POST /cartlink/link and /cartlink/verify with a foreign Origin or cross-site fetch metadata', async () => {
    const alex = await stack.signInClient('alex@example.com');
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);
    const callback = { code, state };
    const from = stack.connectCalls.length;

    const foreign: Array<{ origin?: string | null; headers?: Record<string, string> }> = [
      { origin: 'http://evil.test' },
      { origin: 'null' },
      { origin: stack.shopUrl.replace('127.0.0.1', 'localhost') },
      { origin: `${stack.shopUrl}.evil.test` },
      { origin: null, headers: { 'sec-fetch-site': 'cross-site' } },
      { origin: null, headers: { 'sec-fetch-site': 'same-site' } },
      { origin: null },
    ];
    for (const options of foreign) {
      const label = JSON.stringify(options);
      expect((await postCallback(alex, callback, options)).http, `link ${label}`).toBe(403);
      expect((await alex.postJson('/cartlink/verify', {}, options)).status, `verify ${label}`).toBe(403);
    }
    // A body a plain HTML form can send is refused even from the shop's origin.
    const asForm = await alex.request('/cartlink/link', {
      method: 'POST',
      headers: { origin: stack.shopUrl, 'content-type': 'text/plain' },
      body: JSON.stringify(callback),
    });
    expect(asForm.status).toBe(415);

    expect(stack.connectCalls.slice(from)).toEqual([]);
    expect(linkedAccountOf(stack, ALEX)).toBeNull();
    // Control: the very same callback from the shop's own origin links, so only the origin stopped it.
    expect((await postCallback(alex, callback)).outcome).toBe('linked');
  });

  it('refuses credentialed fetches and form posts from a real page on another loopback port', async () => {
    // Not a watched shopper: this page visits the attacker's origin on purpose.
    const context = await (await getBrowser()).newContext({ locale: 'en-US' });
    const page = await context.newPage();
    let attacker: Server | undefined;
    try {
      await signIn(page, stack.shopUrl, 'alex@example.com', '/account/profile');
      expect(await settledStatus(page)).toBe('unlinked');
      // Alex presses Link (a state for this session), then comes back to the profile page.
      const { state, codeChallenge } = await pressLinkInBrowser(page);
      await page.goBack();
      expect(await settledStatus(page)).toBe('unlinked');
      const account = (await stack.admin.seedShopper()).id;
      // The strongest attacker: it even knows a valid state and code of Alex's session.
      const callback = JSON.stringify({ code: await stack.authorizeCode(account, codeChallenge), state });
      const csrf = readCsrf(await page.content()) ?? '';
      expect(csrf).not.toBe('');

      // 127.0.0.1 on another port: another origin but the same site, so SameSite=Lax cookies go along.
      attacker = createServer((request, response) => {
        response.setHeader('content-type', 'text/html; charset=utf-8');
        const shop = JSON.stringify(stack.shopUrl);
        if (request.url === '/fetch') {
          response.end(`<!doctype html><title>cute cats</title><script>
            const shop = ${shop}; const callback = ${JSON.stringify(callback)};
            const attempts = [
              ['/cartlink/verify', { mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' }],
              ['/cartlink/link', { mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: callback }],
              ['/cartlink/verify', { headers: { 'content-type': 'application/json' }, body: '{}' }],
              ['/cartlink/link', { headers: { 'content-type': 'application/json' }, body: callback }],
            ];
            window.results = [];
            (async () => {
              for (const [path, init] of attempts) {
                try {
                  const r = await fetch(shop + path, { method: 'POST', credentials: 'include', ...init });
                  window.results.push(r.type + ':' + r.status);
                } catch (error) { window.results.push('blocked'); }
              }
              window.done = true;
            })();
          </script>`);
          return;
        }
        const forms: Record<string, string> = {
          '/form-link': `<form method="post" action=${JSON.stringify(`${stack.shopUrl}/cartlink/link`)} enctype="text/plain"><input name="${escapeAttribute(`${callback.slice(0, -1)},"x":"`)}" value="&quot;}"></form>`,
          '/form-verify': `<form method="post" action=${JSON.stringify(`${stack.shopUrl}/cartlink/verify`)}><input name="user_id" value="x"></form>`,
          '/form-cart': `<form method="post" action=${JSON.stringify(`${stack.shopUrl}/cart/items`)}><input name="product_id" value="coffee"><input name="_csrf" value=${JSON.stringify(csrf)}></form>`,
          '/form-signout': `<form method="post" action=${JSON.stringify(`${stack.shopUrl}/signout`)}><input name="_csrf" value=${JSON.stringify(csrf)}></form>`,
        };
        const form = forms[request.url ?? ''];
        if (form === undefined) {
          response.statusCode = 404;
          response.end('not found');
          return;
        }
        response.end(
          `<!doctype html><title>win a prize</title>${form}<script>document.forms[0].submit()</script>`,
        );
      });
      await new Promise<void>((resolve) => attacker?.listen(0, '127.0.0.1', resolve));
      const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;

      const logFrom = stack.logText().length;
      const from = stack.connectCalls.length;
      const cartBefore = await stack.shop.storefront.db.selectFrom('shop_cart_items').selectAll().execute();

      await page.goto(`${attackerUrl}/fetch`);
      await page.waitForFunction(() => (window as { done?: boolean }).done === true);
      const results = await page.evaluate(() => (window as unknown as { results: string[] }).results);
      // The no-cors posts reach the shop but the page cannot read the answer (Cross-Origin-Resource-
      // Policy); the JSON ones fail their CORS preflight and are never sent.
      expect(results).toEqual(['blocked', 'blocked', 'blocked', 'blocked']);

      for (const path of ['/form-link', '/form-verify', '/form-cart', '/form-signout']) {
        const posted = page.waitForResponse(
          (response) => response.request().method() === 'POST' && response.url().startsWith(stack.shopUrl),
        );
        await page.goto(`${attackerUrl}${path}`);
        await posted;
      }
      // What reached the shop, from its own request log: every POST was refused as cross-origin.
      const posts = stack
        .logText()
        .slice(logFrom)
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as { msg?: string; method?: string; path?: string; status?: number })
        .filter((line) => line.msg === 'request' && line.method === 'POST')
        .map((line) => `${line.path} ${line.status}`);
      expect(posts).toEqual([
        '/cartlink/verify 403',
        '/cartlink/link 403',
        '/cartlink/link 403',
        '/cartlink/verify 403',
        '/cart/items 403',
        '/signout 403',
      ]);
      expect(stack.connectCalls.slice(from)).toEqual([]);
      expect(await stack.shop.storefront.db.selectFrom('shop_cart_items').selectAll().execute()).toEqual(
        cartBefore,
      );
      expect(linkedAccountOf(stack, ALEX)).toBeNull();

      // Control: still signed in, and the same callback posted by the shop's own page links.
      await page.goto(`${stack.shopUrl}/`);
      expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
      const outcome = await page.evaluate(async (body) => {
        const response = await fetch('/cartlink/link', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        return ((await response.json()) as { outcome: string }).outcome;
      }, callback);
      expect(outcome).toBe('linked');
    } finally {
      attacker?.closeAllConnections();
      await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
      await context.close();
    }
  });
});

/** Escapes text for a double-quoted HTML attribute. */
function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

type Rows = Array<Record<string, unknown>>;

/** Every row of every table of the storefront's database (linking and shop tables). */
async function snapshotDatabase(): Promise<Record<string, Rows>> {
  const db = stack.shop.storefront.db;
  const snapshot: Record<string, Rows> = {};
  for (const table of await db.introspection.getTables()) {
    if (table.name.startsWith('kysely_')) continue;
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)}`.execute(db);
    snapshot[table.name] = result.rows;
  }
  return snapshot;
}

const byJson = (rows: Rows) => rows.map((row) => JSON.stringify(row)).sort();

/**
 * What a GET may change (the bookkeeping this suite allows), and nothing else:
 * - `shop_sessions`: `last_seen_at`/`expires_at` (idle expiry pushed forward), `flash` (shown once);
 *   a new anonymous session (user_id null) for a visitor of the sign-in page. No session ends, none
 *   changes user or CSRF token.
 * - `cartlink_membership_verifications`: `verified_at` of a refreshed answer, and new rows (a cache of
 *   Connect's answer, which nothing here changes).
 * - Every other table (users, carts, orders, the discount ledger, link records, and the link
 *   transactions: a GET neither starts a link, which takes the Link form's POST, nor completes one)
 *   stays identical.
 */
function unexpectedChanges(before: Record<string, Rows>, after: Record<string, Rows>): string[] {
  const problems: string[] = [];
  const tables = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const table of tables) {
    const old = before[table] ?? [];
    const now = after[table] ?? [];
    if (table === 'shop_sessions') {
      const strip = ({ last_seen_at: _a, expires_at: _b, flash: _c, ...rest }: Record<string, unknown>) =>
        rest;
      const newer = new Map(now.map((row) => [row.id_hash, strip(row)]));
      for (const row of old) {
        if (JSON.stringify(newer.get(row.id_hash)) !== JSON.stringify(strip(row)))
          problems.push(`session changed or ended: ${JSON.stringify(strip(row))}`);
      }
      const older = new Set(old.map((row) => row.id_hash));
      for (const row of now) {
        if (!older.has(row.id_hash) && row.user_id !== null)
          problems.push(`signed-in session created: ${row.user_id}`);
      }
    } else if (table === 'cartlink_membership_verifications') {
      const strip = ({ verified_at: _a, ...rest }: Record<string, unknown>) => rest;
      const kept = new Set(byJson(now.map(strip)));
      for (const row of byJson(old.map(strip)))
        if (!kept.has(row)) problems.push(`verification changed: ${row}`);
    } else if (JSON.stringify(byJson(old)) !== JSON.stringify(byJson(now))) {
      problems.push(`${table} changed: ${JSON.stringify(byJson(old))} -> ${JSON.stringify(byJson(now))}`);
    }
  }
  return problems;
}

describe('no GET changes state', () => {
  it('crawls every GET route of the storefront, signed in as a shopper and as the admin', async () => {
    // Some of everything: a linked member (Blair), an order and a cart for Alex, a pending flash.
    const blair = await stack.signInClient('blair@example.com');
    await linkNewMember(blair);
    const alex = await stack.signInClient('alex@example.com');
    expect(await addToCart(alex, 'eggs')).toBe(303);
    const checkout = await checkoutPage(alex);
    expect(checkout.feeCents).toBe(FULL_DELIVERY_FEE_CENTS);
    const orderPath = (await placeOrder(alex, checkout)).response.location ?? '';
    expect(orderPath).toMatch(/^\/orders\//);
    expect(await addToCart(alex, 'milk')).toBe(303);
    const admin = await stack.signInClient('admin@example.com');
    // A valid callback for Alex, opened with GET below: the GET must neither spend nor exchange it.
    const { state, codeChallenge } = await startLink(alex);
    const account = (await stack.admin.seedShopper()).id;
    const code = await stack.authorizeCode(account, codeChallenge);
    const callbackQuery = new URLSearchParams({ code, state }).toString();

    const assetPaths = [...stack.shop.storefront.assets.byPath.keys()];
    const urlsByRoute: Record<string, string[]> = {
      '/': ['/', '/?user_id=x'],
      '/assets/:file': [...assetPaths, '/assets/missing.js'],
      '/healthz': ['/healthz'],
      '/cartlink/*': [
        '/cartlink/status',
        '/cartlink/authorize',
        '/cartlink/link',
        '/cartlink/verify',
        '/cartlink/nothing',
      ],
      '/signin': ['/signin', '/signin?next=%2Fcheckout'],
      '/cart': ['/cart'],
      '/checkout': ['/checkout'],
      '/orders': ['/orders'],
      '/orders/:id': [orderPath, '/orders/no-such-order'],
      '/account/profile': [
        '/account/profile',
        `/account/profile?${callbackQuery}`,
        `/account/profile?error=access_denied&state=${encodeURIComponent(state)}`,
      ],
      '/admin/reconciliation': ['/admin/reconciliation', '/admin/reconciliation?from=bad'],
      '/admin/reconciliation.csv': ['/admin/reconciliation.csv', '/admin/reconciliation.csv?from=bad'],
    };
    // Every GET route the app has is crawled: a new one fails here until it is added above.
    const routes = stack.shop.storefront.app.routes
      .filter((route) => (route.method === 'GET' || route.method === 'ALL') && route.path !== '/*')
      .map((route) => route.path);
    for (const path of routes) expect(Object.keys(urlsByRoute), `GET route ${path}`).toContain(path);
    const urls = [...Object.values(urlsByRoute).flat(), '/no-such-page', '/signout'];

    const emulatorBefore = await stack.admin.state();
    const exchangesBefore = codeExchanges(stack).length;
    const callsBefore = stack.connectCalls.length;
    const before = await snapshotDatabase();
    const anonymous = new ShopClient(stack.shopUrl);
    for (const client of [alex, admin, anonymous]) {
      for (const url of urls) {
        const response = await client.get(url);
        expect(response.status, `GET ${url}`).toBeLessThan(500);
      }
    }
    expect(unexpectedChanges(before, await snapshotDatabase())).toEqual([]);
    expect(await stack.admin.state()).toEqual(emulatorBefore);
    // Connect was only read: status calls and the client-credentials grant, never a code exchange,
    // a create-user or a link call.
    expect(codeExchanges(stack)).toHaveLength(exchangesBefore);
    for (const call of stack.connectCalls.slice(callsBefore)) {
      const allowed =
        (call.method === 'GET' && /^\/v2\/fulfillment\/users\/[^/]+\/link$/.test(call.path)) ||
        (call.path === '/v2/oauth/token' && call.requestBody.includes('client_credentials'));
      expect(allowed, `${call.method} ${call.path}`).toBe(true);
    }
    // The callback opened with GET is still whole: posting it now links.
    expect((await postCallback(alex, { code, state })).outcome).toBe('linked');
  });

  it('crawls every GET route of the emulator with a logged-in Instacart session: nothing changes, and authorize never consents by itself', async () => {
    const browserLike = new ShopClient(stack.emulatorUrl);
    const authorize = authorizePath(stack);
    const login = await logInAtEmulator(browserLike, authorize, 'plus@instacart.test');
    expect(login.status).toBe(303);
    // As a server asks for it: no cookie, no Origin.
    const tokenResponse = await new ShopClient(stack.emulatorUrl).postJson(
      '/v2/oauth/token',
      {
        grant_type: 'client_credentials',
        client_id: stack.clientId,
        client_secret: stack.clientSecret,
        scope: 'connect:fulfillment',
      },
      { origin: null },
    );
    const fulfillmentToken = jsonOf<{ access_token: string }>(tokenResponse)?.access_token ?? '';

    const urlsByRoute: Record<string, string[]> = {
      '/oauth/authorize': [authorize, authorizePath(stack, { response_type: 'token' })],
      '/v2/fulfillment/users/:user_id/link': [
        `/v2/fulfillment/users/${ALEX}/link`,
        '/v2/fulfillment/users/nobody/link',
      ],
      '/favicon.ico': ['/favicon.ico'],
      '/assets/favicon.svg': ['/assets/favicon.svg'],
      '/assets/emulator.css': ['/assets/emulator.css'],
      '/store/account/instacart-plus': ['/store/account/instacart-plus'],
      '/signup': ['/signup?next=%2Fstore%2Faccount%2Finstacart-plus'],
      '/_emulator': ['/_emulator'],
      '/_emulator/': ['/_emulator/'],
      '/_emulator/state': ['/_emulator/state'],
      '/_emulator/apps': ['/_emulator/apps'],
      '/_emulator/faults': ['/_emulator/faults'],
      '/_emulator/clock': ['/_emulator/clock'],
      '/_emulator/requests': ['/_emulator/requests'],
      '/_emulator/settings': ['/_emulator/settings'],
      '/_emulator/openapi.json': ['/_emulator/openapi.json'],
    };
    const routes = stack.emulator.app.routes
      .filter((route) => route.method === 'GET')
      .map((route) => route.path);
    for (const path of routes) expect(Object.keys(urlsByRoute), `GET route ${path}`).toContain(path);

    const read = async () => ({
      state: await stack.admin.state(),
      settings: await stack.admin.settings(),
      faults: await stack.admin.faults(),
    });
    const before = await read();
    for (const url of Object.values(urlsByRoute).flat()) {
      const response = await browserLike.get(url, { authorization: `Bearer ${fulfillmentToken}` });
      expect(response.status, `GET ${url}`).toBeLessThan(500);
      if (url === authorize) {
        // Logged in: the consent page is shown; no code is handed out without Allow.
        expect(response.status).toBe(200);
        expect(response.headers.get('location')).toBeNull();
        expect(response.text).toContain('Authorization Required');
      }
      const location = response.location ?? '';
      expect(location, `GET ${url}`).not.toMatch(/[?&]code=/);
    }
    expect(await read()).toEqual(before);
  });
});

describe('the post-sign-in redirect stays on the shop', () => {
  // Raw query-string values, as an attacker writes them into a link to /signin?next=...
  const RAW_PAYLOADS = [
    '//evil.test',
    '//evil.test/account/profile',
    '/\\evil.test',
    '/%5Cevil.test',
    '%5C%5Cevil.test',
    'https:evil.test',
    'https://evil.test',
    'https%3A%2F%2Fevil.test',
    'http:/evil.test',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,hi',
    '%2F%2Fevil.test',
    '%2F%5Cevil.test',
    '/%2F/evil.test',
    '%09//evil.test',
    '/%09/evil.test',
    '/%0A/evil.test',
    '%20//evil.test',
    'evil.test',
  ];

  // One test per payload: each signs in twice (a scrypt hash each), so the whole list in one test
  // would be a budget that a loaded machine can exceed; one payload per test never comes near it.
  it.each(RAW_PAYLOADS)(
    'refuses the off-site next %j over HTTP: the sign-in form, the signed-in shortcut, and returnTo',
    async (raw) => {
      const shop = new URL(stack.shopUrl);
      const decoded = new URLSearchParams(`next=${raw}`).get('next') ?? '';
      // 1. Signing in with the value in the form (a tampered hidden field included).
      const client = new ShopClient(stack.shopUrl);
      const formPage = (await client.get(`/signin?next=${raw}`)).text;
      const hidden = /name="next" value="([^"]*)"/.exec(formPage)?.[1];
      if (hidden !== undefined)
        expect(new URL(hidden, shop).origin, `hidden next for ${raw}`).toBe(shop.origin);
      const signedIn = await client.signIn('casey@example.com', undefined, decoded);
      expect(signedIn.status, 'sign-in of casey@example.com').toBe(303);
      expect(signedIn.location, `POST /signin next=${JSON.stringify(decoded)}`).toBe('/');
      // 2. Already signed in: GET /signin?next= redirects at once.
      const shortcut = await client.get(`/signin?next=${raw}`);
      expect(shortcut.status).toBe(303);
      expect(shortcut.location, `GET /signin?next=${raw}`).toBe('/');
      // 3. returnTo, the other usual name, steers nothing off the shop either (query or form field).
      const other = new ShopClient(stack.shopUrl);
      const returnToPage = (await other.get(`/signin?returnTo=${raw}`)).text;
      expect(returnToPage).not.toContain('evil.test');
      const viaReturnTo = await other.postForm(`/signin?returnTo=${raw}`, {
        _csrf: readCsrf(returnToPage) ?? '',
        email: 'casey@example.com',
        password: 'cartlink-demo',
        returnTo: decoded,
        return_to: decoded,
      });
      expect(viaReturnTo.status).toBe(303);
      expect(new URL(viaReturnTo.location ?? '', shop).origin, `returnTo=${raw}`).toBe(shop.origin);
    },
  );

  // The issue's list as raw query values, plus literal tabs, which browsers strip from URLs.
  const BROWSER_PAYLOADS = [
    '//evil.test',
    '/\\evil.test',
    'https:evil.test',
    'javascript:alert(1)',
    '%2F%2Fevil.test',
    '/%5Cevil.test',
    '%09//evil.test',
    '\t//evil.test',
    '/\t/evil.test',
  ];

  it.each(BROWSER_PAYLOADS)(
    'lands the browser on the shop after signing in from a link with next=%j',
    async (raw) => {
      const offSite: string[] = [];
      // A context of its own: its own cookies, so the shopper starts signed out.
      const context = await (await getBrowser()).newContext({ locale: 'en-US' });
      try {
        context.on('request', (request) => {
          if (new URL(request.url()).origin !== stack.shopUrl) offSite.push(request.url());
        });
        const page = await context.newPage();
        await page.goto(`${stack.shopUrl}/signin?next=${raw}`);
        await submitSignIn(page, 'casey@example.com');
        const landed = new URL(page.url());
        expect(landed.origin).toBe(stack.shopUrl);
        expect(landed.pathname).toBe('/');
      } finally {
        await context.close();
      }
      expect(offSite).toEqual([]);
    },
  );

  it("keeps the emulator's /signup next link on the emulator", async () => {
    for (const raw of RAW_PAYLOADS) {
      const { text: body } = await new ShopClient(stack.emulatorUrl).get(`/signup?next=${raw}`);
      for (const match of body.matchAll(/<a href="([^"]*)"/g)) {
        const href = (match[1] ?? '')
          .replace(/&amp;/g, '&')
          .replace(/&#39;/g, "'")
          .replace(/&quot;/g, '"');
        expect(new URL(href, stack.emulatorUrl).origin, `/signup?next=${raw} links to ${href}`).toBe(
          stack.emulatorUrl,
        );
      }
    }
  });
});
