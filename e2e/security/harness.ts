/**
 * @module The security suite's harness. A real emulator and a real storefront on loopback ports (a fresh
 * SQLite file in the system's temporary directory), with three instruments the attacks need:
 * - a recording `fetch` handed to the storefront (`StorefrontDeps.fetch`), which keeps every Connect
 *   call with its request and response bodies: that is where the codes, verifiers, linking tokens and
 *   fulfillment tokens are read from, and how a test sees which user id the shop asked Connect about;
 * - the storefront's own pino logger (`createLogger`, with its redaction) writing into memory;
 * - a movable storefront clock (`StorefrontDeps.now`), for link-transaction expiry.
 *
 * Besides it, an HTTP client with a cookie jar (an attacker does not need a browser), and the steps of
 * the linking flow as the attacks take them: sign in, obtain a fresh state, obtain a code at
 * "Instacart" (the emulator's `authorizeForTest`, what the sandbox authorize call does), post a callback.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type RunningEmulator, startEmulator } from '@cartlink/emulator';
// Not re-exported by `@cartlink/storefront`: the logger factory with the shop's redaction rules.
import {
  createLogger,
  DEMO_USERS,
  parseEnv,
  type RunningStorefront,
  startStorefront,
} from '@cartlink/storefront';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** The failure dialog's heading. */
export const FAILURE_TITLE = "We couldn't link your accounts";
/** The success dialog's heading. */
export const SUCCESS_TITLE = 'Your accounts are linked';

/** One call the storefront made to Connect, as the recording fetch saw it. */
export interface ConnectCall {
  method: string;
  url: string;
  path: string;
  authorization: string | null;
  requestBody: string;
  status: number | null;
  responseBody: string;
}

export interface SecurityStack {
  emulator: RunningEmulator;
  shop: RunningStorefront;
  shopUrl: string;
  redirectUri: string;
  clientId: string;
  /** A random secret registered for this stack, so that finding it anywhere means it leaked. */
  clientSecret: string;
  /** Added to the storefront's clock. */
  clock: { offsetMs: number };
  /** Every Connect call of the storefront, oldest first. */
  connectCalls: ConnectCall[];
  /** Everything the storefront's logger wrote. */
  logText(): string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Extra storefront environment, given the emulator's URL. */
  env?: (emulatorUrl: string) => Record<string, string>;
  /** The emulator's RFC 9207 switch. */
  issuerParam?: boolean;
  /** Storefront log level; `trace` (everything) by default, so that no line escapes the leak search. */
  logLevel?: 'trace' | 'debug' | 'info' | 'silent';
}

/**
 * Starts the emulator (demo seed) and the storefront, registers the storefront's redirect URI (with a
 * random client secret) with the emulator, and wires the instruments.
 */
