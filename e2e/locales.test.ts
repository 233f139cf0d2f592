/**
 * French for Canadian shoppers: the shop picks the elements' locale from the browser's
 * Accept-Language, and the status element and results dialog speak it, dates included.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openShopper, type ShopperPage, setUpE2eStack } from '../testing/e2e-stack';
import {
  dialogTitle,
  expectNoAxeViolations,
  linkAtInstacart,
  screenshot,
  settledStatus,
  signIn,
} from './support';

const stack = setUpE2eStack();
let shopper: ShopperPage;

beforeAll(async () => {
  shopper = await openShopper(stack, { locale: 'fr-CA' });
});

describe('a shopper whose browser prefers French', () => {
  it('sees the status element and the success dialog in French, with the expiry as YYYY-MM-DD', async () => {
    const { page } = shopper;
    await signIn(page, stack.shopUrl, 'blair@example.com', '/account/profile');
    expect(await settledStatus(page)).toBe('unlinked');
    expect(await page.locator('cartlink-status').getAttribute('locale')).toBe('fr-CA');
    expect(await page.getByRole('button', { name: "S'abonner à Instacart+" }).isVisible()).toBe(true);
    await screenshot(page, 'status-unlinked-fr-CA');

    await linkAtInstacart(page, 'plus@instacart.test', 'Allow', undefined, 'Associer le compte Instacart');
    expect(await dialogTitle(page)).toBe('Vos comptes sont associés');
    await expectNoAxeViolations(page, 'profile fr-CA success dialog');
    await page.keyboard.press('Escape');
    expect(await settledStatus(page)).toBe('linked-active');
    expect(await page.getByRole('button', { name: 'Gérer Instacart+' }).isVisible()).toBe(true);
    // The emulator's record of the subscription's end, shown in fr-CA as YYYY-MM-DD (UTC).
    const state = await stack.admin.state();
    const plus = state.instacart_users.find((user) => user.email === 'plus@instacart.test');
    const expected = new Date(plus?.expired_at ?? '').toISOString().slice(0, 10);
    expect(await page.getByText(expected).count()).toBeGreaterThan(0);
    await screenshot(page, 'status-linked-active-fr-CA');
  });
});
