/**
 * The status card at first paint, in real Chromium against the real storefront and emulator. With
 * JavaScript off, the profile page shows the right card (the server rendered the element's shadow
 * root as declarative shadow DOM), an unlinked shopper's "Link Instacart account" (a form) reaches
 * the emulator's log-in page, and a member sees the expiry date. With JavaScript on, the card is
 * painted and styled under the page's CSP in a frame rendered while both of the page's scripts are
 * still held back, and the bundle hydrates it without changing its text and without asking
 * `/cartlink/status`.
 */
import { formatExpiryDate } from '@cartlink/elements';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { getBrowser, openShopper, setUpE2eStack } from '../testing/e2e-stack';
import { linkAccount } from '../testing/shop-steps';
import { signIn } from './support';

const stack = setUpE2eStack();

/** The demo seed's Instacart+ member (`plus@instacart.test`), whose membership ends in a year. */
const PLUS_MEMBER_ID = 1;

const noScriptContexts: BrowserContext[] = [];

afterAll(async () => {
  for (const context of noScriptContexts.splice(0)) await context.close();
});

/** A shopper's page in a context of its own with JavaScript turned off; CSP reports are collected. */
async function noScriptShopper(): Promise<{ page: Page; cspReports: string[] }> {
  const context = await (await getBrowser()).newContext({
    javaScriptEnabled: false,
    viewport: { width: 1200, height: 900 },
    locale: 'en-US',
  });
  noScriptContexts.push(context);
  const page = await context.newPage();
  const cspReports: string[] = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspReports.push(message.text());
  });
  return { page, cspReports };
}

/** The status card as painted: its state, title and words, read from the shadow root. */
async function paintedCard(page: Page) {
  const status = page.locator('cartlink-status');
  return {
    state: await status.getAttribute('state'),
    title: await status.locator('[part~="title"]').textContent(),
    // Paragraph by paragraph: the minified template puts no space between them.
    body: (await status.locator('[part~="body"] p').allTextContents()).join(' '),
  };
}

