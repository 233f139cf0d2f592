/**
 * The shipped bundle (`dist/cartlink-elements.min.js`) in real Chromium, on pages served with a strict
 * CSP (`default-src 'self'`): every state and both dialogs render, are found by role and name, pass
 * axe-core, and are screenshotted to `test-results/elements/`. The callback and the Link form run against a real server.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../../testing/browser.js';
import { loadPrebuiltElementsBundle } from './prebuilt-bundle-node.js';
import type { StatusView } from './status-view.js';

const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/elements/', import.meta.url));
const CSP = "default-src 'self'";
const ACCENT = 'rgb(10, 125, 44)';
const EXPIRED_AT = '2025-09-22T07:14:43Z';

// Test pages may not hold inline scripts or styles (the CSP forbids both), so they live in files.
const PAGE_CSS = `
  body { margin: 0; font-family: system-ui, sans-serif; background: #f4f5f7; color: #1f2328; }
  main { max-width: 30rem; margin: 0 auto; padding: 24px 16px; }
  h1 { font-size: 1.4rem; margin: 0 0 16px; }
  button.page { font: inherit; margin-bottom: 12px; }
`;

// Records CSP violations before any other script runs; the tests read them back.
const CSP_WATCH = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
  });
`;

const CSRF = 'csrf-browser-5b1d0c7e9a8f';
const LINK_FORM = `authorize-endpoint="/cartlink/authorize" csrf-token="${CSRF}"`;

const unlinkedView: StatusView = {
  state: 'unlinked',
  reason: 'not-linked',
  expiredAt: null,
  manageUrl: 'https://www.instacart.com/store/account/instacart-plus',
  joinUrl: 'https://www.instacart.com/signup?next=%2Fstore%2Faccount%2Finstacart-plus',
  verifiedAt: '2025-06-01T12:00:00.000Z',
};

const FIXTURES: Record<string, string> = {
  'status-loading': '<cartlink-status></cartlink-status>',
  'status-linked-active': `<cartlink-status state="linked-active" expired-at="${EXPIRED_AT}" shop-name="Corner Market"></cartlink-status>`,
  'status-linked-inactive':
    '<cartlink-status state="linked-inactive" shop-name="Corner Market"></cartlink-status>',
  'status-unlinked': `<cartlink-status state="unlinked" ${LINK_FORM} shop-name="Corner Market"></cartlink-status>`,
  'status-unavailable': '<cartlink-status state="unavailable" status-src="/api/status"></cartlink-status>',
  'status-fetched': '<cartlink-status status-src="/api/status"></cartlink-status>',
  'status-unlinked-fr-CA': `<cartlink-status state="unlinked" ${LINK_FORM} shop-name="Marché du coin"></cartlink-status>`,
  dialog: `<button class="page" type="button">Before</button>
    <cartlink-status state="unlinked" ${LINK_FORM} shop-name="Corner Market"></cartlink-status>
    <cartlink-result-dialog shop-name="Corner Market"></cartlink-result-dialog>`,
  profile: `<cartlink-status status-src="/api/status" link-endpoint="/api/link" ${LINK_FORM} dialog="result" shop-name="Corner Market"></cartlink-status>
    <cartlink-result-dialog id="result" shop-name="Corner Market"></cartlink-result-dialog>`,
};

/** What the authorize endpoint received from the browser's form post. */
interface AuthorizePost {
  contentType: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  body: string;
}

let server: Server;
let origin: string;
let browser: Browser;
let bundle: string;
let page: Page;
const posts: unknown[] = [];
const authorizeHits: string[] = [];
const authorizePosts: AuthorizePost[] = [];
// What POST /cartlink/authorize answers: a start (303 to the authorization page) or a refusal.
let authorizeAnswer: 'start' | 'throttled' = 'start';
let statusAnswer: { status: number; body: unknown } = { status: 200, body: unlinkedView };

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Security-Policy': CSP,
    'Cache-Control': 'no-store',
    // As a profile page is served (its URL may hold a code): Chromium then sends `Origin: null` on
    // the page's form posts, which the authorize endpoint must accept.
    'Referrer-Policy': 'no-referrer',
  });
  res.end(body);
}

