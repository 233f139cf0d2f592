/**
 * @module The one shopper client of the repository's tests, benchmarks and resilience runs: a
 * storefront driven over HTTP (or in process, through the app's own `fetch`) the way a browser tab
 * drives it. It keeps cookies (shared across the instances of one host, as browsers share them
 * across ports), never follows redirects, sends the site's `Origin` on posts, remembers the last
 * page's CSRF token, and can wait out a shed 503 as a patient shopper would. Every answer is read
 * once and reported to an optional observer, so a run can assert that no request got a 5xx.
 *
 * The shopper's steps that several suites take (sign in, press "Link Instacart account", post the
 * callback, checkout) are in `shop-steps.ts`.
 */

/** One answered request, its body read. */
export interface ShopResponse {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  /** The body as text. */
  text: string;
  /** Every `Set-Cookie` line of this answer. */
  setCookies: string[];
  /** The `Location` header of a redirect. */
  location: string | undefined;
  /** The `Retry-After` header (a shed 503, a throttled 429). */
  retryAfter: string | undefined;
  /** How long the request took, in milliseconds. */
  ms: number;
}

/** The body as JSON, or `null` when it is not JSON. */
export function jsonOf<T>(response: ShopResponse): T | null {
  try {
    return JSON.parse(response.text) as T;
  } catch {
    return null;
  }
}

/** True for the storefront's answer to overload: 503 with `Retry-After`. */
export function isShed(response: ShopResponse): boolean {
  return response.status === 503 && response.retryAfter !== undefined;
}

