/**
 * @module The end-to-end fixture: a real emulator (the kit's `startTestEmulator`, in process) and a real
 * storefront on loopback ports, the storefront on a fresh SQLite file and registered with the emulator
 * under a client secret of its own; and the Chromium shoppers that drive them.
 *
 * The stack carries the instruments the browser and security suites read:
 * - a recording `fetch` handed to the storefront, which keeps every Connect call with its request and
 *   response bodies (the codes, verifiers and tokens an attack or a leak search needs);
 * - the storefront's own logger (with its redaction) writing into memory;
 * - a movable storefront clock, for link-transaction expiry and the grace rule.
 *
 * A test file calls {@link setUpE2eStack} once with what its stack needs and reads the stack inside its
 * tests and hooks; shoppers opened with {@link openShopper} are checked for CSP violations and
 * third-party requests when the file ends.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Emulator } from '@cartlink/emulator';
import { type EmulatorAdmin, startTestEmulator, type TestEmulator } from '@cartlink/emulator/testing';
import {
  createLogger,
  DEMO_USERS,
  parseEnv,
  type RunningStorefront,
  startStorefront,
} from '@cartlink/storefront';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { launchBrowser } from './browser';
import { ShopClient } from './shop-client';

/** One call the storefront made to Connect, as the recording fetch saw it. */
export interface ConnectCall {
  method: string;
  url: string;
  path: string;
  authorization: string | null;
  requestBody: string;
  /** `null` while the answer is awaited. */
  status: number | null;
  responseBody: string;
}

/** What differs from one stack to another. */
export interface E2eStackOptions {
  /** Extra storefront environment; a function is given the emulator's URL (its issuer). */
  env?: Record<string, string> | ((emulatorUrl: string) => Record<string, string>);
  /** Turns on the emulator's RFC 9207 `iss` parameter on callbacks. */
  issuerParam?: boolean;
  /**
   * The storefront's log level. Whatever it writes is kept in memory ({@link E2eStack.logText}).
   *
   * @default 'silent'
   */
  logLevel?: 'trace' | 'debug' | 'info' | 'silent';
}

/** A running emulator and storefront. */
export interface E2eStack {
  /** The emulator's URL, which is also its issuer. */
  emulatorUrl: string;
  /** The emulator in this process, with its typed helpers (`getLinks`, `unlink`, `addFault`, …). */
  emulator: Emulator;
  /** The kit's admin client of the emulator, ready to issue codes for the stack's application. */
  admin: EmulatorAdmin;
  shop: RunningStorefront;
  shopUrl: string;
  /** The storefront's registered redirect URI (its profile page). */
  redirectUri: string;
  clientId: string;
  /** Random for each stack, so that finding it anywhere means it leaked. */
  clientSecret: string;
  /** Added to the storefront's clock. */
  clock: { offsetMs: number };
  /** Every Connect call of the storefront, oldest first. */
  connectCalls: ConnectCall[];
  /** Everything the storefront's logger wrote. */
  logText(): string;
  /**
   * An authorization code for the account, as if it had pressed Allow on an authorization request
   * of this shop (bound to its redirect URI and to `codeChallenge` when given).
   */
  authorizeCode(instacartUserId: number, codeChallenge?: string): Promise<string>;
  /** A new client of the shop, signed in as the demo shopper `email`. */
  signInClient(email: string): Promise<ShopClient>;
  close(): Promise<void>;
}

/** The application the storefront is registered as (the demo seed's client id). */
const CLIENT_ID = 'cartlink-demo';

/**
 * Starts the emulator (demo seed) and the storefront on free ports, registers the storefront's
 * redirect URI with a random client secret, and wires the instruments.
 */
export async function startE2eStack(options: E2eStackOptions = {}): Promise<E2eStack> {
  const testEmulator = await startTestEmulator(
    options.issuerParam ? { scenario: { settings: { issuer_param: true } } } : {},
  );
  const emulator = testEmulator.emulator;
  if (!emulator) throw new Error('startE2eStack: the emulator must run in this process');
  let directory: string;
  try {
    directory = mkdtempSync(join(tmpdir(), 'cartlink-e2e-'));
  } catch (error) {
    await testEmulator.stop();
    throw error;
  }
  const clientSecret = `cartlink-secret-${randomBytes(12).toString('hex')}`;
  const clock = { offsetMs: 0 };
  const connectCalls: ConnectCall[] = [];
  const log = memoryLog(options.logLevel ?? 'silent');
  let shop: RunningStorefront;
  try {
    shop = await startStorefront(
      (port) =>
        parseEnv({
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          DATABASE_URL: join(directory, 'storefront.db'),
          CONNECT_BASE_URL: testEmulator.url,
          CONNECT_AUTH_URL: `${testEmulator.url}/oauth/authorize`,
          CONNECT_CLIENT_ID: CLIENT_ID,
          CONNECT_CLIENT_SECRET: clientSecret,
          INSTACART_WEB_URL: testEmulator.url,
          ...(typeof options.env === 'function' ? options.env(testEmulator.url) : options.env),
        }),
      {
        fetch: recordingFetch(connectCalls),
        logger: log.logger,
        now: () => new Date(Date.now() + clock.offsetMs),
      },
    );
  } catch (error) {
    await stopEmulator(testEmulator, directory);
    throw error;
  }
  const redirectUri = `${shop.url}/account/profile`;
  const { admin } = testEmulator;
  try {
    // Registered through the admin client, which then knows the secret (`admin.fulfillmentToken`).
    await admin.registerApp({
      client_id: CLIENT_ID,
      client_secret: clientSecret,
      name: 'Corner Market',
      redirect_uris: [redirectUri],
    });
  } catch (error) {
    await shop.close();
    await stopEmulator(testEmulator, directory);
    throw error;
  }
  return {
    emulatorUrl: testEmulator.url,
    emulator,
    admin,
    shop,
    shopUrl: shop.url,
    redirectUri,
    clientId: CLIENT_ID,
    clientSecret,
    clock,
    connectCalls,
    logText: log.text,
    authorizeCode: (instacartUserId, codeChallenge) =>
      admin.authorizeCode({ instacartUserId, redirectUri, clientId: CLIENT_ID, codeChallenge }),
    async signInClient(email) {
      const client = new ShopClient(shop.url);
      const answer = await client.signIn(email);
      if (answer.status !== 303) throw new Error(`sign-in of ${email} answered ${answer.status}`);
      return client;
    },
    async close() {
      await shop.close();
      await stopEmulator(testEmulator, directory);
    },
  };
}