export async function startSecurityStack(options: StackOptions = {}): Promise<SecurityStack> {
  const emulator = await startEmulator({ port: 0, seed: 'demo' });
  if (options.issuerParam) emulator.emulator.updateSettings({ issuerParam: true });
  const directory = mkdtempSync(join(tmpdir(), 'cartlink-security-'));
  const clock = { offsetMs: 0 };
  const clientId = 'cartlink-demo';
  const clientSecret = `cartlink-secret-${randomBytes(12).toString('hex')}`;
  const connectCalls: ConnectCall[] = [];
  const chunks: string[] = [];
  const logger = createLogger(
    options.logLevel ?? 'trace',
    new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    }),
  );
  const recordingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const requestBody = request.body === null ? '' : await request.clone().text();
    const call: ConnectCall = {
      method: request.method,
      url: request.url,
      path: new URL(request.url).pathname,
      authorization: request.headers.get('authorization'),
      requestBody,
      status: null,
      responseBody: '',
    };
    connectCalls.push(call);
    const response = await fetch(request);
    call.status = response.status;
    call.responseBody = await response.clone().text();
    return response;
  };
  let shop: RunningStorefront;
  try {
    shop = await startStorefront(
      (port) =>
        parseEnv({
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          DATABASE_URL: join(directory, 'storefront.db'),
          CONNECT_BASE_URL: emulator.url,
          CONNECT_AUTH_URL: `${emulator.url}/oauth/authorize`,
          CONNECT_CLIENT_ID: clientId,
          CONNECT_CLIENT_SECRET: clientSecret,
          INSTACART_WEB_URL: emulator.url,
          ...options.env?.(emulator.url),
        }),
      { fetch: recordingFetch, logger, now: () => new Date(Date.now() + clock.offsetMs) },
    );
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const redirectUri = `${shop.url}/account/profile`;
  emulator.emulator.registerApp({
    clientId,
    clientSecret,
    name: 'Corner Market',
    redirectUris: [redirectUri],
  });
  return {
    emulator,
    shop,
    shopUrl: shop.url,
    redirectUri,
    clientId,
    clientSecret,
    clock,
    connectCalls,
    logText: () => chunks.join(''),
    async close() {
      await shop.close();
      await emulator.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The fixed id of a demo shopper (also their Connect `user_id`). */
export function shopUserId(email: string): string {
  const user = DEMO_USERS.find((candidate) => candidate.email === email);
  if (!user) throw new Error(`No demo user ${email}`);
  return user.id;
}

/** Cookie jar entries as `Set-Cookie` left them. */
function applySetCookie(jar: Map<string, string>, line: string): void {
  const [pair = '', ...attributes] = line.split(';');
  const index = pair.indexOf('=');
  if (index === -1) return;
  const name = pair.slice(0, index).trim();
  const value = pair.slice(index + 1).trim();
  const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*0\s*$/i.test(attribute));
  if (expired || value === '') jar.delete(name);
  else jar.set(name, value);
}

/**
 * A client with a cookie jar that never follows redirects, for one origin. Form and JSON posts carry
 * that origin's `Origin` header unless told otherwise, as a page of the site would.
 */
export class HttpClient {
  readonly cookies = new Map<string, string>();
  /** Every `Set-Cookie` line received, oldest first. */
  readonly setCookies: string[] = [];

  /**
   * @param origin the site's origin, e.g. `http://127.0.0.1:4321` or `https://shop.test`
   * @param send how requests go out: the network by default, or an app's in-process handler
   */
  constructor(
    readonly origin: string,
    private readonly send: (request: Request) => Promise<Response> = (request) => fetch(request),
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await this.send(
      new Request(new URL(path, this.origin), { ...init, headers, redirect: 'manual' }),
    );
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      applySetCookie(this.cookies, line);
    }
    return response;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  postForm(
    path: string,
    fields: Record<string, string>,
    options: { origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const origin = options.origin === undefined ? this.origin : options.origin;
    return this.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(origin === null ? {} : { origin }),
        ...options.headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  postJson(
    path: string,
    body: unknown,
    options: { origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const origin = options.origin === undefined ? this.origin : options.origin;
    return this.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(origin === null ? {} : { origin }),
        ...options.headers,
      },
      body: JSON.stringify(body),
    });
  }
}

/** The `_csrf` hidden field of a page. */
export function csrfFieldOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('No _csrf field on the page');
  return token;
}

/** Signs in through the storefront's form; returns the redirect's `Location`. */
export async function signInOverHttp(
  client: HttpClient,
  email: string,
  next?: string,
): Promise<string | null> {
  const form = await client.get('/signin');
  const csrf = csrfFieldOf(await form.text());
  const response = await client.postForm('/signin', {
    _csrf: csrf,
    email,
    password: 'cartlink-demo',
    ...(next === undefined ? {} : { next }),
  });
  expect(response.status, `sign-in of ${email}`).toBe(303);
  return response.headers.get('location');
}

/** A new client of the shop, signed in as `email`. */
export async function shopperClient(stack: SecurityStack, email: string): Promise<HttpClient> {
  const client = new HttpClient(stack.shopUrl);
  await signInOverHttp(client, email);
  return client;
}

/** A link transaction as the shopper's browser receives it: the authorization URL and its parts. */
export interface StartedLink {
  authorizationUrl: string;
  state: string;
  codeChallenge: string | undefined;
}

/** Reads the state and challenge of an authorization URL. */
export function parseAuthorizationUrl(authorizationUrl: string): StartedLink {
  const params = new URL(authorizationUrl).searchParams;
  const state = params.get('state');
  if (!state) throw new Error(`No state in ${authorizationUrl}`);
  return { authorizationUrl, state, codeChallenge: params.get('code_challenge') ?? undefined };
}

/**
 * Starts a link transaction for the client's session as the Link button does: reads the profile
 * page's `csrf-token`, posts it as `_csrf` to `POST /cartlink/authorize`, and takes the authorization
 * URL (with a new state) from the 303's `Location`.
 */
export async function startLink(client: HttpClient): Promise<StartedLink> {
  const profile = await client.get('/account/profile');
  const csrf = /<cartlink-status\b[^>]*\scsrf-token="([^"]+)"/.exec(await profile.text())?.[1];
  if (!csrf) throw new Error('No csrf-token on the profile page');
  const response = await client.postForm('/cartlink/authorize', { _csrf: csrf });
  expect(response.status, 'POST /cartlink/authorize').toBe(303);
  return parseAuthorizationUrl(response.headers.get('location') ?? '');
}

