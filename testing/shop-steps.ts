/**
 * @module The shopper's steps on the storefront, as its pages and the status element take them, for
 * every suite that drives the shop without a browser: the profile page's status element, "Link
 * Instacart account", the callback post, verification, the cart and checkout. Each step returns
 * what the shop answered and leaves judging it to the caller (a resilience run counts refusals; a
 * test expects none).
 */
import type { EmulatorAdmin } from '@cartlink/emulator/testing';
import { jsonOf, readAttribute, readCsrf, type ShopClient, type ShopResponse } from './shop-client';

/** `StatusView` as `/cartlink/status`, `/cartlink/verify` and `/cartlink/link` answer it, as far as tests read it. */
export interface StatusBody {
  state: string;
  reason: string | null;
  expiredAt: string | null;
  verifiedAt: string | null;
}

/** The profile page: its HTTP status and the status element's server-rendered `state`. */
export async function profileState(client: ShopClient): Promise<{ http: number; state: string | null }> {
  const page = await client.get('/account/profile');
  return { http: page.status, state: readAttribute(page.text, 'cartlink-status', 'state') ?? null };
}

/**
 * Presses "Link Instacart account" as Chromium does: loads the profile page for the status element's
 * `csrf-token` and posts its form to `POST /cartlink/authorize`. The profile page is sent with
 * `Referrer-Policy: no-referrer`, so the browser posts with `Origin: null` and
 * `Sec-Fetch-Site: same-origin`. Returns the form's answer (a 303 to the authorization URL unless
 * the start was refused), or the profile page when it had no form.
 */
export async function pressLink(
  client: ShopClient,
  headers: Record<string, string> = {},
): Promise<ShopResponse> {
  const profile = await client.get('/account/profile');
  const csrf = readAttribute(profile.text, 'cartlink-status', 'csrf-token');
  if (!csrf) return profile;
  return client.postForm(
    '/cartlink/authorize',
    { _csrf: csrf },
    { origin: 'null', headers: { 'sec-fetch-site': 'same-origin', ...headers } },
  );
}

/** A started link transaction: the authorization URL the shop sent the shopper to, and its parts. */
export interface StartedLink {
  authorizationUrl: URL;
  state: string;
  clientId: string;
  redirectUri: string;
  /** The PKCE challenge, when the shop sent one. */
  codeChallenge: string | undefined;
}

/** Takes an authorization URL apart. */
export function readAuthorizationUrl(authorizationUrl: string | URL): StartedLink {
  const url = new URL(authorizationUrl);
  const params = url.searchParams;
  return {
    authorizationUrl: url,
    state: params.get('state') ?? '',
    clientId: params.get('client_id') ?? '',
    redirectUri: params.get('redirect_uri') ?? '',
    codeChallenge: params.get('code_challenge') ?? undefined,
  };
}

/** What pressing "Link Instacart account" came to. */
export type LinkStart =
  | { started: true; link: StartedLink; response: ShopResponse }
  /** `throttled`: 303 back with `cartlink_outcome=throttled`; `refused`: any other answer. */
  | { started: false; why: 'throttled' | 'refused'; response: ShopResponse };

/** Presses "Link Instacart account" and reads the authorization URL of the 303, if it led there. */
export async function tryStartLink(client: ShopClient): Promise<LinkStart> {
  const response = await pressLink(client);
  const location = response.location ?? '';
  if (response.status === 303 && location.includes('cartlink_outcome=throttled'))
    return { started: false, why: 'throttled', response };
  if (response.status === 303 && /^https?:/.test(location))
    return { started: true, link: readAuthorizationUrl(location), response };
  return { started: false, why: 'refused', response };
}

/** Presses "Link Instacart account"; throws unless the shop sent the shopper to Instacart. */
export async function startLink(client: ShopClient): Promise<StartedLink> {
  const start = await tryStartLink(client);
  if (!start.started) {
    throw new Error(
      `POST /cartlink/authorize answered ${start.response.status}: ${start.response.text.slice(0, 200)}`,
    );
  }
  return start.link;
}

/** What `POST /cartlink/link` answered. */
export interface CallbackAnswer {
  http: number;
  outcome: string | undefined;
  status: StatusBody | undefined;
  response: ShopResponse;
}