describe('with JavaScript off', () => {
  it('shows an unlinked shopper the unlinked card, and its Link form reaches Instacart’s log-in page', async () => {
    const { page, cspReports } = await noScriptShopper();
    await signIn(page, stack.shopUrl, 'blair@example.com', '/account/profile');
    expect(new URL(page.url()).pathname).toBe('/account/profile');
    expect(await paintedCard(page)).toEqual({
      state: 'unlinked',
      title: 'Link your Instacart account',
      body: 'Your Corner Market account is not linked to an Instacart account. Instacart+ member? Link your account to get $0 delivery',
    });

    await page.getByRole('button', { name: 'Link Instacart account' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const url = new URL(page.url());
    expect(url.origin).toBe(new URL(stack.emulatorUrl).origin);
    // The authorization request the server started for the form's post.
    expect(url.searchParams.get('client_id')).toBe(stack.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(stack.redirectUri);
    expect(cspReports).toEqual([]);
  });

  it('shows a member the active card with the membership’s expiry date', async () => {
    const client = await stack.signInClient('alex@example.com');
    expect((await linkAccount(client, stack.admin, PLUS_MEMBER_ID)).outcome).toBe('linked');

    const { page, cspReports } = await noScriptShopper();
    await signIn(page, stack.shopUrl, 'alex@example.com', '/account/profile');
    const expiredAt = (await page.locator('cartlink-status').getAttribute('expired-at')) ?? '';
    const date = formatExpiryDate(expiredAt, 'en-US');
    expect(date).toMatch(/^\d\d\/\d\d\/\d{4}$/);
    expect(await paintedCard(page)).toEqual({
      state: 'linked-active',
      title: 'Your Instacart+ membership is active',
      body: `Your Corner Market account is linked to your Instacart account, and your Instacart+ membership is active. Your membership expires on ${date}. To unlink your accounts, contact Instacart customer service.`,
    });
    expect(await page.locator('cartlink-status time').getAttribute('datetime')).toBe(expiredAt);
    expect(await page.getByRole('button', { name: 'Manage Instacart+' }).count()).toBe(1);
    expect(cspReports).toEqual([]);
  });
});

describe('with JavaScript on', () => {
  it('paints the card styled, in a frame before any script has loaded, then hydrates it as is, with no status request', async () => {
    const shopper = await openShopper(stack);
    const { page } = shopper;
    await signIn(page, stack.shopUrl, 'casey@example.com');
    // The page's own listener, from before any of its scripts: a refused inline style shows up here.
    await page.addInitScript(() => {
      const reports: string[] = [];
      (window as unknown as { cspReports: string[] }).cspReports = reports;
      document.addEventListener('securitypolicyviolation', (event) => {
        reports.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    // Hold both of the page's scripts (the elements' bundle and the shop's own) until a frame has
    // been looked at: the card must be in it without either.
    let releaseScripts: () => void = () => {};
    const scriptsHeld = new Promise<void>((resolve) => {
      releaseScripts = resolve;
    });
    const heldScripts: string[] = [];
    await page.route(/\/assets\/[^/]+\.js$/, async (route) => {
      heldScripts.push(new URL(route.request().url()).pathname);
      await scriptsHeld;
      await route.continue();
    });
    const statusRequests: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/cartlink/status') statusRequests.push(request.url());
    });

    await page.goto(`${stack.shopUrl}/account/profile`, { waitUntil: 'commit' });
    await page.waitForFunction(() =>
      document.querySelector('cartlink-status')?.shadowRoot?.querySelector('[part~="container"]'),
    );
    // Read in an animation frame callback: the frame it runs in paints what it reads, scripts held.
    const firstPaint = await page.evaluate(
      () =>
        new Promise<{ text: string | null | undefined } & Record<string, unknown>>((resolve) => {
          requestAnimationFrame(() => {
            const root = document.querySelector('cartlink-status')?.shadowRoot as ShadowRoot;
            const eyebrow = root.querySelector('.eyebrow') as Element;
            // Kept to compare after hydration: the same node means the card was not rendered again.
            (window as unknown as { paintedCard: Element | null }).paintedCard =
              root.querySelector('[part~="container"]');
            resolve({
              defined: customElements.get('cartlink-status') !== undefined,
              title: root.querySelector('[part~="title"]')?.textContent,
              text: root.textContent,
              // The shop's --cartlink-accent-soft (the element's own default differs), through the
              // element's stylesheet: both stylesheets apply.
              eyebrowBackground: getComputedStyle(eyebrow).backgroundColor,
              eyebrowRadius: getComputedStyle(eyebrow).borderTopLeftRadius,
              // Set by the shop's stylesheet alone.
              headerBorder: getComputedStyle(document.querySelector('.site-header') as Element)
                .borderBottomStyle,
              cspReports: (window as unknown as { cspReports: string[] }).cspReports,
            });
          });
        }),
    );
    expect(firstPaint).toMatchObject({
      defined: false,
      title: 'Link your Instacart account',
      eyebrowBackground: 'rgb(232, 243, 236)',
      eyebrowRadius: '999px',
      headerBorder: 'solid',
      cspReports: [],
    });

    releaseScripts();
    await page.waitForFunction(() => customElements.get('cartlink-status') !== undefined);
    const hydrated = await page.evaluate(async () => {
      const element = document.querySelector('cartlink-status') as HTMLElement & {
        updateComplete: Promise<boolean>;
        hasUpdated: boolean;
      };
      await element.updateComplete;
      return {
        hasUpdated: element.hasUpdated,
        sameCard:
          element.shadowRoot?.querySelector('[part~="container"]') ===
          (window as unknown as { paintedCard: Element | null }).paintedCard,
        text: element.shadowRoot?.textContent,
        cspReports: (window as unknown as { cspReports: string[] }).cspReports,
      };
    });
    expect(hydrated).toEqual({
      hasUpdated: true,
      sameCard: true,
      text: firstPaint.text,
      cspReports: [],
    });
    // Both scripts were asked for (by the preload scanner, early) and held.
    expect(heldScripts.map((path) => path.replace(/\.[0-9a-f]{12}\./, '.')).sort()).toEqual([
      '/assets/cartlink-elements.js',
      '/assets/storefront.js',
    ]);
    expect(statusRequests).toEqual([]);
    expect(shopper.cspViolations).toEqual([]);
  });
});