/**
 * Starts a stack before the file's tests (with {@link startE2eStack}) and, after them, checks every
 * shopper opened with {@link openShopper} (no CSP violation, no third-party request), closes the
 * file's Chromium and the stack. The returned object is filled in by the `beforeAll`: read it inside
 * tests and hooks only.
 *
 * @example
 * ```ts
 * const stack = setUpE2eStack({ env: { DELIVERY_GRACE_SECONDS: '900' } });
 *
 * it('links', async () => {
 *   const { page } = await openShopper(stack);
 *   await page.goto(`${stack.shopUrl}/signin`);
 * });
 * ```
 */
export function setUpE2eStack(options: E2eStackOptions = {}): E2eStack {
  const stack = {} as E2eStack;
  let started = false;
  beforeAll(async () => {
    Object.assign(stack, await startE2eStack(options));
    started = true;
  });
  afterAll(async () => {
    const shoppers = openShoppers.splice(0);
    try {
      for (const shopper of shoppers) {
        expect(shopper.cspViolations, 'CSP violations').toEqual([]);
        expect(shopper.foreignRequests, 'requests to other origins').toEqual([]);
      }
    } finally {
      await closeBrowser();
      if (started) await stack.close();
    }
  });
  return stack;
}

/** The fixed id of a demo shopper (also their Connect `user_id`). */
export function shopUserId(email: string): string {
  const user = DEMO_USERS.find((candidate) => candidate.email === email);
  if (!user) throw new Error(`No demo user ${email}`);
  return user.id;
}

let browser: Promise<Browser> | undefined;
/** The shoppers of this file, checked and closed by {@link setUpE2eStack}. */
const openShoppers: ShopperPage[] = [];

/** One Chromium per test file, closed by {@link setUpE2eStack}. */
export function getBrowser(): Promise<Browser> {
  browser ??= launchBrowser();
  return browser;
}

async function closeBrowser(): Promise<void> {
  const closing = browser;
  browser = undefined;
  if (closing) await (await closing).close();
}

/** A page in a fresh context (its own cookies) that records CSP violations and third-party requests. */
export interface ShopperPage {
  page: Page;
  context: BrowserContext;
  /** Console errors about the Content-Security-Policy, which must stay empty. */
  cspViolations: string[];
  /** Requests to origins other than the shop and the emulator, which must stay empty. */
  foreignRequests: string[];
}

/** Opens a new browser context for one shopper; both lists must be empty when the file ends. */
export async function openShopper(stack: E2eStack, options: { locale?: string } = {}): Promise<ShopperPage> {
  const context = await (await getBrowser()).newContext({
    viewport: { width: 1200, height: 900 },
    // Sets navigator.language and the Accept-Language header the shop picks the elements' locale from.
    locale: options.locale ?? 'en-US',
  });
  const page = await context.newPage();
  const shopper: ShopperPage = { page, context, cspViolations: [], foreignRequests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text()))
      shopper.cspViolations.push(message.text());
  });
  const allowed = [new URL(stack.shopUrl).origin, new URL(stack.emulatorUrl).origin];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:') return;
    if (!allowed.includes(url.origin)) shopper.foreignRequests.push(request.url());
  });
  openShoppers.push(shopper);
  return shopper;
}

/** A `fetch` that keeps each call in `calls` with its request and response bodies. */
function recordingFetch(calls: ConnectCall[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const call: ConnectCall = {
      method: request.method,
      url: request.url,
      path: new URL(request.url).pathname,
      authorization: request.headers.get('authorization'),
      requestBody: request.body === null ? '' : await request.clone().text(),
      status: null,
      responseBody: '',
    };
    calls.push(call);
    const response = await fetch(request);
    call.status = response.status;
    call.responseBody = await response.clone().text();
    return response;
  };
}

/** The storefront's logger (its redaction included) writing into memory. */
function memoryLog(level: NonNullable<E2eStackOptions['logLevel']>) {
  const chunks: string[] = [];
  const logger = createLogger(
    level,
    new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    }),
  );
  return { logger, text: () => chunks.join('') };
}

/** Stops the emulator and removes the storefront's directory. */
async function stopEmulator(emulator: TestEmulator, directory: string): Promise<void> {
  await emulator.stop();
  rmSync(directory, { recursive: true, force: true });
}
