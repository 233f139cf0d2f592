/**
 * Leaks of the flow's secrets. One instrumented browser goes through the real flows (a shopper links
 * through the emulator's log-in and consent pages and checks out; another's callback carries a bad
 * code; a third's code exchange meets a hostile Connect answer that echoes the code and the client
 * secret), while every request's Referer, every response body and every log line is kept. Then each
 * channel is searched for each secret value:
 * - the client secret (random per run), authorization codes, PKCE verifiers and the linking and
 *   fulfillment tokens, read from the storefront's Connect calls by the recording fetch;
 * - every state the shop issued (read from the authorization URLs its 303s pointed to) and the
 *   callbacks' states;
 * - for the logs also the session cookies and CSRF tokens.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openShopper, setUpE2eStack } from '../../testing/e2e-stack';
import { ShopClient } from '../../testing/shop-client';
import {
  dialogTitle,
  FAILURE_TITLE,
  linkAtInstacart,
  pressLinkInBrowser,
  SUCCESS_TITLE,
  settledStatus,
  signIn,
} from '../support';
import { codeExchanges } from './harness';

const stack = setUpE2eStack({ issuerParam: true, logLevel: 'trace' });

interface SeenRequest {
  url: string;
  referer: string | undefined;
  at: number;
}
interface SeenResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

const requests: SeenRequest[] = [];
const responses: SeenResponse[] = [];
const pending: Array<Promise<unknown>> = [];
const callbackUrls: string[] = [];
let addressBarAfterCallback = '';
let requestsAfterCallback = 0;
let callbackResponse: SeenResponse | undefined;

/** A browser context whose every request (with its Referer) and response (with its body) is kept. */
async function instrumentedPage(): Promise<Page> {
  const { page, context } = await openShopper(stack);
  context.on('request', (request) => {
    const entry: SeenRequest = { url: request.url(), referer: undefined, at: Date.now() };
    requests.push(entry);
    pending.push(
      request
        .allHeaders()
        .then((headers) => {
          entry.referer = headers.referer;
        })
        .catch(() => undefined),
    );
  });
  context.on('response', (response) => {
    pending.push(
      (async () => {
        const entry: SeenResponse = {
          url: response.url(),
          status: response.status(),
          headers: await response.allHeaders(),
          body: await response.text().catch(() => ''),
        };
        responses.push(entry);
      })().catch(() => undefined),
    );
  });
  return page;
}

/** The link transaction the profile page's Link button starts. */
async function profileTransaction(page: Page): Promise<{ state: string; codeChallenge: string | undefined }> {
  expect(await settledStatus(page)).toBe('unlinked');
  return pressLinkInBrowser(page);
}

