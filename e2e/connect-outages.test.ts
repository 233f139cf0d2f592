/**
 * Instacart Connect down (an emulator fault on the status call): the profile page shows `unavailable`
 * and still works; checkout keeps $0 delivery on a recent verification (the grace rule, recorded as
 * such) and charges the fee, saying why, once that verification is too old.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openShopper, type ShopperPage, setUpE2eStack } from '../testing/e2e-stack';
import {
  addFirstItemToCart,
  checkoutFeeCents,
  dialogTitle,
  expectNoAxeViolations,
  linkAtInstacart,
  SUCCESS_TITLE,
  screenshot,
  settledStatus,
  signIn,
  signOut,
} from './support';

const stack = setUpE2eStack({ env: { DELIVERY_GRACE_SECONDS: '900' } });
let shopper: ShopperPage;

beforeAll(async () => {
  shopper = await openShopper(stack);
});

describe('when Instacart Connect is down', () => {
  it('links first, while Connect is up', async () => {
    const { page } = shopper;
    await signIn(page, stack.shopUrl, 'alex@example.com', '/account/profile');
    await linkAtInstacart(page, 'plus@instacart.test');
    expect(await dialogTitle(page)).toBe(SUCCESS_TITLE);
    await page.keyboard.press('Escape');
    await addFirstItemToCart(page, stack.shopUrl);
  });

  it('shows unavailable on the profile page, with a retry, and the page still works', async () => {
    const { page } = shopper;
    // The admin client throws unless the emulator accepted the fault.
    await stack.admin.addFault({ method: 'GET', path: '/v2/fulfillment/users/*/link', status: 503 });
    // Past the minute in which a page load may reuse the last verification.
    stack.clock.offsetMs = 2 * 60_000;
    await page.goto(`${stack.shopUrl}/account/profile`);
    expect(await settledStatus(page)).toBe('unavailable');
    expect(await page.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Account details' }).isVisible()).toBe(true);
    await screenshot(page, 'status-unavailable');
    await expectNoAxeViolations(page, 'profile (unavailable)');
  });

  it('keeps $0 delivery on a verification within the grace window and says so', async () => {
    const { page } = shopper;
    expect(await checkoutFeeCents(page, stack.shopUrl)).toBe(0);
    expect(await page.getByText('You saved $3.99 with Instacart+').isVisible()).toBe(true);
    expect(await page.getByText(/couldn't reach Instacart just now/).isVisible()).toBe(true);
    await screenshot(page, 'checkout-grace');
    await expectNoAxeViolations(page, 'checkout (grace)');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/orders\/CM-/);
  });

  it('charges the fee and tells the shopper why once the last verification is too old', async () => {
    const { page } = shopper;
    stack.clock.offsetMs = 20 * 60_000;
    await addFirstItemToCart(page, stack.shopUrl);
    expect(await checkoutFeeCents(page, stack.shopUrl)).toBe(399);
    expect(
      await page.getByText(/couldn't reach Instacart to verify your Instacart\+ membership/).isVisible(),
    ).toBe(true);
    expect(await page.getByText('You saved').count()).toBe(0);
    await screenshot(page, 'checkout-unverifiable');
    await expectNoAxeViolations(page, 'checkout (unverifiable)');
  });

  it('records the grace order as such in the report', async () => {
    const { page } = shopper;
    await signOut(page);
    await signIn(page, stack.shopUrl, 'admin@example.com', '/admin/reconciliation');
    const row = page.getByRole('row').filter({ hasText: 'alex@example.com' });
    expect(await row.count()).toBe(1);
    expect(await row.getByText('grace').isVisible()).toBe(true);
  });
});
