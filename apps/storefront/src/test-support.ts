/**
 * @module Helpers for the storefront's tests: a shop wired to an in-process emulator, a cookie-keeping
 * client for `app.request()`, and small HTML readers. Used only by `*.test.ts`.
 */
import { Writable } from 'node:stream';
import { createEmulator, type Emulator } from '@cartlink/emulator';
import { createStorefront, type Storefront, type StorefrontDeps } from './app.js';
import type { ElementsBundleSource } from './assets.js';
import { type EnvSource, parseEnv } from './env.js';
import { createLogger, type Logger } from './logger.js';
import { type RunningStorefront, startStorefront } from './server-node.js';

/** The public origin the in-process tests pretend to be served from. */
export const TEST_ORIGIN = 'http://shop.test';

/** The in-process emulator's base URL (never resolved: requests go to `emulator.fetch`). */
export const EMULATOR_URL = 'http://emulator.test';

let bundle: Promise<ElementsBundleSource> | undefined;

/** The real elements bundle, built once per test file (about a second). */
export function getElementsBundle(): Promise<ElementsBundleSource> {
  bundle ??= import('./elements-bundle-node.js').then((module) => module.loadElementsBundle());
  return bundle;
}

/** A logger whose lines are kept in memory, for tests that read the logs. */
export function createMemoryLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger('debug', stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** A shop and the emulator it talks to. */
export interface TestShop {
  shop: Storefront;
  emulator: Emulator;
  /** A new client with its own cookie jar. */
  client(): TestClient;
  close(): Promise<void>;
}

/**
 * Starts a storefront on `:memory:` SQLite (unless `env.DATABASE_URL` says otherwise) whose Connect
 * client calls an in-process emulator through the injected `fetch`.
 */
export async function createTestShop(
  options: { env?: EnvSource; deps?: StorefrontDeps; emulator?: Emulator } = {},
): Promise<TestShop> {
  const emulator = options.emulator ?? createEmulator({ seed: 'demo', issuer: EMULATOR_URL });
  const config = parseEnv({
    PUBLIC_URL: TEST_ORIGIN,
    DATABASE_URL: ':memory:',
    CONNECT_BASE_URL: EMULATOR_URL,
    CONNECT_AUTH_URL: `${EMULATOR_URL}/oauth/authorize`,
    INSTACART_WEB_URL: EMULATOR_URL,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  emulator.registerApp({
    clientId: config.connect.clientId,
    clientSecret: config.connect.clientSecret,
    name: 'Corner Market',
    redirectUris: [config.connect.redirectUri],
  });
  const shop = await createStorefront(config, {
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
    elementsBundle: await getElementsBundle(),
    ...options.deps,
  });
  return {
    shop,
    emulator,
    client: () => new TestClient(shop),
    close: () => shop.close(),
  };
}

/**
 * Starts a storefront over a real socket on a free loopback port, on `:memory:` SQLite, with Connect
 * answered by an in-process emulator: for what only a socket shows (the peer address, a body sent
 * slowly). `createTestShop` covers everything else without one.
 */
export async function startTestServer(env: EnvSource = {}): Promise<RunningStorefront> {
  const emulator = createEmulator({ seed: 'demo', issuer: EMULATOR_URL });
  return startStorefront(
    (port) =>
      parseEnv({
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: ':memory:',
        CONNECT_BASE_URL: EMULATOR_URL,
        CONNECT_AUTH_URL: `${EMULATOR_URL}/oauth/authorize`,
        LOG_LEVEL: 'silent',
        ...env,
      }),
    {
      fetch: (input, init) => emulator.fetch(new Request(input, init)),
      elementsBundle: await getElementsBundle(),
    },
  );
}

/** A response with its body read. */
export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** All `Set-Cookie` values. */
  setCookies: string[];
}

/** A client for `app.request()` that keeps cookies, like a browser tab. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  /** The last page's CSRF token, when it had a form. */
  csrfToken: string | undefined;

  constructor(readonly shop: Storefront) {}

  private get origin(): string {
    return this.shop.config.publicUrl;
  }

  /** Sends a request with the jar's cookies and keeps the ones set. */
  async request(path: string, init: RequestInit = {}): Promise<TestResponse> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await this.shop.app.request(`${this.origin}${path}`, { ...init, headers });
    const setCookies = response.headers.getSetCookie();
    for (const cookie of setCookies) {
      const [pair = '', ...attributes] = cookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const cleared = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (cleared || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrfToken = token;
    return { status: response.status, headers: response.headers, text, setCookies };
  }

  get(path: string): Promise<TestResponse> {
    return this.request(path);
  }

  /**
   * Posts a form from one of the shop's pages: same Origin and the last CSRF token, unless the
   * fields or `headers` say otherwise.
   */
  post(
    path: string,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ): Promise<TestResponse> {
    const body = new URLSearchParams({ ...(this.csrfToken ? { _csrf: this.csrfToken } : {}), ...fields });
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...headers },
      body: body.toString(),
    });
  }

  /** Signs in (loading the sign-in page first for its CSRF token). */
  async signIn(email: string, password = 'cartlink-demo', next?: string): Promise<TestResponse> {
    await this.get('/signin');
    return this.post('/signin', { email, password, ...(next ? { next } : {}) });
  }

  /** Posts JSON to a linking endpoint as the status element does. */
  postJson(path: string, body: unknown): Promise<TestResponse> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.origin },
      body: JSON.stringify(body),
    });
  }
}

