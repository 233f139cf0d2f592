/**
 * Starting a link in real Chromium against the real storefront and emulator: showing the profile page
 * writes nothing; "Link Instacart account" is a form POST that creates the link transaction and
 * follows the 303 to Instacart's log-in page under the profile page's CSP (whose `form-action` must
 * allow the authorization server); past the storefront's `LINK_START_LIMIT` the shopper comes back to
 * the profile page and the failure dialog says to wait.
 */
import { describe, expect, it } from 'vitest';
import { openShopper, type ShopperPage, setUpE2eStack, shopUserId } from '../testing/e2e-stack';
import {
  dialogTitle,
  expectNoAxeViolations,
  FAILURE_TITLE,
  screenshot,
  settledStatus,
  signIn,
} from './support';

/** Link starts a session may make in the limiter's window, in this stack. */
const LINK_START_LIMIT = 2;

const stack = setUpE2eStack({ env: { LINK_START_LIMIT: String(LINK_START_LIMIT) } });

async function shopperOnProfile(email: string): Promise<ShopperPage> {
  const shopper = await openShopper(stack);
  await signIn(shopper.page, stack.shopUrl, email, '/account/profile');
  expect(await settledStatus(shopper.page)).toBe('unlinked');
  return shopper;
}

/** Link transactions of one shop user, read from the storefront's database. */
async function linkTransactionsOf(userId: string): Promise<number> {
  const rows = await stack.shop.storefront.db
    .selectFrom('cartlink_link_transactions')
    .select('user_id')
    .where('user_id', '=', userId)
    .execute();
  return rows.length;
}

describe('starting a link', () => {
  it('writes nothing on page views, then the Link form reaches Instacart’s log-in page', async () => {
    const shopper = await shopperOnProfile('alex@example.com');
    const { page } = shopper;
    const alex = shopUserId('alex@example.com');
    await page.reload();
    await page.goto(`${stack.shopUrl}/account/profile`);
    expect(await settledStatus(page)).toBe('unlinked');
    expect(await linkTransactionsOf(alex)).toBe(0);

    const post = page.waitForRequest(
      (request) => new URL(request.url()).pathname === '/cartlink/authorize' && request.method() === 'POST',
    );
    await page.getByRole('button', { name: 'Link Instacart account' }).click();
    const sent = await post;
    expect(sent.headers()['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(sent.postData() ?? '').get('_csrf')).toBeTruthy();

    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).origin).toBe(new URL(stack.emulatorUrl).origin);
    expect(await page.getByLabel('Email').count()).toBe(1);
    expect(await page.getByLabel('Password').count()).toBe(1);
    expect(await linkTransactionsOf(alex)).toBe(1);
    expect(shopper.cspViolations).toEqual([]);
    expect(shopper.foreignRequests).toEqual([]);
  });

  it(`ends in the failure dialog "throttled" after ${LINK_START_LIMIT} link starts`, async () => {
    const shopper = await shopperOnProfile('blair@example.com');
    const { page } = shopper;
    const blair = shopUserId('blair@example.com');
    for (let start = 0; start < LINK_START_LIMIT; start++) {
      await page.getByRole('button', { name: 'Link Instacart account' }).click();
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      await page.goto(`${stack.shopUrl}/account/profile`);
      expect(await settledStatus(page)).toBe('unlinked');
    }
    expect(await linkTransactionsOf(blair)).toBe(LINK_START_LIMIT);

    await page.getByRole('button', { name: 'Link Instacart account' }).click();
    expect(await dialogTitle(page)).toBe(FAILURE_TITLE);
    expect(await page.getByRole('dialog').textContent()).toContain(
      'You started linking too many times. Wait a few minutes, then try again.',
    );
    // Back on the profile page, the outcome already out of the address bar.
    const url = new URL(page.url());
    expect(`${url.origin}${url.pathname}${url.search}`).toBe(`${stack.shopUrl}/account/profile`);
    expect(await linkTransactionsOf(blair)).toBe(LINK_START_LIMIT);
    await screenshot(page, 'dialog-failure-throttled');
    await expectNoAxeViolations(page, 'profile with the failure dialog (throttled)');
    expect(shopper.cspViolations).toEqual([]);

    await page.getByRole('button', { name: 'Close' }).click();
    expect(await settledStatus(page)).toBe('unlinked');
  });
});
