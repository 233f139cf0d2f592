/**
 * The server render (`@cartlink/elements/ssr`) and the shipped bundle in real Chromium, on pages served
 * with a strict CSP whose `style-src` allows only the shop and the card's style hash (or, on `?csp=nonce`
 * pages, the response's nonce): the card is painted, styled, from the HTML alone (no script at all);
 * the bundle then hydrates it without changing a node of the shadow root and without asking
 * `status-src`; and the hydrated element works (its buttons, the callback flow from `loading`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../../testing/browser.js';
import { loadPrebuiltElementsBundle } from './prebuilt-bundle-node.js';
import { CARTLINK_STATUS_STYLE_HASHES, type CartlinkStatusAttributes, renderCartlinkStatus } from './ssr.js';
import type { StatusView } from './status-view.js';

const EXPIRED_AT = '2025-09-22T07:14:43Z';
const CSRF = 'csrf-ssr-3c9d2e1f0a';

/** The page's own stylesheet would hide nothing of the card's: only the element's styles matter. */
const CSP_WATCH = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
  });
`;

/**
 * Runs right after the element is parsed (a classic script, before the deferred bundle): keeps the
 * server's card node and text, and records every change made to the shadow root from then on.
 */
const SNAPSHOT = `
  const element = document.querySelector('cartlink-status');
  const root = element.shadowRoot;
  window.painted = {
    definedBeforeBundle: customElements.get('cartlink-status') !== undefined,
    card: root.querySelector('[part~="container"]'),
    text: root.textContent,
    html: root.innerHTML,
    mutations: [],
  };
  new MutationObserver((records) => {
    for (const record of records) window.painted.mutations.push(record.type + ' ' + (record.attributeName ?? ''));
  }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
`;

const common: Omit<CartlinkStatusAttributes, 'state'> = {
  shopName: 'Corner Market',
  csrfToken: CSRF,
  authorizeEndpoint: '/cartlink/authorize',
  statusSrc: '/api/status',
  linkEndpoint: '/api/link',
  manageUrl: 'https://instacart.example/manage',
  joinUrl: 'https://instacart.example/join',
};

const FIXTURES: Record<string, CartlinkStatusAttributes> = {
  'linked-active': { ...common, state: 'linked-active', expiredAt: EXPIRED_AT, locale: 'en-US' },
  'linked-active-fr-CA': { ...common, state: 'linked-active', expiredAt: EXPIRED_AT, locale: 'fr-CA' },
  'linked-inactive': { ...common, state: 'linked-inactive', locale: 'en-US' },
  unlinked: { ...common, state: 'unlinked', locale: 'en-US' },
  'unlinked-fr-CA': { ...common, state: 'unlinked', locale: 'fr-CA' },
  unavailable: { ...common, state: 'unavailable', locale: 'en-US' },
  loading: { ...common, state: 'loading', locale: 'en-US' },
};

const linkedView: StatusView = {
  state: 'linked-active',
  reason: null,
  expiredAt: EXPIRED_AT,
  manageUrl: 'https://instacart.example/manage',
  joinUrl: 'https://instacart.example/join',
  verifiedAt: '2025-06-01T12:00:00.000Z',
};

let server: Server;
let origin: string;
let browser: Browser;
let bundle: string;
let page: Page;
/** Every request the pages made, as `METHOD /path`. */
const requests: string[] = [];
const consoleMessages: string[] = [];

function send(res: ServerResponse, status: number, type: string, body: string, csp: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Security-Policy': csp,
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', origin);
  requests.push(`${req.method} ${url.pathname}`);
  const nonce = randomBytes(16).toString('base64');
  // `?csp=nonce`: styles allowed by this response's nonce; otherwise by the card's style hash.
  const byNonce = url.searchParams.get('csp') === 'nonce';
  const styleSources = byNonce ? `'nonce-${nonce}'` : CARTLINK_STATUS_STYLE_HASHES.join(' ');
  const csp = `default-src 'self'; style-src 'self' ${styleSources}`;
  if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '', csp);
  if (url.pathname === '/cartlink-elements.js') return send(res, 200, 'text/javascript', bundle, csp);
  if (url.pathname === '/csp-watch.js') return send(res, 200, 'text/javascript', CSP_WATCH, csp);
  if (url.pathname === '/snapshot.js') return send(res, 200, 'text/javascript', SNAPSHOT, csp);
  if (url.pathname === '/api/status')
    return send(res, 200, 'application/json', JSON.stringify(linkedView), csp);
  if (url.pathname === '/api/link' && req.method === 'POST') {
    for await (const _ of req);
    return send(res, 200, 'application/json', JSON.stringify({ outcome: 'linked', status: linkedView }), csp);
  }
  const fixture = FIXTURES[url.pathname.replace(/^\/page\//, '')];
  if (!fixture) return send(res, 404, 'text/plain', 'not found', csp);
  // `?nonce=stale`: the card carries another response's nonce, as a cached fragment would.
  const stale = url.searchParams.get('nonce') === 'stale';
  const styleNonce = byNonce ? (stale ? 'c3RhbGUtbm9uY2U=' : nonce) : undefined;
  const withScript = url.searchParams.get('js') !== 'none';
  const html = `<!doctype html><html lang="en-US"><head><meta charset="utf-8"><title>Account profile</title>
    <script src="/csp-watch.js"></script>
    ${withScript ? '<script type="module" src="/cartlink-elements.js"></script>' : ''}</head>
    <body><main>${renderCartlinkStatus(fixture, { styleNonce })}<script src="/snapshot.js"></script></main></body></html>`;
  return send(res, 200, 'text/html', html, csp);
}

beforeAll(async () => {
  bundle = (await loadPrebuiltElementsBundle()).code;
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      send(res, 500, 'text/plain', String(error), "default-src 'none'"),
    );
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
  requests.splice(0);
  expect(consoleMessages.splice(0), 'console errors and warnings').toEqual([]);
});

async function open(path: string): Promise<void> {
  page = await browser.newPage({ viewport: { width: 560, height: 460 } });
  page.on('pageerror', (error) => consoleMessages.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      consoleMessages.push(`${message.type()}: ${message.text()}`);
    }
  });
  await page.goto(`${origin}${path}`);
}

/** Waits until the bundle has defined the element and the element has finished its first update. */
async function hydrated(): Promise<void> {
  await page.waitForFunction(() => customElements.get('cartlink-status') !== undefined);
  await page.evaluate(async () => {
    const element = document.querySelector('cartlink-status') as HTMLElement & {
      updateComplete: Promise<boolean>;
    };
    await element.updateComplete;
  });
}

/** What the page shows now: the card's text and a style that only the element's stylesheet sets. */
async function card() {
  return page.evaluate(() => {
    const root = document.querySelector('cartlink-status')?.shadowRoot;
    const eyebrow = root?.querySelector('.eyebrow, .spinner');
    return {
      text: root?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
      title: root?.querySelector('[part~="title"]')?.textContent ?? null,
      eyebrowBackground: eyebrow ? getComputedStyle(eyebrow).backgroundColor : null,
      cardRadius: getComputedStyle(root?.querySelector('[part~="container"]') ?? document.body)
        .borderTopLeftRadius,
      cspViolations: (window as unknown as { cspViolations: string[] }).cspViolations,
    };
  });
}

describe('the server-rendered card, before any script', () => {
  it.each([
    ['linked-active', 'Your Instacart+ membership is active', 'Your membership expires on 09/22/2025.'],
    [
      'linked-active-fr-CA',
      'Votre abonnement Instacart+ est actif',
      'Votre abonnement expire le 2025-09-22.',
    ],
    ['linked-inactive', 'Your Instacart account is linked', 'Join Instacart+'],
    ['unlinked', 'Link your Instacart account', 'Link Instacart account'],
    ['unlinked-fr-CA', 'Associez votre compte Instacart', 'Associer le compte Instacart'],
    ['unavailable', "Instacart can't be reached right now", 'Try again'],
  ])('paints %s from the HTML, styled by its own stylesheet under the CSP', async (fixture, title, words) => {
    await open(`/page/${fixture}?js=none`);
    const painted = await card();
    expect(painted.title).toBe(title);
    expect(painted.text).toContain(words);
    // Colours and corners that only the element's stylesheet sets: the nonce let its <style> apply.
    expect(painted.eyebrowBackground).toBe('rgb(233, 246, 237)');
    expect(painted.cardRadius).toBe('12px');
    expect(painted.cspViolations).toEqual([]);
    expect(await page.evaluate(() => customElements.get('cartlink-status'))).toBeUndefined();
    expect(requests).not.toContain('GET /cartlink-elements.js');
  });

  it('is styled under a CSP that allows the <style> by this response’s nonce instead', async () => {
    await open('/page/unlinked?js=none&csp=nonce');
    const painted = await card();
    expect(painted.eyebrowBackground).toBe('rgb(233, 246, 237)');
    expect(painted.cspViolations).toEqual([]);
  });

  it('paints unstyled, and the CSP reports it, when the <style> carries another nonce', async () => {
    await open('/page/linked-active?js=none&csp=nonce&nonce=stale');
    const painted = await card();
    // The words are there; the styles are not: the control that shows the nonce is what styles it.
    expect(painted.title).toBe('Your Instacart+ membership is active');
    expect(painted.eyebrowBackground).toBe('rgba(0, 0, 0, 0)');
    expect(painted.cspViolations).toEqual([expect.stringMatching(/^style-src-elem inline/)]);
    // The browser logs the refusal to the console too; that one is expected here.
    expect(consoleMessages.splice(0)).toEqual([expect.stringMatching(/Content Security Policy/)]);
  });
});

describe('hydration by the bundle', () => {
  it.each([
    'linked-active',
    'linked-active-fr-CA',
    'linked-inactive',
    'unlinked',
    'unlinked-fr-CA',
    'unavailable',
  ])('keeps the server’s %s card node for node, and asks status-src nothing', async (fixture) => {
    await open(`/page/${fixture}`);
    await hydrated();
    const result = await page.evaluate(() => {
      const element = document.querySelector('cartlink-status') as HTMLElement & { hasUpdated: boolean };
      const root = element.shadowRoot as ShadowRoot;
      const painted = (window as unknown as { painted: Record<string, unknown> }).painted;
      return {
        definedBeforeBundle: painted.definedBeforeBundle,
        hasUpdated: element.hasUpdated,
        sameCard: root.querySelector('[part~="container"]') === painted.card,
        sameText: root.textContent === painted.text,
        sameHtml: root.innerHTML === painted.html,
        mutations: painted.mutations,
      };
    });
    expect(result).toEqual({
      definedBeforeBundle: false,
      hasUpdated: true,
      sameCard: true,
      sameText: true,
      sameHtml: true,
      mutations: [],
    });
    expect((await card()).cspViolations).toEqual([]);
    expect(requests.filter((request) => request.includes('/api/'))).toEqual([]);
  });

  it('wires the buttons: "Manage Instacart+" on the hydrated card navigates', async () => {
    await open('/page/linked-active');
    await hydrated();
    await page.evaluate(() => {
      const element = document.querySelector('cartlink-status') as HTMLElement & {
        navigate: (url: string, action: string) => void;
      };
      (window as unknown as { navigations: string[] }).navigations = [];
      element.navigate = (url, action) =>
        (window as unknown as { navigations: string[] }).navigations.push(`${action} ${url}`);
    });
    await page.getByRole('button', { name: 'Manage Instacart+' }).click();
    expect(await page.evaluate(() => (window as unknown as { navigations: string[] }).navigations)).toEqual([
      'manage https://instacart.example/manage',
    ]);
  });

  it('wires "Try again" on the hydrated unavailable card: it asks status-src then', async () => {
    await open('/page/unavailable');
    await hydrated();
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(async () => (await card()).title).toBe('Your Instacart+ membership is active');
    expect(requests.filter((request) => request.includes('/api/'))).toEqual(['GET /api/status']);
  });

  it('completes a callback from the server’s loading card, as before: posts it, shows the result', async () => {
    await open('/page/loading?code=code-1&state=state-1');
    expect(
      await page.evaluate(() => (window as unknown as { painted: { text: string } }).painted.text),
    ).toContain('Loading your Instacart account status…');
    await expect.poll(async () => (await card()).title).toBe('Your Instacart+ membership is active');
    expect(requests.filter((request) => request.includes('/api/'))).toEqual(['POST /api/link']);
    expect(new URL(page.url()).search).toBe('');
  });
});
