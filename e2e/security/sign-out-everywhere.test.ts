/**
 * "Sign out everywhere" in Chromium: the profile page's button (a same-origin form post from a page
 * whose referrer policy is `no-referrer`, so the browser sends `Origin: null`) ends the account's
 * session in another browser too, while another shopper stays signed in.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openShopper, setUpE2eStack } from '../../testing/e2e-stack';
import { signIn } from '../support';

const stack = setUpE2eStack();

/** A new browser (its own cookies) signed in as `email` on the profile page. */
async function signedInBrowser(email: string): Promise<Page> {
  const { page } = await openShopper(stack);
  await signIn(page, stack.shopUrl, email, '/account/profile');
  expect(new URL(page.url()).pathname).toBe('/account/profile');
  return page;
}

describe('sign out everywhere', () => {
  it("ends the account's sessions in every browser, and only that account's", async () => {
    const here = await signedInBrowser('casey@example.com');
    const laptop = await signedInBrowser('casey@example.com');
    const other = await signedInBrowser('blair@example.com');
    await here.getByRole('button', { name: 'Sign out everywhere' }).click();
    await here.waitForURL(`${stack.shopUrl}/`);
    expect(await here.getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(0);

    // The other browser of the same account is signed out: its next page asks it to sign in.
    await laptop.goto(`${stack.shopUrl}/account/profile`);
    expect(new URL(laptop.url()).pathname).toBe('/signin');

    // Another shopper is untouched.
    await other.goto(`${stack.shopUrl}/account/profile`);
    expect(new URL(other.url()).pathname).toBe('/account/profile');
    expect(await other.getByRole('button', { name: 'Sign out', exact: true }).isVisible()).toBe(true);
  });
});
