/**
 * The ways linking fails, as the shopper sees them: they press Deny, the Instacart account is already
 * linked to another shopper, the `state` was tampered with, or an old callback URL is opened again.
 * Each ends in the failure dialog, with the status element still usable.
 */
import { describe, expect, it } from 'vitest';
import { openShopper, type ShopperPage, setUpE2eStack } from '../testing/e2e-stack';
import {
  dialogTitle,
  expectNoAxeViolations,
  FAILURE_TITLE,
  linkAtInstacart,
  pressLinkInBrowser,
  SUCCESS_TITLE,
  screenshot,
  settledStatus,
  signIn,
} from './support';

const stack = setUpE2eStack();
const shoppers: ShopperPage[] = [];

async function shopperOnProfile(email: string): Promise<ShopperPage> {
  const shopper = await openShopper(stack);
  shoppers.push(shopper);
  await signIn(shopper.page, stack.shopUrl, email, '/account/profile');
  expect(await settledStatus(shopper.page)).toBe('unlinked');
  return shopper;
}

describe('linking failures', () => {
  it('shows the failure dialog when the shopper presses Deny', async () => {
    const { page } = await shopperOnProfile('alex@example.com');
    const callback = await linkAtInstacart(page, 'plus@instacart.test', 'Deny');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    expect(await dialogTitle(page)).toBe(FAILURE_TITLE);
    expect(await page.getByRole('dialog').textContent()).toContain('You canceled linking at Instacart');
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, 'dialog-failure-cancelled');
    await expectNoAxeViolations(page, 'profile with the failure dialog (cancelled)');
    await page.getByRole('button', { name: 'Try again' }).click();
    expect(await page.getByRole('dialog').isVisible()).toBe(false);
    expect(await settledStatus(page)).toBe('unlinked');
    await expect
      .poll(() => page.getByRole('button', { name: 'Link Instacart account' }).isVisible())
      .toBe(true);
  });

  let replayUrl = '';

  // Two tests, not one: each is a whole browser flow at Instacart, and together they would carry a
  // budget that a loaded machine can exceed. The tests of this file run in order and build on each other.
  it('links Alex to plus@', async () => {
    const alex = await shopperOnProfile('alex@example.com');
    replayUrl = await linkAtInstacart(alex.page, 'plus@instacart.test');
    expect(await dialogTitle(alex.page)).toBe(SUCCESS_TITLE);
  });

  it('refuses the Instacart account Alex linked for Blair', async () => {
    expect(replayUrl).toContain('code=');
    const { page } = await shopperOnProfile('blair@example.com');
    await linkAtInstacart(page, 'plus@instacart.test');
    expect(await dialogTitle(page)).toBe(FAILURE_TITLE);
    expect(await page.getByRole('dialog').textContent()).toContain('already linked to another shopper');
    await screenshot(page, 'dialog-failure-already-linked');
    await expectNoAxeViolations(page, 'profile with the failure dialog (already linked)');
    // "Close" is the primary action here (trying again cannot help); it returns to the account page.
    await page.getByRole('button', { name: 'Close' }).click();
    await page.waitForURL(`${stack.shopUrl}/account/profile`);
    expect(await settledStatus(page)).toBe('unlinked');
  });

  it('refuses a replayed callback URL', async () => {
    expect(replayUrl).toContain('code=');
    const alex = shoppers[1];
    if (!alex) throw new Error('the previous test did not run');
    await alex.page.goto(replayUrl);
    expect(await dialogTitle(alex.page)).toBe(FAILURE_TITLE);
    expect(await alex.page.getByRole('dialog').textContent()).toContain("wasn't started from this page");
    await screenshot(alex.page, 'dialog-failure-replayed');
    // The earlier link is untouched.
    expect(await settledStatus(alex.page)).toBe('linked-active');
  });

  it('refuses a tampered state', async () => {
    const { page } = await shopperOnProfile('casey@example.com');
    // Casey presses Link; the state of the authorization URL its 303 led to is then tampered with.
    const { authorizationUrl, state } = await pressLinkInBrowser(page);
    authorizationUrl.searchParams.set('state', `${state.slice(0, -2)}xx`);
    await page.goto(authorizationUrl.toString());
    await page.getByLabel('Email').fill('basic@instacart.test');
    await page.getByLabel('Password').fill('instacart');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    expect(await dialogTitle(page)).toBe(FAILURE_TITLE);
    expect(await page.getByRole('dialog').textContent()).toContain("wasn't started from this page");
    await screenshot(page, 'dialog-failure-state-invalid');
    await page.getByRole('button', { name: 'Try again' }).click();
    expect(await settledStatus(page)).toBe('unlinked');
  });
});
