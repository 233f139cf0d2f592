/**
 * @module A shopper driving the storefront over HTTP the way the browser does: a cookie jar, the
 * sign-in form with its CSRF token, the linking endpoints with an `Origin` header and JSON, the
 * profile page's status element, checkout and "Place order". Every response is reported to an
 * observer, so a section can assert that no request ever got a 5xx (a client may be told to retry
 * after the storefront sheds load with 503 and `Retry-After`; each try is observed).
 */
import { sleep } from './processes';

/** One HTTP exchange as the observer sees it. */
export interface Exchange {
  method: string;
  url: string;
  status: number;
  contentType: string;
  body: string;
  ms: number;
  /** The `Location` header of a redirect. */
  location?: string | undefined;
  /** The `Retry-After` header (a shed 503, a throttled 429). */
  retryAfter?: string | undefined;
}

/** A cookie jar shared by every client of one shopper (browsers share cookies across ports of a host). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (!pair || index <= 0) continue;
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** Options of one request. */
export interface SendOptions {
  form?: Record<string, string>;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
  /** The `Origin` header; the client's own origin by default on non-GET requests, none when null. */
  origin?: string | null;
  timeoutMs?: number;
}

/** How a client behaves beyond one request. */
export interface ShopClientOptions {
  /**
   * Retries after a `503` with `Retry-After` (the storefront shedding load), waiting as long as it
   * says, up to this many times; as a patient browser user would press reload. Default 0.
   */
  retriesAfterShed?: number;
}

/** True for the storefront's answer to overload: 503 with `Retry-After`. */
export function isShed(exchange: Exchange): boolean {
  return exchange.status === 503 && exchange.retryAfter !== undefined;
}

/** An HTTP client for one storefront origin with a (possibly shared) cookie jar. */
export class ShopClient {
  constructor(
    readonly baseUrl: string,
    readonly jar: CookieJar = new CookieJar(),
    readonly observe: (exchange: Exchange) => void = () => {},
    readonly options: ShopClientOptions = {},
  ) {}

  /** The same shopper (same cookies) on another storefront instance. */
  on(baseUrl: string): ShopClient {
    return new ShopClient(baseUrl, this.jar, this.observe, this.options);
  }

  /** Sends a request; after a shed 503 waits `Retry-After` and sends it again (see the options). */
  async send(method: string, path: string, options: SendOptions = {}): Promise<Exchange> {
    let exchange = await this.sendOnce(method, path, options);
    for (let retry = 0; retry < (this.options.retriesAfterShed ?? 0) && isShed(exchange); retry++) {
      const seconds = Number(exchange.retryAfter);
      await sleep(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
      exchange = await this.sendOnce(method, path, options);
    }
    return exchange;
  }

  private async sendOnce(method: string, path: string, options: SendOptions): Promise<Exchange> {
    const headers: Record<string, string> = { ...options.headers };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    const origin = options.origin === undefined ? (method === 'GET' ? null : this.baseUrl) : options.origin;
    if (origin !== null) headers.origin = origin;
    let body: string | undefined = options.body;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const started = performance.now();
    const response = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    this.jar.store(response.headers.getSetCookie());
    const text = await response.text();
    const exchange: Exchange = {
      method,
      url,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: text,
      ms: performance.now() - started,
      location: response.headers.get('location') ?? undefined,
      retryAfter: response.headers.get('retry-after') ?? undefined,
    };
    this.observe(exchange);
    return exchange;
  }
}

/** The `_csrf` hidden field of a page, or null. */
export function readCsrf(html: string): string | null {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;
}

/** The status element's `state` attribute on the profile page, or null. */
export function readStatusState(html: string): string | null {
  return /<cartlink-status\s+state="([^"]+)"/.exec(html)?.[1] ?? null;
}

/** Signs in through `/signin` (form and CSRF token); true on the 303 that ends a successful sign-in. */
export async function signIn(
  client: ShopClient,
  email: string,
  password: string,
): Promise<{ ok: boolean; status: number; ms: number }> {
  const started = performance.now();
  const page = await client.send('GET', '/signin');
  const csrf = readCsrf(page.body);
  if (!csrf) return { ok: false, status: page.status, ms: performance.now() - started };
  const posted = await client.send('POST', '/signin', { form: { _csrf: csrf, email, password } });
  const ok = posted.status === 303 && posted.location !== undefined && !posted.location.includes('/signin');
  return { ok, status: posted.status, ms: performance.now() - started };
}

/** What `/cartlink/status` and `/cartlink/verify` answer (`StatusView`), as far as the checks need it. */
export interface StatusBody {
  state: string;
  reason: string | null;
  expiredAt: string | null;
  verifiedAt: string | null;
}

function parseJson<T>(exchange: Exchange): T | null {
  try {
    return JSON.parse(exchange.body) as T;
  } catch {
    return null;
  }
}

/** `GET /cartlink/status`. */
export async function getStatus(client: ShopClient): Promise<{ http: number; status: StatusBody | null }> {
  const exchange = await client.send('GET', '/cartlink/status');
  return { http: exchange.status, status: exchange.status === 200 ? parseJson<StatusBody>(exchange) : null };
}

/** `POST /cartlink/verify` (a fresh membership verification). */
export async function verify(client: ShopClient): Promise<{ http: number; status: StatusBody | null }> {
  const exchange = await client.send('POST', '/cartlink/verify', { json: {} });
  return { http: exchange.status, status: exchange.status === 200 ? parseJson<StatusBody>(exchange) : null };
}