/** A cookie jar, shared by every client of one shopper. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** The `Cookie` header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** Keeps what `Set-Cookie` lines set; an empty value or `Max-Age=0` removes the cookie. */
  store(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      if (index <= 0) continue;
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*0\s*$/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** How a client sends and what it does beyond one request. */
export interface ShopClientOptions {
  /**
   * How requests go out: the network by default, or an app's in-process handler
   * (`(request) => shop.app.fetch(request)`).
   */
  send?: (request: Request) => Promise<Response>;
  /** The cookie jar; a new one by default. Share one to be the same shopper on several instances. */
  jar?: CookieJar;
  /** Sees every answer (each retry too). */
  observe?: (response: ShopResponse) => void;
  /**
   * After a `503` with `Retry-After` (the storefront shedding load), waits as long as it says and
   * sends again, up to this many times.
   *
   * @default 0
   */
  retriesAfterShed?: number;
  /**
   * How long one request may take, in milliseconds.
   *
   * @default 30000
   */
  timeoutMs?: number;
}

/** What one request carries besides its method and path. */
export interface SendOptions {
  /** A form body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body, sent as is. */
  body?: string;
  headers?: Record<string, string>;
  /**
   * The `Origin` header: the client's origin on every method but GET by default; `null` sends none.
   * A string is sent as is (`'null'` is what a browser sends from a `no-referrer` page).
   */
  origin?: string | null;
}

/** A browser tab's view of one storefront origin. */
export class ShopClient {
  readonly jar: CookieJar;
  /** Every `Set-Cookie` line received, oldest first. */
  readonly setCookies: string[] = [];
  /** The last page's `_csrf` field, when it had a form. */
  csrfToken: string | undefined;
  private readonly transport: (request: Request) => Promise<Response>;

  /**
   * @param origin the site's origin, e.g. `http://127.0.0.1:4321`
   */
  constructor(
    readonly origin: string,
    private readonly options: ShopClientOptions = {},
  ) {
    this.jar = options.jar ?? new CookieJar();
    this.transport = options.send ?? ((request) => fetch(request));
  }

  /** The jar's cookies by name. */
  get cookies(): Map<string, string> {
    return this.jar.cookies;
  }

  /** The same shopper (same cookies, observer and options) on another instance. */
  on(origin: string): ShopClient {
    return new ShopClient(origin, { ...this.options, jar: this.jar });
  }

  /** A request; after a shed 503 waits `Retry-After` and sends it again (see the options). */
  async send(method: string, path: string, options: SendOptions = {}): Promise<ShopResponse> {
    const headers: Record<string, string> = {};
    const origin = options.origin === undefined ? (method === 'GET' ? null : this.origin) : options.origin;
    if (origin !== null) headers.origin = origin;
    let body = options.body;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const init = {
      method,
      headers: { ...headers, ...options.headers },
      ...(body === undefined ? {} : { body }),
    };
    let response = await this.request(path, init);
    for (let retry = 0; retry < (this.options.retriesAfterShed ?? 0) && isShed(response); retry++) {
      const seconds = Number(response.retryAfter);
      await new Promise((resolve) => setTimeout(resolve, seconds > 0 ? seconds * 1000 : 1000));
      response = await this.request(path, init);
    }
    return response;
  }

  /** One request as given, with the jar's cookies (unless `init` sets `cookie`); keeps the ones set. */
  async request(path: string, init: RequestInit = {}): Promise<ShopResponse> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header();
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const url = new URL(path, this.origin).href;
    const method = init.method ?? 'GET';
    const started = performance.now();
    const response = await this.transport(
      new Request(url, {
        ...init,
        headers,
        redirect: 'manual',
        signal: init.signal ?? AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      }),
    );
    const setCookies = response.headers.getSetCookie();
    this.setCookies.push(...setCookies);
    this.jar.store(setCookies);
    const text = await response.text();
    const csrf = readCsrf(text);
    if (csrf) this.csrfToken = csrf;
    const answer: ShopResponse = {
      method,
      url,
      status: response.status,
      headers: response.headers,
      text,
      setCookies,
      location: response.headers.get('location') ?? undefined,
      retryAfter: response.headers.get('retry-after') ?? undefined,
      ms: performance.now() - started,
    };
    this.options.observe?.(answer);
    return answer;
  }

  /** `GET path`. */
  get(path: string, headers: Record<string, string> = {}): Promise<ShopResponse> {
    return this.send('GET', path, { headers });
  }

  /** Posts a form as one of the shop's pages would: the site's `Origin` and the last page's CSRF token. */
  post(
    path: string,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ): Promise<ShopResponse> {
    return this.send('POST', path, {
      form: { ...(this.csrfToken ? { _csrf: this.csrfToken } : {}), ...fields },
      headers,
    });
  }

  /** Posts exactly these form fields (no CSRF token added). */
  postForm(
    path: string,
    fields: Record<string, string>,
    options: { origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ShopResponse> {
    return this.send('POST', path, { form: fields, ...options });
  }

  /** Posts JSON as the status element does (the site's `Origin`). */
  postJson(
    path: string,
    body: unknown,
    options: { origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ShopResponse> {
    return this.send('POST', path, { json: body, ...options });
  }

  /**
   * Signs in through the form (its page first, for the CSRF token; a signed-in shopper's page
   * redirects, and the token of an earlier page is posted, as a tab left open would) and returns the
   * form's answer: a 303 away from `/signin` when it worked. Without any token (a shed page on a new
   * client) it returns the page instead.
   */
  async signIn(email: string, password = 'cartlink-demo', next?: string): Promise<ShopResponse> {
    const page = await this.get('/signin');
    if (!this.csrfToken) return page;
    return this.post('/signin', { email, password, ...(next === undefined ? {} : { next }) });
  }
}

/** The `_csrf` hidden field of a page, or undefined. */
export function readCsrf(html: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
}

/** Decodes the HTML entities the storefront's templates produce. */
export function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The value of an attribute on the first `<tag ...>` of the page, or undefined. */
export function readAttribute(page: string, tag: string, attribute: string): string | undefined {
  const element = new RegExp(`<${tag}\\b[^>]*>`).exec(page)?.[0];
  if (!element) return undefined;
  const value = new RegExp(`\\s${attribute}="([^"]*)"`).exec(element)?.[1];
  return value === undefined ? undefined : unescapeHtml(value);
}
