/**
 * @module The browser tests' page steps: axe-core checks, screenshots, and what a shopper does in
 * Chromium (sign in, press "Link Instacart account", log in and decide at Instacart, read the status
 * element and the results dialog, fill the cart). The stack and the shoppers' browser contexts come
 * from `testing/e2e-stack.ts`.
 *
 * axe-core is injected with `page.evaluate(axe.source)`: the storefront's CSP allows no inline script
 * (only `'self'` and the response's nonce), so `page.addScriptTag({ content })` would be blocked, and
 * turning CSP off with `bypassCSP` would stop these tests from checking it. `page.evaluate` runs
 * through the DevTools protocol, which CSP does not govern.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { readAuthorizationUrl, type StartedLink } from '../testing/shop-steps';

/** Where screenshots go: `test-results/e2e/<name>.png` at the repository root. */
export const SCREENSHOT_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)), 'test-results/e2e');

/** The failure dialog's heading. */
export const FAILURE_TITLE = "We couldn't link your accounts";
/** The success dialog's heading. */
export const SUCCESS_TITLE = 'Your accounts are linked';

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

/** Fills in the sign-in form open in `page`, submits it and waits to leave `/signin`. */
export async function submitSignIn(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('cartlink-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/signin');
}

/** Signs in through the storefront's form. */
export async function signIn(page: Page, shopUrl: string, email: string, next?: string): Promise<void> {
  await page.goto(`${shopUrl}/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await submitSignIn(page, email);
}

/** Signs out with the header's button. */
export async function signOut(page: Page): Promise<void> {
  // Exact: the profile page also has "Sign out everywhere".
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
}

/**
 * The status element's current `state` attribute once it is no longer `loading`. It waits with
 * Playwright rather than `expect.poll`, so a `beforeAll` can use it too.
 */
export async function settledStatus(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const state = document.querySelector('cartlink-status')?.getAttribute('state');
    return state !== undefined && state !== null && state !== 'loading';
  });
  return (await page.locator('cartlink-status').getAttribute('state')) ?? '';
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
  return readAuthorizationUrl((await authorize).url());
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
  await login.or(consent).first().waitFor();
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
  // The page is already at `/`, so waiting for the URL would not wait for the add: wait for the
  // page the form's redirect leads to.
  const added = page.waitForResponse(
    (response) => new URL(response.request().redirectedFrom()?.url() ?? shopUrl).pathname === '/cart/items',
  );
  await page.getByRole('button', { name: 'Add to cart' }).first().click();
  await added;
}

/** The `data-delivery-fee-cents` the checkout page marks. */
export async function checkoutFeeCents(page: Page, shopUrl: string): Promise<number> {
  await page.goto(`${shopUrl}/checkout`);
  return Number(await page.locator('[data-delivery-fee-cents]').getAttribute('data-delivery-fee-cents'));
}