/**
 * Presses "Link Instacart account" on the profile page open in `page` and returns the link transaction
 * of the authorization URL the form's 303 led to. The page ends on the authorization server's side.
 */
export async function pressLinkInBrowser(page: Page): Promise<StartedLink> {
  const authorize = page.waitForRequest(
    (request) => new URL(request.url()).pathname === '/oauth/authorize' && request.isNavigationRequest(),
  );
  await page.getByRole('button', { name: 'Link Instacart account' }).click();
  return parseAuthorizationUrl((await authorize).url());
}

/** What `POST /cartlink/link` answered. */
export interface CallbackAnswer {
  status: number;
  outcome: string | undefined;
  body: string;
}

/** Posts callback parameters to `/cartlink/link`, as the status element does. */
export async function postCallback(
  client: HttpClient,
  body: Record<string, unknown>,
  options: { origin?: string | null; headers?: Record<string, string> } = {},
): Promise<CallbackAnswer> {
  const response = await client.postJson('/cartlink/link', body, options);
  const text = await response.text();
  let outcome: string | undefined;
  try {
    outcome = (JSON.parse(text) as { outcome?: string }).outcome;
  } catch {
    outcome = undefined;
  }
  return { status: response.status, outcome, body: text };
}

let accountCounter = 0;

/** A new Instacart account (an Instacart+ member unless told otherwise), password `instacart`. */
export function newInstacartLogin(stack: SecurityStack, member = true): { id: number; email: string } {
  accountCounter += 1;
  const email = `security-${accountCounter}-${randomBytes(4).toString('hex')}@instacart.test`;
  const { id } = stack.emulator.emulator.createInstacartUser({
    email,
    password: 'instacart',
    instacartplusMember: member,
  });
  return { id, email };
}

/** A new Instacart account (an Instacart+ member unless told otherwise); returns its id. */
export function newInstacartAccount(stack: SecurityStack, member = true): number {
  return newInstacartLogin(stack, member).id;
}

/** An authorization code for the account, as if it had pressed Allow on that authorization request. */
export function authorizeCode(stack: SecurityStack, instacartUserId: number, codeChallenge?: string): string {
  return stack.emulator.emulator.authorizeForTest({
    instacartUserId,
    clientId: stack.clientId,
    redirectUri: stack.redirectUri,
    ...(codeChallenge === undefined ? {} : { codeChallenge }),
  });
}

/** The Instacart account a shop user is linked to at the emulator, or null. */
export function linkedAccountOf(stack: SecurityStack, userId: string): number | null {
  const link = stack.emulator.emulator
    .getLinks()
    .find((candidate) => candidate.clientId === stack.clientId && candidate.userId === userId);
  return link?.instacartUserId ?? null;
}