/** `POST /cartlink/link` with the callback's parameters, as the status element posts them. */
export async function completeLink(
  client: ShopClient,
  callback: { code?: string; state?: string; iss?: string; error?: string },
): Promise<{ http: number; outcome: string | null; status: StatusBody | null; ms: number }> {
  const exchange = await client.send('POST', '/cartlink/link', { json: callback });
  const body = exchange.status === 200 ? parseJson<{ outcome: string; status: StatusBody }>(exchange) : null;
  return {
    http: exchange.status,
    outcome: body?.outcome ?? null,
    status: body?.status ?? null,
    ms: exchange.ms,
  };
}

/** The status element's `csrf-token` attribute on the profile page (what its Link form posts), or null. */
export function readLinkCsrf(html: string): string | null {
  return /<cartlink-status\b[^>]*\scsrf-token="([^"]+)"/.exec(html)?.[1] ?? null;
}

/** What pressing "Link Instacart account" came to. */
export interface LinkStart {
  http: number;
  /** The authorization URL of the 303, or null when the start was refused. */
  authorizationUrl: string | null;
  /** True when the shop refused for too many starts (303 back with `cartlink_outcome=throttled`). */
  throttled: boolean;
  ms: number;
}

/**
 * Presses "Link Instacart account" as the browser does: reads the CSRF token from the profile page's
 * status element (unless given one), posts the form to `POST /cartlink/authorize`, and takes the
 * authorization URL from the 303's `Location` (which a browser would follow to Instacart).
 */
export async function startLink(client: ShopClient, csrfToken?: string): Promise<LinkStart> {
  const started = performance.now();
  let csrf = csrfToken ?? null;
  if (csrf === null) {
    const profile = await client.send('GET', '/account/profile');
    csrf = readLinkCsrf(profile.body);
    if (csrf === null) {
      return {
        http: profile.status,
        authorizationUrl: null,
        throttled: false,
        ms: performance.now() - started,
      };
    }
  }
  const exchange = await client.send('POST', '/cartlink/authorize', { form: { _csrf: csrf } });
  const location = exchange.location ?? '';
  const throttled = exchange.status === 303 && location.includes('cartlink_outcome=throttled');
  const authorizationUrl =
    exchange.status === 303 && !throttled && /^https?:/.test(location) ? location : null;
  return { http: exchange.status, authorizationUrl, throttled, ms: performance.now() - started };
}

/** The profile page: HTTP status and the status element's `state` attribute. */
export async function profileState(client: ShopClient): Promise<{ http: number; state: string | null }> {
  const exchange = await client.send('GET', '/account/profile');
  return { http: exchange.status, state: readStatusState(exchange.body) };
}

/** Adds one product to the cart with the form on the catalogue page. */
export async function addToCart(client: ShopClient, productId: string): Promise<number> {
  const page = await client.send('GET', '/');
  const csrf = readCsrf(page.body);
  if (!csrf) return page.status;
  const posted = await client.send('POST', '/cart/items', { form: { _csrf: csrf, product_id: productId } });
  return posted.status;
}

/** The checkout page: the fee it will charge (`data-delivery-fee-cents`) and its delivery message. */
export interface CheckoutPage {
  http: number;
  feeCents: number | null;
  csrf: string | null;
  unreachableMessage: boolean;
  graceMessage: boolean;
  savedMessage: boolean;
}

/** `GET /checkout`. */
export async function checkoutPage(client: ShopClient): Promise<CheckoutPage> {
  const exchange = await client.send('GET', '/checkout');
  const fee = /data-delivery-fee-cents="(\d+)"/.exec(exchange.body)?.[1];
  return {
    http: exchange.status,
    feeCents: fee === undefined ? null : Number(fee),
    csrf: readCsrf(exchange.body),
    unreachableMessage: /couldn(?:'|&#39;|&#x27;|’)t reach Instacart to verify/.test(exchange.body),
    graceMessage: /based on your recent Instacart\+ membership verification/.test(exchange.body),
    savedMessage: /You saved \$[\d.]+ with Instacart\+/.test(exchange.body),
  };
}

/** "Place order" with the fee the page showed; returns the order id from the redirect. */
export async function placeOrder(
  client: ShopClient,
  page: CheckoutPage,
): Promise<{ http: number; orderId: string | null }> {
  const exchange = await client.send('POST', '/checkout', {
    form: { _csrf: page.csrf ?? '', expected_fee_cents: String(page.feeCents ?? '') },
  });
  const orderId = /^\/orders\/([^/?#]+)$/.exec(exchange.location ?? '')?.[1] ?? null;
  return { http: exchange.status, orderId: orderId === null ? null : decodeURIComponent(orderId) };
}

/** The parameters of an authorization URL the storefront built. */
export interface AuthorizationRequest {
  state: string;
  redirectUri: string;
  codeChallenge: string | null;
}

/** Reads `state`, `redirect_uri` and the PKCE challenge from an authorization URL. */
export function readAuthorizationUrl(authorizationUrl: string): AuthorizationRequest {
  const url = new URL(authorizationUrl);
  return {
    state: url.searchParams.get('state') ?? '',
    redirectUri: url.searchParams.get('redirect_uri') ?? '',
    codeChallenge: url.searchParams.get('code_challenge'),
  };
}
