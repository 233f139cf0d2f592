/**
 * What linked shoppers without an active membership see, and how the shop learns of an unlink done
 * through Instacart customer service (there is no webhook: the next status call tells).
 */
import { describe, expect, it } from 'vitest';
import { openShopper, type ShopperPage, setUpE2eStack, shopUserId } from '../testing/e2e-stack';
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

const stack = setUpE2eStack();
const shoppers: ShopperPage[] = [];

async function linkedShopper(email: string, instacartEmail: string): Promise<ShopperPage> {
  const shopper = await openShopper(stack);
  shoppers.push(shopper);
  await signIn(shopper.page, stack.shopUrl, email, '/account/profile');
  await linkAtInstacart(shopper.page, instacartEmail);
  expect(await dialogTitle(shopper.page)).toBe(SUCCESS_TITLE);
  await shopper.page.keyboard.press('Escape');
  return shopper;
}

describe('membership states', () => {
  it('shows linked-inactive with a Join button for an Instacart account without Instacart+', async () => {
    const { page } = await linkedShopper('casey@example.com', 'basic@instacart.test');
    expect(await settledStatus(page)).toBe('linked-inactive');
    await page.reload();
    expect(await settledStatus(page)).toBe('linked-inactive');
    expect(await page.getByRole('button', { name: 'Join Instacart+' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Link Instacart account' }).count()).toBe(0);
    expect(await page.getByText('Linked to Instacart').isVisible()).toBe(true);
    await screenshot(page, 'status-linked-inactive');
    await expectNoAxeViolations(page, 'profile (linked-inactive)');

    await addFirstItemToCart(page, stack.shopUrl);
    expect(await checkoutFeeCents(page, stack.shopUrl)).toBe(399);
    expect(await page.getByRole('link', { name: 'Join Instacart+' }).getAttribute('href')).toBe(
      `${stack.emulatorUrl}/signup?next=%2Fstore%2Faccount%2Finstacart-plus`,
    );
    await screenshot(page, 'checkout-not-member');
    await expectNoAxeViolations(page, 'checkout (linked, not a member)');
  });

  it('shows linked-inactive for a subscription that ended', async () => {
    const { page } = await linkedShopper('blair@example.com', 'lapsed@instacart.test');
    expect(await settledStatus(page)).toBe('linked-inactive');
    expect(await page.getByRole('button', { name: 'Join Instacart+' }).isVisible()).toBe(true);
  });

  it('shows an empty cart, and refuses the report to a shopper', async () => {
    const blair = shoppers[1];
    if (!blair) throw new Error('the previous test did not run');
    const { page } = blair;
    await page.goto(`${stack.shopUrl}/cart`);
    expect(await page.getByText('Your cart is empty.').isVisible()).toBe(true);
    await screenshot(page, 'cart-empty');
    await expectNoAxeViolations(page, 'empty cart');
    const response = await page.goto(`${stack.shopUrl}/admin/reconciliation`);
    expect(response?.status()).toBe(403);
    expect(await page.getByRole('heading', { name: 'Not allowed' }).isVisible()).toBe(true);
    await screenshot(page, 'forbidden');
    await expectNoAxeViolations(page, '403 page');
  });

  it('invites an unlinked shopper to link at checkout', async () => {
    const { page } = await openShopper(stack);
    await signIn(page, stack.shopUrl, 'admin@example.com');
    await addFirstItemToCart(page, stack.shopUrl);
    expect(await checkoutFeeCents(page, stack.shopUrl)).toBe(399);
    const promo = page.getByRole('link', { name: 'Instacart+ member? Link your account to get $0 delivery' });
    expect(await promo.isVisible()).toBe(true);
    await screenshot(page, 'checkout-unlinked');
    await expectNoAxeViolations(page, 'checkout (unlinked)');
    await promo.click();
    await page.waitForURL(`${stack.shopUrl}/account/profile`);
  });

  it('notices a customer-service unlink at the next sign-in', async () => {
    const { page } = await linkedShopper('alex@example.com', 'plus@instacart.test');
    expect(await settledStatus(page)).toBe('linked-active');
    // Customer service unlinks Alex (the admin client throws unless the emulator did).
    await stack.admin.unlink(shopUserId('alex@example.com'));

    await signOut(page);
    await signIn(page, stack.shopUrl, 'alex@example.com');
    expect(await page.getByRole('status').textContent()).toContain('no longer linked to Instacart');
    await screenshot(page, 'signin-unlink-noticed');
    await page.goto(`${stack.shopUrl}/account/profile`);
    expect(await settledStatus(page)).toBe('unlinked');
    expect(await page.getByText('Linked to Instacart').isVisible()).toBe(false);
  });
});