beforeAll(async () => {
  // 1. Alex links through the emulator's real pages, then shops as a member.
  const alex = await instrumentedPage();
  await signIn(alex, stack.shopUrl, 'alex@example.com', '/account/profile');
  expect(await settledStatus(alex)).toBe('unlinked');
  const login = await stack.admin.seedShopper('member');
  const callbackSeen = alex.waitForResponse(
    (response) => new URL(response.url()).pathname === '/account/profile' && response.url().includes('code='),
  );
  const callbackUrl = await linkAtInstacart(alex, login.email);
  callbackUrls.push(callbackUrl);
  const callbackAt = Date.now();
  const served = await callbackSeen;
  callbackResponse = {
    url: served.url(),
    status: served.status(),
    headers: await served.allHeaders(),
    body: await served.text(),
  };
  expect(await dialogTitle(alex)).toBe(SUCCESS_TITLE);
  addressBarAfterCallback = alex.url();
  await alex.getByRole('button', { name: 'Continue shopping' }).click();
  await alex.waitForURL(`${stack.shopUrl}/`);
  await alex.getByRole('button', { name: 'Add to cart' }).first().click();
  await alex.waitForURL(`${stack.shopUrl}/`);
  await alex.goto(`${stack.shopUrl}/checkout`);
  await alex.getByRole('button', { name: 'Place order' }).click();
  await alex.waitForURL((url) => url.pathname.startsWith('/orders/'));
  for (const path of ['/account/profile', '/orders', '/cart', '/cartlink/status'])
    await alex.goto(`${stack.shopUrl}${path}`);
  await alex.reload();
  requestsAfterCallback = requests.filter((request) => request.at >= callbackAt).length;

  // 2. Blair comes back with a code Instacart will refuse.
  const blair = await instrumentedPage();
  await signIn(blair, stack.shopUrl, 'blair@example.com', '/account/profile');
  const blairLink = await profileTransaction(blair);
  const badCallback = `${stack.shopUrl}/account/profile?${new URLSearchParams({
    code: `bad-${blairLink.state.slice(0, 10)}-not-issued`,
    state: blairLink.state,
    iss: stack.emulator.issuer,
  })}`;
  callbackUrls.push(badCallback);
  await blair.goto(badCallback);
  expect(await dialogTitle(blair)).toBe(FAILURE_TITLE);

  // 3. Casey's exchange meets a Connect answer that echoes the code and the client secret back.
  const casey = await instrumentedPage();
  await signIn(casey, stack.shopUrl, 'casey@example.com', '/account/profile');
  const caseyLink = await profileTransaction(casey);
  const caseyCode = await stack.authorizeCode(
    (await stack.admin.seedShopper('member')).id,
    caseyLink.codeChallenge,
  );
  stack.emulator.addFault({
    method: 'POST',
    path: '/v2/oauth/token',
    status: 400,
    body: {
      error: 'invalid_grant',
      error_description: `code ${caseyCode} refused for client secret ${stack.clientSecret}`,
    },
    times: 1,
  });
  const caseyCallback = `${stack.shopUrl}/account/profile?${new URLSearchParams({
    code: caseyCode,
    state: caseyLink.state,
    iss: stack.emulator.issuer,
  })}`;
  callbackUrls.push(caseyCallback);
  await casey.goto(caseyCallback);
  expect(await dialogTitle(casey)).toBe(FAILURE_TITLE);

  // 4. The admin reads the report and its CSV.
  const admin = await instrumentedPage();
  await signIn(admin, stack.shopUrl, 'admin@example.com', '/admin/reconciliation');
  const csv = await admin.evaluate(async () => (await fetch('/admin/reconciliation.csv')).text());
  responses.push({ url: `${stack.shopUrl}/admin/reconciliation.csv`, status: 200, headers: {}, body: csv });

  // Every built asset, fetched whole.
  for (const path of stack.shop.storefront.assets.byPath.keys()) {
    const response = await fetch(`${stack.shopUrl}${path}`);
    responses.push({
      url: `${stack.shopUrl}${path}`,
      status: response.status,
      headers: {},
      body: await response.text(),
    });
  }
  for (const page of [alex, blair, casey, admin]) await page.waitForLoadState('networkidle');
  await Promise.all(pending);
});

/** The secret values of the run, by kind. */
function collectSecrets() {
  const exchanges = codeExchanges(stack);
  const codes = [...new Set(exchanges.map((exchange) => exchange.code))];
  const verifiers = [
    ...new Set(exchanges.flatMap((exchange) => (exchange.verifier ? [exchange.verifier] : []))),
  ];
  const linkingTokens = [
    ...new Set(exchanges.flatMap((exchange) => (exchange.accessToken ? [exchange.accessToken] : []))),
  ];
  const fulfillmentTokens = [
    ...new Set(
      stack.connectCalls
        .filter((call) => call.path === '/v2/oauth/token' && call.requestBody.includes('client_credentials'))
        .flatMap((call) => {
          const token = (JSON.parse(call.responseBody) as { access_token?: string }).access_token;
          return token ? [token] : [];
        }),
    ),
  ];
  const states = new Set<string>();
  for (const url of callbackUrls) states.add(new URL(url).searchParams.get('state') ?? '');
  for (const response of responses) {
    const text = `${response.headers.location ?? ''} ${response.body.replace(/&amp;/g, '&')}`;
    for (const match of text.matchAll(/[?&]state=([A-Za-z0-9_-]{20,})/g)) if (match[1]) states.add(match[1]);
  }
  states.delete('');
  const sessionValues = new Set<string>();
  const csrfTokens = new Set<string>();
  for (const response of responses) {
    for (const match of response.body.matchAll(/name="(?:_csrf|csrf_token)" value="([^"]+)"/g))
      if (match[1]) csrfTokens.add(match[1]);
    for (const match of (response.headers['set-cookie'] ?? '').matchAll(/(?:^|\n)[^=\n]+=([^;\n]+)/g))
      if (match[1]) sessionValues.add(match[1]);
  }
  return {
    clientSecret: [stack.clientSecret],
    codes,
    verifiers,
    linkingTokens,
    fulfillmentTokens,
    states: [...states],
    sessionValues: [...sessionValues],
    csrfTokens: [...csrfTokens],
  };
}