/** Posts the callback's parameters to `/cartlink/link`, as the status element does. */
export async function postCallback(
  client: ShopClient,
  callback: Record<string, unknown>,
  options: { origin?: string | null; headers?: Record<string, string> } = {},
): Promise<CallbackAnswer> {
  const response = await client.postJson('/cartlink/link', callback, options);
  const body = jsonOf<{ outcome?: string; status?: StatusBody }>(response);
  return { http: response.status, outcome: body?.outcome, status: body?.status, response };
}

/**
 * Links the signed-in shopper to an Instacart account without a browser: presses "Link Instacart
 * account", has the emulator issue the code the shopper's Allow would have (the sandbox call, bound
 * to the URL's redirect URI and PKCE challenge), and posts `code` and `state` to the callback.
 */
export async function linkAccount(
  client: ShopClient,
  admin: EmulatorAdmin,
  instacartUserId: number,
  extra: Record<string, string> = {},
): Promise<CallbackAnswer> {
  const link = await startLink(client);
  const code = await admin.authorizeCode({
    instacartUserId,
    clientId: link.clientId,
    redirectUri: link.redirectUri,
    codeChallenge: link.codeChallenge ?? null,
  });
  return postCallback(client, { code, state: link.state, ...extra });
}

/** `GET /cartlink/status`. */
export async function getStatus(client: ShopClient): Promise<{ http: number; status: StatusBody | null }> {
  const response = await client.get('/cartlink/status');
  return { http: response.status, status: response.status === 200 ? jsonOf<StatusBody>(response) : null };
}

/** `POST /cartlink/verify`: a fresh membership verification. */
export async function verify(client: ShopClient): Promise<{ http: number; status: StatusBody | null }> {
  const response = await client.postJson('/cartlink/verify', {});
  return { http: response.status, status: response.status === 200 ? jsonOf<StatusBody>(response) : null };
}

/** Adds a product to the cart with the catalogue page's form; returns the HTTP status of the post. */
export async function addToCart(client: ShopClient, productId: string): Promise<number> {
  const page = await client.get('/');
  const csrf = readCsrf(page.text);
  if (!csrf) return page.status;
  return (await client.postForm('/cart/items', { _csrf: csrf, product_id: productId })).status;
}

/** The checkout page: the fee it will charge and which delivery message it shows. */
export interface CheckoutPage {
  http: number;
  /** `data-delivery-fee-cents`. */
  feeCents: number | null;
  csrf: string | undefined;
  /** "You saved $… with Instacart+". */
  savedMessage: boolean;
  /** "…couldn't reach Instacart to verify…". */
  unreachableMessage: boolean;
  /** "…based on your recent Instacart+ membership verification" (the grace rule). */
  graceMessage: boolean;
  text: string;
}

/** `GET /checkout`. */
export async function checkoutPage(client: ShopClient): Promise<CheckoutPage> {
  const response = await client.get('/checkout');
  const fee = /data-delivery-fee-cents="(\d+)"/.exec(response.text)?.[1];
  return {
    http: response.status,
    feeCents: fee === undefined ? null : Number(fee),
    csrf: readCsrf(response.text),
    savedMessage: /You saved \$[\d.]+ with Instacart\+/.test(response.text),
    unreachableMessage: /couldn(?:'|&#39;|&#x27;|’)t reach Instacart to verify/.test(response.text),
    graceMessage: /based on your recent Instacart\+ membership verification/.test(response.text),
    text: response.text,
  };
}

/** "Place order" with the fee the checkout page showed; returns the order id of the redirect. */
export async function placeOrder(
  client: ShopClient,
  page: CheckoutPage,
): Promise<{ http: number; orderId: string | null; response: ShopResponse }> {
  const response = await client.postForm('/checkout', {
    _csrf: page.csrf ?? '',
    expected_fee_cents: page.feeCents === null ? '' : String(page.feeCents),
  });
  const orderId = /^\/orders\/([^/?#]+)$/.exec(response.location ?? '')?.[1];
  return {
    http: response.status,
    orderId: orderId === undefined ? null : decodeURIComponent(orderId),
    response,
  };
}
