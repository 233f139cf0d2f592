/**
 * @module A browser reduced to what the link flow needs, over plain HTTP: one cookie jar per host
 * (browsers do not separate cookies by port, so the shop and the emulator on 127.0.0.1 share it),
 * form posts with the page's origin, redirects followed by hand so that each hop can be checked, and
 * readers for the fields of the pages it meets.
 */
import { CookieJar as ShopCookieJar } from '../../../testing/shop-client.js';

/** One HTTP answer, read whole. */
export interface Page {
  url: string;
  status: number;
  contentType: string;
  body: string;
  /** `Location`, resolved against `url`. */
  location: string | null;
}

/** Options of one request. */
export interface RequestOptions {
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
}

/**
 * Cookies per host name, as a browser keeps them (attributes other than expiry are ignored): one
 * shopper's jar of the repository's shop client for each host.
 */
export class CookieJar {
  private readonly byHost = new Map<string, ShopCookieJar>();

  /** The `Cookie` header for a URL, or null. */
  headerFor(url: string): string | null {
    return this.byHost.get(new URL(url).hostname)?.header() ?? null;
  }

  /** Stores the `Set-Cookie` lines of a response from `url`. */
  store(url: string, setCookies: readonly string[]): void {
    const host = new URL(url).hostname;
    let cookies = this.byHost.get(host);
    if (cookies === undefined) {
      cookies = new ShopCookieJar();
      this.byHost.set(host, cookies);
    }
    cookies.store(setCookies);
  }
}

/** A browser tab: requests with cookies, and `Origin` on everything but GET, as browsers send it. */
export class Browser {
  constructor(
    readonly jar = new CookieJar(),
    readonly timeoutMs = 30_000,
  ) {}

  /** Sends one request; never follows a redirect. */
  async request(method: string, url: string, options: RequestOptions = {}): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html,*/*', ...options.headers };
    const cookie = this.jar.headerFor(url);
    if (cookie !== null) headers.cookie = cookie;
    if (method !== 'GET') headers.origin ??= new URL(url).origin;
    let body: string | undefined;
    if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
      headers.accept = 'application/json';
    }
    const response = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    this.jar.store(url, response.headers.getSetCookie());
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: await response.text(),
      location: location === null ? null : new URL(location, url).toString(),
    };
  }

  get(url: string): Promise<Page> {
    return this.request('GET', url);
  }

  postForm(url: string, form: Record<string, string>): Promise<Page> {
    return this.request('POST', url, { form });
  }

  postJson(url: string, json: unknown): Promise<Page> {
    return this.request('POST', url, { json });
  }
}

/** A check of the flow that did not hold; its message says which hop and what came instead. */
export class FlowError extends Error {
  override name = 'FlowError';
}

/** What a page was, in a line: for failure messages. */
export function describePage(page: Page): string {
  const text = page.body
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return `${page.status} ${page.contentType.split(';')[0]}${page.location ? ` → ${page.location}` : ''}: ${text}`;
}

/** Asserts the status code of a page, or throws a {@link FlowError} naming the hop. */
export function expectStatus(page: Page, status: number, hop: string): Page {
  if (page.status !== status) {
    throw new FlowError(`${hop}: expected HTTP ${status} from ${page.url}, got ${describePage(page)}`);
  }
  return page;
}

/** Asserts a 303 (or 302) and returns its location. */
export function expectRedirect(page: Page, hop: string): string {
  if ((page.status !== 302 && page.status !== 303) || page.location === null) {
    throw new FlowError(`${hop}: expected a redirect from ${page.url}, got ${describePage(page)}`);
  }
  return page.location;
}

/** Decodes the HTML entities the pages use in attribute values. */
function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The attributes of the first start tag `<tag …>` in `html`, or null when there is none. */
export function readTagAttributes(html: string, tag: string): Map<string, string> | null {
  const match = new RegExp(`<${tag}\\b([^>]*)>`, 'i').exec(html);
  if (match === null) return null;
  const attributes = new Map<string, string>();
  for (const attribute of (match[1] ?? '').matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g)) {
    attributes.set((attribute[1] ?? '').toLowerCase(), decodeEntities(attribute[2] ?? ''));
  }
  return attributes;
}

/** The hidden inputs of a page (name to value; the first of a name wins). */
export function readHiddenFields(html: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const input of html.matchAll(/<input\b[^>]*>/gi)) {
    const attributes = readTagAttributes(input[0], 'input');
    if (attributes?.get('type') !== 'hidden') continue;
    const name = attributes.get('name');
    if (name !== undefined && !fields.has(name)) fields.set(name, attributes.get('value') ?? '');
  }
  return fields;
}

/** The submit buttons of a page: their `name`/`value` and their text. */
export function readButtons(html: string): Array<{ name: string; value: string; text: string }> {
  const buttons: Array<{ name: string; value: string; text: string }> = [];
  for (const match of html.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
    const attributes = readTagAttributes(`<button${match[1] ?? ''}>`, 'button');
    buttons.push({
      name: attributes?.get('name') ?? '',
      value: attributes?.get('value') ?? '',
      text: decodeEntities((match[2] ?? '').replace(/<[^>]+>/g, '')).trim(),
    });
  }
  return buttons;
}

/** The value of a `data-*` attribute anywhere in the page, or null. */
export function readDataAttribute(html: string, name: string): string | null {
  return new RegExp(`\\bdata-${name}="([^"]*)"`).exec(html)?.[1] ?? null;
}