/** `kind: value` for each secret found in `text`. */
function findSecrets(text: string, secrets: Record<string, string[]>): string[] {
  const found: string[] = [];
  for (const [kind, values] of Object.entries(secrets)) {
    for (const value of values)
      if (value.length >= 8 && text.includes(value)) found.push(`${kind}: ${value}`);
  }
  return found;
}

describe('the flow leaves no secret behind', () => {
  it('collected every kind of secret (so the searches below are not vacuous)', () => {
    const secrets = collectSecrets();
    expect(secrets.codes.length).toBeGreaterThanOrEqual(3);
    expect(secrets.verifiers.length).toBeGreaterThanOrEqual(2);
    expect(secrets.linkingTokens.length).toBeGreaterThanOrEqual(1);
    expect(secrets.fulfillmentTokens.length).toBeGreaterThanOrEqual(1);
    expect(secrets.states.length).toBeGreaterThanOrEqual(3);
    expect(secrets.sessionValues.length).toBeGreaterThanOrEqual(2);
    expect(secrets.csrfTokens.length).toBeGreaterThanOrEqual(2);
    expect(stack.logText().split('\n').length).toBeGreaterThan(20);
  });

  it('takes code and state out of the address bar, and the profile page sets Referrer-Policy: no-referrer', () => {
    const callback = new URL(callbackUrls[0] ?? '');
    expect(callback.searchParams.get('code')).toBeTruthy();
    const after = new URL(addressBarAfterCallback);
    expect(after.pathname).toBe('/account/profile');
    for (const name of ['code', 'state', 'iss', 'error']) expect(after.searchParams.has(name)).toBe(false);
    expect(callbackResponse?.headers['referrer-policy']).toBe('no-referrer');
  });

  it('sends no code or state in any Referer, before or after the callback', () => {
    const { codes, states } = collectSecrets();
    expect(requestsAfterCallback).toBeGreaterThan(5);
    // The recording sees Referer headers at all (the shop's other pages send them for their assets).
    expect(requests.filter((request) => request.referer !== undefined).length).toBeGreaterThan(5);
    const leaking = requests.filter(
      (request) =>
        request.referer !== undefined &&
        (/[?&](code|state)=/.test(request.referer) ||
          [...codes, ...states].some((value) => request.referer?.includes(value))),
    );
    expect(leaking.map((request) => `${request.url} <- ${request.referer}`)).toEqual([]);
  });

  it('writes no secret to the storefront logs (at trace level, including a Connect answer that echoes them)', () => {
    const secrets = collectSecrets();
    expect(findSecrets(stack.logText(), secrets)).toEqual([]);
  });

  it('puts no code, verifier, token, client secret or state in any page or API response body (a state leaves only in the Link POST 303 Location)', () => {
    const { sessionValues: _cookies, csrfTokens: _csrf, ...secrets } = collectSecrets();
    const shopResponses = responses.filter((response) => response.url.startsWith(stack.shopUrl));
    expect(shopResponses.length).toBeGreaterThan(20);
    const found = shopResponses.flatMap((response) =>
      findSecrets(response.body, secrets).map((hit) => `${response.url}: ${hit}`),
    );
    expect(found).toEqual([]);
  });

  it('builds no secret into the front-end assets', () => {
    const { sessionValues: _cookies, csrfTokens: _csrf, ...secrets } = collectSecrets();
    const assets = responses.filter((response) => new URL(response.url).pathname.startsWith('/assets/'));
    expect(assets.length).toBeGreaterThanOrEqual(stack.shop.storefront.assets.byPath.size);
    expect(assets.flatMap((asset) => findSecrets(asset.body, secrets))).toEqual([]);
  });

  it("keeps codes, tokens and the client secret out of the emulator's pages, state and request log", async () => {
    const { codes, verifiers, linkingTokens, fulfillmentTokens, clientSecret } = collectSecrets();
    const bodies = responses
      .filter((response) => response.url.startsWith(stack.emulatorUrl))
      .map((response) => response.body);
    bodies.push(
      JSON.stringify(await stack.admin.state()),
      JSON.stringify(await stack.admin.requests()),
      JSON.stringify(await stack.admin.settings()),
      // The admin page, as an operator's browser shows it (the admin client reads only the JSON).
      (await new ShopClient(stack.emulatorUrl).get('/_emulator/')).text,
    );
    expect(
      bodies.flatMap((body) =>
        findSecrets(body, { codes, verifiers, linkingTokens, fulfillmentTokens, clientSecret }),
      ),
    ).toEqual([]);
  });
});