/** The shop users linked to an Instacart account. */
export function usersLinkedTo(stack: SecurityStack, instacartUserId: number): string[] {
  return stack.emulator.emulator
    .getLinks()
    .filter((link) => link.clientId === stack.clientId && link.instacartUserId === instacartUserId)
    .map((link) => link.userId);
}

/**
 * Unlinks everyone at the emulator (customer-service unlink) and refreshes the shop's stored
 * verifications from Connect, so that every demo shopper starts the next test unlinked.
 */
export async function resetLinks(stack: SecurityStack): Promise<void> {
  for (const link of stack.emulator.emulator.getLinks()) {
    if (link.clientId === stack.clientId) stack.emulator.emulator.unlink(link.clientId, link.userId);
  }
  for (const user of DEMO_USERS) {
    await stack.shop.storefront.linking.getVerification(user.id, { fresh: true });
  }
}

/** Links a shopper for real (state, code, callback) and checks that it worked. */
export async function linkOverHttp(
  stack: SecurityStack,
  client: HttpClient,
  instacartUserId: number,
  extra: Record<string, string> = {},
): Promise<void> {
  const { state, codeChallenge } = await startLink(client);
  const code = authorizeCode(stack, instacartUserId, codeChallenge);
  const answer = await postCallback(client, { code, state, ...extra });
  expect(answer.outcome, answer.body).toBe('linked');
}

/** The authorization-code exchanges the storefront made, with their codes and verifiers. */
export function codeExchanges(stack: SecurityStack): Array<{
  code: string;
  verifier: string | undefined;
  status: number | null;
  accessToken: string | undefined;
}> {
  return stack.connectCalls
    .filter((call) => call.path === '/v2/oauth/token' && call.requestBody.includes('authorization_code'))
    .map((call) => {
      const body = JSON.parse(call.requestBody) as { code: string; code_verifier?: string };
      let accessToken: string | undefined;
      try {
        accessToken = (JSON.parse(call.responseBody) as { access_token?: string }).access_token;
      } catch {
        accessToken = undefined;
      }
      return { code: body.code, verifier: body.code_verifier, status: call.status, accessToken };
    });
}

/** A random value shaped like a state (43 base64url characters). */
export function randomState(): string {
  return randomBytes(32).toString('base64url');
}

/** The status element's state once it is no longer `loading` (usable outside a test, unlike expect.poll). */
export async function waitForStatus(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const state = document.querySelector('cartlink-status')?.getAttribute('state');
    return state !== undefined && state !== null && state !== 'loading';
  });
  return (await page.locator('cartlink-status').getAttribute('state')) ?? '';
}

/**
 * From the profile page: "Link Instacart account", the emulator's log-in (when asked) and Allow.
 * Returns the callback URL the emulator redirected to.
 */
export async function linkThroughEmulator(
  page: Page,
  emulatorUrl: string,
  instacartEmail: string,
): Promise<string> {
  await page.getByRole('button', { name: 'Link Instacart account' }).click();
  await page.waitForURL((url) => url.origin === emulatorUrl);
  const allow = page.getByRole('button', { name: 'Allow' });
  const login = page.getByRole('button', { name: 'Log in' });
  await allow.or(login).first().waitFor();
  if (await login.isVisible()) {
    await page.getByLabel('Email').fill(instacartEmail);
    await page.getByLabel('Password').fill('instacart');
    await login.click();
  }
  await allow.waitFor();
  const callback = page.waitForRequest(
    (request) => new URL(request.url()).pathname === '/account/profile' && request.isNavigationRequest(),
  );
  await allow.click();
  return (await callback).url();
}

/** A `Set-Cookie` line taken apart: name, value and lower-cased attribute names with their values. */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const index = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [key = '', ...value] = part.split('=');
    attributes.set(key.trim().toLowerCase(), value.join('=').trim());
  }
  return { name: pair.slice(0, index).trim(), value: pair.slice(index + 1).trim(), attributes };
}
