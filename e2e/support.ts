/**
 * @module What the browser tests share: a real emulator and a real storefront on free ports with a
 * fresh SQLite file, Chromium through playwright-core, axe-core checks, screenshots, and the shopper's
 * steps (sign in, link at Instacart) that several tests take.
 *
 * axe-core is injected with `page.evaluate(axe.source)`: the storefront's CSP allows no inline script
 * (only `'self'` and the response's nonce), so `page.addScriptTag({ content })` would be blocked, and
 * turning CSP off with `bypassCSP` would stop these tests from checking it. `page.evaluate` runs
 * through the DevTools protocol, which CSP does not govern.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '@cartlink/emulator';
import { parseEnv, type RunningStorefront, startStorefront } from '@cartlink/storefront';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchBrowser } from '../testing/browser';

/** Where screenshots go: `test-results/e2e/<name>.png` at the repository root. */
export const SCREENSHOT_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)), 'test-results/e2e');

/** A running emulator and storefront, and the storefront's clock (movable, for the grace rule). */
export interface Stack {
  emulator: RunningEmulator;
  shop: RunningStorefront;
  shopUrl: string;
  clock: { offsetMs: number };
  /** Calls the emulator's admin API (`/_emulator/...`), as a QA script would. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts the emulator (demo seed) and the storefront on free ports, the storefront on a new SQLite
 * file, and registers the storefront's redirect URI with the emulator through its admin API.
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, seed: 'demo' });
  const directory = mkdtempSync(join(tmpdir(), 'cartlink-e2e-'));
  const clock = { offsetMs: 0 };
  const shop = await startStorefront(
    (port) =>
      parseEnv({
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: join(directory, 'storefront.db'),
        CONNECT_BASE_URL: emulator.url,
        CONNECT_AUTH_URL: `${emulator.url}/oauth/authorize`,
        INSTACART_WEB_URL: emulator.url,
        LOG_LEVEL: 'silent',
        ...env,
      }),
    { now: () => new Date(Date.now() + clock.offsetMs) },
  );
  // Calls that change state carry a JSON content type even without a body (the emulator's rule).
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${emulator.url}/_emulator/${path}`, {
      method,
      ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' } }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const registered = await admin('POST', 'apps', {
    client_id: 'cartlink-demo',
    client_secret: 'cartlink-demo-secret',
    name: 'Corner Market',
    redirect_uris: [`${shop.url}/account/profile`],
  });
  expect(registered.ok).toBe(true);
  return {
    emulator,
    shop,
    shopUrl: shop.url,
    clock,
    admin,
    async close() {
      await shop.close();
      await emulator.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let browser: Promise<Browser> | undefined;

/** One Chromium per test file. */
export function getBrowser(): Promise<Browser> {
  browser ??= launchBrowser();
  return browser;
}

/** Closes the file's Chromium. */
export async function closeBrowser(): Promise<void> {
  if (browser) await (await browser).close();
  browser = undefined;
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

/** Opens a new browser context for one shopper. */
export async function openShopper(stack: Stack, options: { locale?: string } = {}): Promise<ShopperPage> {
  const context = await (await getBrowser()).newContext({
    viewport: { width: 1200, height: 900 },
    // Sets navigator.language and the Accept-Language header the shop picks the elements' locale from.
    locale: options.locale ?? 'en-US',
  });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  const foreignRequests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text()))
      cspViolations.push(message.text());
  });
  const allowed = [new URL(stack.shopUrl).origin, new URL(stack.emulator.url).origin];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:') return;
    if (!allowed.includes(url.origin)) foreignRequests.push(request.url());
  });
  return { page, context, cspViolations, foreignRequests };
}

/** Saves a full-page screenshot to `test-results/e2e/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Runs axe-core on the page (open shadow roots included) and expects no violations. */
export async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const injected = await page.evaluate(() => typeof (window as { axe?: unknown }).axe !== 'undefined');
  if (!injected) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, {
      resultTypes: ['violations'],
    });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => JSON.stringify(node.target)),
    }));
  });
  expect(violations, `axe violations on ${label}`).toEqual([]);
}

/** Signs in through the storefront's form. */
export async function signIn(page: Page, shopUrl: string, email: string, next?: string): Promise<void> {
  await page.goto(`${shopUrl}/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('cartlink-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/signin');
}

/** Signs out with the header's button. */
export async function signOut(page: Page): Promise<void> {
  // Exact: the profile page also has "Sign out everywhere".
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
}

/** The status element's current `state` attribute once it is no longer `loading`. */
export async function settledStatus(page: Page): Promise<string> {
  const status = page.locator('cartlink-status');
  await expect.poll(async () => status.getAttribute('state')).not.toBe('loading');
  return (await status.getAttribute('state')) ?? '';
}

/**
 * From the profile page: clicks "Link Instacart account", logs in at the emulator when it asks, and
 * presses Allow or Deny. Returns the callback URL the emulator redirected to.
 */
export async function linkAtInstacart(
  page: Page,
  instacartEmail: string,
  decision: 'Allow' | 'Deny' = 'Allow',
  beforeDecision?: (page: Page) => Promise<void>,
  linkButtonName = 'Link Instacart account',
): Promise<string> {
  await page.getByRole('button', { name: linkButtonName }).click();
  const login = page.getByRole('button', { name: 'Log in' });
  const consent = page.getByRole('button', { name: decision });
  await expect.poll(async () => (await login.isVisible()) || (await consent.isVisible())).toBe(true);
  if (await login.isVisible()) {
    await page.getByLabel('Email').fill(instacartEmail);
    await page.getByLabel('Password').fill('instacart');
    await login.click();
  }
  await consent.waitFor();
  if (beforeDecision) await beforeDecision(page);
  const callback = page.waitForRequest(
    (request) => new URL(request.url()).pathname === '/account/profile' && request.isNavigationRequest(),
  );
  await consent.click();
  return (await callback).url();
}

/** The results dialog's heading text once it is open. */
export async function dialogTitle(page: Page): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  return (await dialog.getByRole('heading').textContent())?.trim() ?? '';
}

/** Adds the first catalogue item to the cart. */
export async function addFirstItemToCart(page: Page, shopUrl: string): Promise<void> {
  await page.goto(`${shopUrl}/`);
  await page.getByRole('button', { name: 'Add to cart' }).first().click();
  await page.waitForURL(`${shopUrl}/`);
}

/** The `data-delivery-fee-cents` the checkout page marks. */
export async function checkoutFeeCents(page: Page, shopUrl: string): Promise<number> {
  await page.goto(`${shopUrl}/checkout`);
  return Number(await page.locator('[data-delivery-fee-cents]').getAttribute('data-delivery-fee-cents'));
}