function pageHtml(fixture: string, lang: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Account profile</title>
    <link rel="stylesheet" href="/page.css"><script src="/csp-watch.js"></script>
    <script type="module" src="/cartlink-elements.js"></script></head>
    <body><main><h1>Account profile</h1>${FIXTURES[fixture]}</main></body></html>`;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', origin);
  if (url.pathname === '/cartlink-elements.js') return send(res, 200, 'text/javascript', bundle);
  if (url.pathname === '/axe.js') return send(res, 200, 'text/javascript', axe.source);
  if (url.pathname === '/csp-watch.js') return send(res, 200, 'text/javascript', CSP_WATCH);
  if (url.pathname === '/page.css') return send(res, 200, 'text/css', PAGE_CSS);
  if (url.pathname === '/api/status') {
    return send(res, statusAnswer.status, 'application/json', JSON.stringify(statusAnswer.body));
  }
  if (url.pathname === '/api/link' && req.method === 'POST') {
    let body = '';
    for await (const chunk of req) body += chunk;
    posts.push({ contentType: req.headers['content-type'], body: JSON.parse(body) });
    const status: StatusView = { ...unlinkedView, state: 'linked-active', expiredAt: EXPIRED_AT };
    return send(res, 200, 'application/json', JSON.stringify({ outcome: 'linked', status }));
  }
  if (url.pathname === '/cartlink/authorize' && req.method === 'POST') {
    let body = '';
    for await (const chunk of req) body += chunk;
    authorizePosts.push({
      contentType: req.headers['content-type'],
      origin: req.headers.origin,
      secFetchSite: req.headers['sec-fetch-site'] as string | undefined,
      body,
    });
    const location =
      authorizeAnswer === 'start'
        ? '/authorize?state=started-by-post'
        : '/page/profile?cartlink_outcome=throttled';
    res.writeHead(303, { Location: location, 'Cache-Control': 'no-store', 'Retry-After': '300' });
    res.end();
    return;
  }
  if (url.pathname === '/authorize') {
    authorizeHits.push(url.search);
    return send(res, 200, 'text/html', '<!doctype html><title>Instacart</title><p>Instacart sign-in</p>');
  }
  const fixture = url.pathname.slice(1).replace(/^page\//, '');
  if (FIXTURES[fixture])
    return send(res, 200, 'text/html', pageHtml(fixture, url.searchParams.get('lang') ?? 'en-US'));
  return send(res, 404, 'text/plain', 'not found');
}

/** Opens a fixture page and waits until its elements have rendered. */
async function open(fixture: string, query = ''): Promise<void> {
  await page.goto(`${origin}/page/${fixture}${query}`);
  await page.waitForFunction(
    () => customElements.get('cartlink-status') && customElements.get('cartlink-result-dialog'),
  );
  await page.evaluate(async () => {
    for (const element of document.querySelectorAll('cartlink-status, cartlink-result-dialog')) {
      await (element as HTMLElement & { updateComplete: Promise<boolean> }).updateComplete;
    }
  });
}

/** Runs axe-core on the whole page (shadow roots included) and returns the violations, summarized. */
async function axeViolations(): Promise<string[]> {
  // Served from this origin, so the page's CSP allows it as is: no need to relax the policy.
  await page.addScriptTag({ url: '/axe.js' });
  return page.evaluate(async () => {
    const results = await (window as unknown as { axe: typeof axe }).axe.run(document);
    return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

async function cspViolations(): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

/** The text of the focused element, looking through shadow roots. */
async function focusedText(): Promise<string | null> {
  return page.evaluate(() => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return active?.textContent?.trim() ?? null;
  });
}

async function screenshot(name: string, fullPage = false): Promise<void> {
  const path = `${SCREENSHOTS}${name}.png`;
  if (fullPage) await page.screenshot({ path });
  else await page.locator('main').screenshot({ path });
}

const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The file the package ships; throws, naming the build command, when it has not been built.
  bundle = (await loadPrebuiltElementsBundle()).code;
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, 'text/plain', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

afterEach(async () => {
  await page?.close();
  expect(pageErrors.splice(0)).toEqual([]);
});

async function newPage(viewport = { width: 560, height: 460 }): Promise<void> {
  page = await browser.newPage({ viewport });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
}

describe('under a strict CSP', () => {
  it('enforces the policy on the test pages (so "no violations" below means something)', async () => {
    await newPage();
    await open('status-linked-inactive');
    await page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { color: red; }';
      document.head.append(style);
    });
    await expect.poll(cspViolations).toEqual([expect.stringMatching(/^style-src-elem inline/)]);
    // The browser logs the refusal to the console too; that one is expected here.
    pageErrors.splice(0);
  });

  it.each([
    ['status-linked-active', 'linked-active', ['Manage Instacart+'], 'Your Instacart+ membership is active'],
    ['status-linked-inactive', 'linked-inactive', ['Join Instacart+'], 'Your Instacart account is linked'],
    [
      'status-unlinked',
      'unlinked',
      ['Link Instacart account', 'Join Instacart+'],
      'Link your Instacart account',
    ],
    ['status-unavailable', 'unavailable', ['Try again'], "Instacart can't be reached right now"],
  ])(
    'renders %s with its buttons, styled by adopted stylesheets, accessible',
    async (fixture, state, names, title) => {
      await newPage();
      await open(fixture);
      const status = page.locator('cartlink-status');
      expect(await status.getAttribute('state')).toBe(state);
      expect(await page.getByRole('heading', { name: title }).count()).toBe(1);
      for (const name of names) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(1);
      expect(await page.getByRole('button').count()).toBe(names.length);
      const styling = await status.evaluate((element) => {
        const root = element.shadowRoot!;
        const primary = root.querySelector('[part~="button-primary"]')!;
        return {
          adopted: root.adoptedStyleSheets.length,
          styleElements: root.querySelectorAll('style').length,
          background: getComputedStyle(primary).backgroundColor,
        };
      });
      expect(styling.adopted).toBeGreaterThan(0);
      expect(styling.styleElements).toBe(0);
      expect(styling.background).toBe(ACCENT);
      if (state === 'linked-active') expect(await page.getByText('09/22/2025').count()).toBe(1);
      await screenshot(fixture);
      expect(await axeViolations()).toEqual([]);
      expect(await cspViolations()).toEqual([]);
    },
  );

  it('renders loading as a labelled busy indicator, accessible', async () => {
    await newPage();
    await open('status-loading');
    const indicator = page.getByRole('progressbar', { name: 'Loading your Instacart account status' });
    expect(await indicator.getAttribute('aria-busy')).toBe('true');
    expect(await page.locator('cartlink-status').getAttribute('state')).toBe('loading');
    await screenshot('status-loading');
    expect(await axeViolations()).toEqual([]);
    expect(await cspViolations()).toEqual([]);
  });

  it('renders French for <html lang="fr-CA">', async () => {
    await newPage();
    await open('status-unlinked-fr-CA', '?lang=fr-CA');
    expect(await page.getByRole('button', { name: 'Associer le compte Instacart' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: "S'abonner à Instacart+" }).count()).toBe(1);
    await screenshot('status-unlinked-fr-CA');
    expect(await axeViolations()).toEqual([]);
  });

  it('fetches status-src, and Try again fetches it again', async () => {
    statusAnswer = { status: 503, body: { error: 'unavailable' } };
    await newPage();
    await open('status-fetched');
    const status = page.locator('cartlink-status');
    await expect.poll(() => status.getAttribute('state')).toBe('unavailable');
    statusAnswer = { status: 200, body: unlinkedView };
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => status.getAttribute('state')).toBe('unlinked');
    expect(await page.getByRole('button', { name: 'Link Instacart account' }).count()).toBe(1);
    // The 503 is logged by the browser as a failed resource load; it is the case under test.
    pageErrors.splice(0);
  });

  it('Link posts the form with the CSRF token and follows the 303 to the authorization page', async () => {
    authorizeAnswer = 'start';
    authorizePosts.length = 0;
    await newPage();
    await open('status-unlinked');
    await Promise.all([
      page.waitForURL(`${origin}/authorize?state=started-by-post`),
      page.getByRole('button', { name: 'Link Instacart account' }).click(),
    ]);
    expect(authorizeHits).toContain('?state=started-by-post');
    expect(authorizePosts).toEqual([
      {
        contentType: 'application/x-www-form-urlencoded',
        // A form on a no-referrer page: Origin null, but the browser still says same-origin.
        origin: 'null',
        secFetchSite: 'same-origin',
        body: `_csrf=${CSRF}`,
      },
    ]);
  });
});

describe('results dialog', () => {
  it('success: modal and centred, focus on "Continue shopping", Escape closes and focus returns', async () => {
    await newPage({ width: 800, height: 600 });
    await open('dialog');
    await page.getByRole('button', { name: 'Before' }).focus();
    await page.evaluate(() => {
      document.querySelector('cartlink-result-dialog')!.open({ result: 'success', outcome: 'linked' });
    });
    const dialog = page.getByRole('dialog', { name: 'Your accounts are linked' });
    await dialog.waitFor();
    expect(await dialog.evaluate((element) => element.matches(':modal'))).toBe(true);
    expect(await focusedText()).toBe('Continue shopping');
    const box = (await dialog.boundingBox())!;
    expect(Math.abs(box.x + box.width / 2 - 400)).toBeLessThan(2);
    expect(Math.abs(box.y + box.height / 2 - 300)).toBeLessThan(2);
    await screenshot('dialog-success', true);
    expect(await axeViolations()).toEqual([]);

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // The native dialog hides at once; the host's reflected `open` follows on Lit's next update.
    await expect.poll(() => page.locator('cartlink-result-dialog').getAttribute('open')).toBeNull();
    await expect.poll(focusedText).toBe('Before');
    expect(await cspViolations()).toEqual([]);
  });

  it.each([
    ['cancelled', 'Try again', 'You canceled linking at Instacart.'],
    [
      'already-linked',
      'Close',
      "That Instacart account is already linked to another shopper's account here.",
    ],
  ])('failure (%s): says why, focus on "%s", accessible', async (outcome, primary, message) => {
    await newPage({ width: 800, height: 600 });
    await open('dialog');
    await page.getByRole('button', { name: 'Before' }).focus();
    await page.evaluate((value) => {
      document
        .querySelector('cartlink-result-dialog')!
        .open({ result: 'failure', outcome: value as 'cancelled' });
    }, outcome);
    const dialog = page.getByRole('dialog', { name: "We couldn't link your accounts" });
    await dialog.waitFor();
    expect(await dialog.getByText(message).count()).toBe(1);
    expect(await focusedText()).toBe(primary);
    await screenshot(`dialog-failure-${outcome}`, true);
    expect(await axeViolations()).toEqual([]);

    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await focusedText()).toBe('Before');
    expect(await cspViolations()).toEqual([]);
  });
});

describe('a refused link start', () => {
  it('comes back with cartlink_outcome=throttled: the address bar is cleaned and the dialog says to wait', async () => {
    authorizeAnswer = 'throttled';
    authorizePosts.length = 0;
    statusAnswer = { status: 200, body: unlinkedView };
    await newPage({ width: 800, height: 600 });
    await open('profile');
    await page.getByRole('button', { name: 'Link Instacart account' }).click();
    const dialog = page.getByRole('dialog', { name: "We couldn't link your accounts" });
    await dialog.waitFor();
    expect(
      await dialog
        .getByText('You started linking too many times. Wait a few minutes, then try again.')
        .count(),
    ).toBe(1);
    expect(page.url()).toBe(`${origin}/page/profile`);
    expect(authorizePosts).toHaveLength(1);
    expect(await focusedText()).toBe('Close');
    await screenshot('dialog-failure-throttled', true);
    expect(await axeViolations()).toEqual([]);
    expect(await cspViolations()).toEqual([]);
  });
});

describe('the authorization callback', () => {
  it('cleans the address bar, posts the code, and shows the linked state and the success dialog', async () => {
    posts.length = 0;
    await newPage({ width: 800, height: 600 });
    await open('profile', '?tab=instacart&code=c0de&state=st-browser#instacart');
    const dialog = page.getByRole('dialog', { name: 'Your accounts are linked' });
    await dialog.waitFor();
    expect(page.url()).toBe(`${origin}/page/profile?tab=instacart#instacart`);
    expect(posts).toEqual([{ contentType: 'application/json', body: { code: 'c0de', state: 'st-browser' } }]);
    expect(await page.locator('cartlink-status').getAttribute('state')).toBe('linked-active');
    expect(
      await page.getByText('Your Corner Market account is now linked to your Instacart account.').count(),
    ).toBe(1);
    expect(await focusedText()).toBe('Continue shopping');

    // A reload of the cleaned URL does not post again.
    await open('profile', '?tab=instacart#instacart');
    expect(posts).toHaveLength(1);
  });
});