/** Decodes the HTML entities our templates produce. */
export function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The value of an attribute on the first `<tag ...>` in the page, or undefined. */
export function readAttribute(page: string, tag: string, attribute: string): string | undefined {
  const element = new RegExp(`<${tag}\\b[^>]*>`).exec(page)?.[0];
  if (!element) return undefined;
  const value = new RegExp(`\\s${attribute}="([^"]*)"`).exec(element)?.[1];
  return value === undefined ? undefined : unescapeHtml(value);
}

/**
 * Presses "Link Instacart account" the way the browser does: loads the profile page, posts the
 * element's form (its `csrf-token` as `_csrf`) to `/cartlink/authorize`, and returns the response
 * (a 303 whose `Location` is the authorization URL, unless the start was refused).
 */
export async function pressLink(
  client: TestClient,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  const profile = await client.get('/account/profile');
  const csrfToken = readAttribute(profile.text, 'cartlink-status', 'csrf-token');
  if (!csrfToken) throw new Error('The profile page rendered no csrf-token for the Link form');
  // The profile page is sent with `Referrer-Policy: no-referrer`, so Chromium posts its forms with
  // `Origin: null` and `Sec-Fetch-Site: same-origin`.
  return client.post(
    '/cartlink/authorize',
    { _csrf: csrfToken },
    { origin: 'null', 'sec-fetch-site': 'same-origin', ...headers },
  );
}

/** Presses "Link Instacart account" and returns the authorization URL its 303 points to. */
export async function startLink(client: TestClient): Promise<URL> {
  const response = await pressLink(client);
  const location = response.headers.get('location');
  if (response.status !== 303 || !location) {
    throw new Error(`POST /cartlink/authorize answered ${response.status}: ${response.text}`);
  }
  return new URL(location);
}

/**
 * Links the signed-in client's shopper to an Instacart account the way the browser would: presses
 * "Link Instacart account" on the profile page, has the emulator authorize the URL it redirects to
 * for `instacartUserId` (as if the shopper pressed Allow), and posts `code` and `state` to
 * `/cartlink/link`.
 */
export async function linkAccount(
  testShop: TestShop,
  client: TestClient,
  instacartUserId: number,
): Promise<{ outcome: string; status: { state: string } }> {
  const url = await startLink(client);
  const code = testShop.emulator.authorizeForTest({
    instacartUserId,
    clientId: url.searchParams.get('client_id') ?? '',
    redirectUri: url.searchParams.get('redirect_uri') ?? '',
    ...(url.searchParams.get('code_challenge')
      ? { codeChallenge: url.searchParams.get('code_challenge') ?? '' }
      : {}),
  });
  const response = await client.postJson('/cartlink/link', { code, state: url.searchParams.get('state') });
  return JSON.parse(response.text) as { outcome: string; status: { state: string } };
}
