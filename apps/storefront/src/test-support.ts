/**
 * @module Helpers for the storefront's tests: a shop wired to an in-process emulator, its shoppers (the
 * repository's one shop client, `testing/shop-client.ts`, calling the app in process), and linking
 * without a browser. Used only by `*.test.ts`.
 */
import { Writable } from 'node:stream';
import { createEmulator, type Emulator } from '@cartlink/emulator';
import { type CookieJar, ShopClient } from '../../../testing/shop-client';
import { postCallback, startLink } from '../../../testing/shop-steps';
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
  /**
   * A new shopper (its own cookie jar) calling the shop in process; `remoteAddress` is the peer the
   * Node server would pass (see `server-node.ts`), for the per-address limits.
   */
  client(options?: { remoteAddress?: string; jar?: CookieJar }): ShopClient;
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
    client: (clientOptions = {}) =>
      new ShopClient(config.publicUrl, {
        // The shop's own entry, as its server calls it (the front door, then the app).
        send: async (request) =>
          shop.fetch(
            request,
            clientOptions.remoteAddress === undefined ? {} : { remoteAddress: clientOptions.remoteAddress },
          ),
        ...(clientOptions.jar ? { jar: clientOptions.jar } : {}),
      }),
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

/**
 * Links the signed-in client's shopper to an Instacart account the way the browser would: presses
 * "Link Instacart account" on the profile page, has the in-process emulator authorize the URL it
 * redirects to for `instacartUserId` (as if the shopper pressed Allow; no Connect call, so the
 * emulator's request log holds only the shop's), and posts `code` and `state` to `/cartlink/link`.
 */
export async function linkAccount(
  testShop: TestShop,
  client: ShopClient,
  instacartUserId: number,
): Promise<{ outcome: string; status: { state: string } }> {
  const link = await startLink(client);
  const code = testShop.emulator.authorizeForTest({
    instacartUserId,
    clientId: link.clientId,
    redirectUri: link.redirectUri,
    ...(link.codeChallenge ? { codeChallenge: link.codeChallenge } : {}),
  });
  const answer = await postCallback(client, { code, state: link.state });
  return JSON.parse(answer.response.text) as { outcome: string; status: { state: string } };
}
