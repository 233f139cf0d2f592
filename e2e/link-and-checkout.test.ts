/**
 * The happy path, as a shopper and then the finance team would take it: link an Instacart+ account
 * from the profile page, get $0 delivery at checkout, and find the order in the reconciliation report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openShopper, type ShopperPage, setUpE2eStack } from '../testing/e2e-stack';
import {
  addFirstItemToCart,
  dialogTitle,
  expectNoAxeViolations,
  linkAtInstacart,
  SUCCESS_TITLE,
  screenshot,
  settledStatus,
  signIn,
  signOut,
} from './support';

const stack = setUpE2eStack();

/** MM/DD/YYYY of an ISO instant, as en-US shows it. */
function usDate(iso: string): string {
  return new Intl.DateTimeFormat('en-US', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(iso),
  );
}

describe('linking an Instacart+ account and checking out with $0 delivery', () => {
  let shopper: ShopperPage;
  let orderId = '';

  beforeAll(async () => {
    shopper = await openShopper(stack);
  });

  it('shows the catalogue and the sign-in page', async () => {
    const { page } = shopper;
    await page.goto(`${stack.shopUrl}/`);
    await expect
      .poll(() => page.getByRole('button', { name: 'Add to cart' }).count())
      .toBeGreaterThanOrEqual(8);
    await screenshot(page, 'catalogue-signed-out');
    await expectNoAxeViolations(page, 'catalogue (signed out)');
    await page.goto(`${stack.shopUrl}/signin`);
    await screenshot(page, 'signin');
    await expectNoAxeViolations(page, 'sign-in');
    await page.getByLabel('Email').fill('alex@example.com');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    await screenshot(page, 'signin-error');
    await expectNoAxeViolations(page, 'sign-in with an error');
  });

  it('shows the unlinked status on the profile page', async () => {
    const { page } = shopper;
    await signIn(page, stack.shopUrl, 'alex@example.com', '/account/profile');
    expect(new URL(page.url()).pathname).toBe('/account/profile');
    expect(await settledStatus(page)).toBe('unlinked');
    await expect
      .poll(() => page.getByRole('button', { name: 'Link Instacart account' }).isVisible())
      .toBe(true);
    expect(await page.getByRole('button', { name: 'Join Instacart+' }).isVisible()).toBe(true);
    expect(await page.getByText('Instacart+ member? Link your account to get $0 delivery').isVisible()).toBe(
      true,
    );
    expect(await page.getByText('Linked to Instacart').isVisible()).toBe(false);
    await screenshot(page, 'status-unlinked');
    await expectNoAxeViolations(page, 'profile (unlinked)');
  });

  it('links at Instacart and shows the success dialog', async () => {
    const { page } = shopper;
    const callback = await linkAtInstacart(page, 'plus@instacart.test', 'Allow', async (consentPage) => {
      await screenshot(consentPage, 'emulator-consent');
      // Slow the code exchange down once, so the status element's loading state can be seen.
      // The admin client throws unless the emulator accepted the fault.
      await stack.admin.addFault({ method: 'POST', path: '/v2/oauth/token', delay_ms: 1500, times: 1 });
    });
    expect(new URL(callback).searchParams.has('code')).toBe(true);
    await page.locator('cartlink-status[state="loading"]').waitFor();
    expect(await page.getByRole('progressbar').count()).toBe(1);
    await screenshot(page, 'status-loading');
    expect(await dialogTitle(page)).toBe(SUCCESS_TITLE);
    // The element took code and state out of the address bar before posting them.
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, 'dialog-success');
    await expectNoAxeViolations(page, 'profile with the success dialog');
    await page.getByRole('button', { name: 'Continue shopping' }).click();
    await page.waitForURL(`${stack.shopUrl}/`);
  });

  it('shows linked-active with the expiry date as MM/DD/YYYY and the Linked indicator', async () => {
    const { page } = shopper;
    await page.goto(`${stack.shopUrl}/account/profile`);
    expect(await settledStatus(page)).toBe('linked-active');
    const expiredAt = (await page.locator('cartlink-status').getAttribute('expired-at')) ?? '';
    expect(expiredAt).not.toBe('');
    const shown = usDate(expiredAt);
    expect(shown).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    await expect.poll(() => page.locator('cartlink-status').getByText(shown).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Manage Instacart+' }).isVisible()).toBe(true);
    expect(await page.getByText('Linked to Instacart').isVisible()).toBe(true);
    await screenshot(page, 'status-linked-active');
    await expectNoAxeViolations(page, 'profile (linked-active)');
  });

  it('waives the delivery fee at checkout and places the order', async () => {
    const { page } = shopper;
    await addFirstItemToCart(page, stack.shopUrl);
    await page.getByRole('button', { name: 'Add to cart' }).nth(6).click();
    await page.waitForURL(`${stack.shopUrl}/`);
    expect(await page.getByRole('status').textContent()).toContain('to your cart');
    await screenshot(page, 'catalogue-signed-in');
    await expectNoAxeViolations(page, 'catalogue (signed in)');
    await page.getByRole('link', { name: /^Cart/ }).click();
    await screenshot(page, 'cart');
    await expectNoAxeViolations(page, 'cart');
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await page.waitForURL(`${stack.shopUrl}/checkout`);
    expect(await page.locator('[data-delivery-fee-cents]').getAttribute('data-delivery-fee-cents')).toBe('0');
    expect(await page.getByText('You saved $3.99 with Instacart+').isVisible()).toBe(true);
    expect(await page.locator('[data-delivery-fee-cents] s').textContent()).toContain('$3.99');
    await screenshot(page, 'checkout-member');
    await expectNoAxeViolations(page, 'checkout (member)');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/orders\/CM-/);
    orderId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    expect(await page.getByRole('status').textContent()).toContain(`Your order ${orderId} is placed`);
    expect(await page.getByText('You saved $3.99 with Instacart+').isVisible()).toBe(true);
    await screenshot(page, 'order-confirmation');
    await expectNoAxeViolations(page, 'order confirmation');
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    expect(await page.getByRole('link', { name: orderId }).isVisible()).toBe(true);
    await screenshot(page, 'orders');
    await expectNoAxeViolations(page, 'orders');
    await signOut(page);
  });

  it('lists the order in the reconciliation report and its CSV', async () => {
    const { page } = shopper;
    await page.goto(`${stack.shopUrl}/admin/reconciliation`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill('cartlink-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/reconciliation/);
    expect(await page.getByRole('rowheader', { name: orderId }).isVisible()).toBe(true);
    expect(await page.getByRole('img', { name: /Waived delivery fees by day/ }).isVisible()).toBe(true);
    await screenshot(page, 'admin-reconciliation');
    await expectNoAxeViolations(page, 'reconciliation report');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    const file = await download;
    const path = await file.path();
    const { readFile } = await import('node:fs/promises');
    // The CSV's columns, quoting and periods are the report's own tests (routes/reconciliation.test.ts);
    // here, that the browser downloads it under its name with this order in it.
    const csv = await readFile(path, 'utf8');
    expect(csv.split('\r\n')[1]?.startsWith(`${orderId},`)).toBe(true);
    expect(file.suggestedFilename()).toMatch(
      /^corner-market-delivery-discounts-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/,
    );
  });

  it('shows a friendly 404 page', async () => {
    const { page } = shopper;
    const response = await page.goto(`${stack.shopUrl}/no-such-page`);
    expect(response?.status()).toBe(404);
    await screenshot(page, 'not-found');
    await expectNoAxeViolations(page, '404 page');
  });
});
