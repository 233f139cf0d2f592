/**
 * The open redirect after sign-in (issue 9, finding 1), in Chromium: a shopper opens a link to the
 * shop's sign-in page whose `next` points elsewhere through URL normalisation (dot segments, encoded
 * dots and slashes, backslashes, tabs, path parameters, userinfo), signs in, and must land on the shop.
 * The "elsewhere" is a real server on another loopback port, so a redirect that escaped would load a
 * page there, and the server would see it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBrowser, setUpE2eStack } from '../../testing/e2e-stack';
import { submitSignIn } from '../support';

// Many sign-ins of one account from one address: the throttle (tested on its own) must not be what
// stops them here. They run one at a time, so the password-check queue never waits.
const stack = setUpE2eStack({ env: { SIGNIN_ACCOUNT_LIMIT: '100000', SIGNIN_ADDRESS_LIMIT: '100000' } });
let evil: Server;
let evilHost: string;
/** Every request the attacker's server received. */
const evilHits: string[] = [];

beforeAll(async () => {
  evil = createServer((request, response) => {
    evilHits.push(request.url ?? '');
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end('<!doctype html><title>evil</title><p>phished</p>');
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilHost = `127.0.0.1:${(evil.address() as AddressInfo).port}`;
});

afterAll(async () => {
  evil?.closeAllConnections();
  await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
});

/** The query-string values of `next` as an attacker writes them into a link (`HOST` is the attacker). */
const PAYLOADS = [
  '/.//HOST/x',
  '/x/..//HOST',
  '/%2e%2e//HOST',
  '/%2E%2E/%2e%2e//HOST',
  '/.%2e//HOST',
  '/%252e%252e//HOST',
  '//HOST/x',
  '///HOST',
  '/%2F/HOST',
  '/%252F%252FHOST',
  '/\\HOST',
  '/%5CHOST',
  '/%255CHOST',
  '\t//HOST',
  '/\t/HOST',
  '%09//HOST',
  '/%0A/HOST',
  '/;/HOST',
  '//user:pass@HOST',
  'http:HOST',
  'http://HOST',
];

/** Opens the link in a fresh context, counting navigations that leave the shop. */
async function openContext(): Promise<{ context: BrowserContext; offSite: string[] }> {
  const context = await (await getBrowser()).newContext({ locale: 'en-US' });
  const offSite: string[] = [];
  context.on('request', (request) => {
    if (new URL(request.url()).origin !== stack.shopUrl) offSite.push(request.url());
  });
  return { context, offSite };
}

describe('the sign-in redirect keeps the browser on the shop', () => {
  // One test per payload, each in a context of its own (its own cookies): a shopper signing in is a
  // scrypt hash and a few page loads, and the whole list in one test would be a budget that a loaded
  // two-core machine can exceed.
  it.each(PAYLOADS)(
    'signed out: opening the link with next=%j and signing in lands on the shop',
    async (template) => {
      const raw = template.replaceAll('HOST', evilHost);
      const { context, offSite } = await openContext();
      try {
        const page = await context.newPage();
        await page.goto(`${stack.shopUrl}/signin?next=${raw}`);
        await submitSignIn(page, 'casey@example.com');
        await page.waitForLoadState('load');
        const landed = new URL(page.url());
        expect(`${landed.origin}${landed.pathname}`).toBe(`${stack.shopUrl}/`);
        // The shop's own page, signed in: not an error page that happens to keep the address.
        expect(await page.getByRole('button', { name: 'Sign out', exact: true }).isVisible()).toBe(true);
        expect(offSite).toEqual([]);
        expect(evilHits).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );

  describe('signed in', () => {
    let signedIn: Awaited<ReturnType<typeof openContext>>;

    beforeAll(async () => {
      signedIn = await openContext();
      const page = await signedIn.context.newPage();
      await page.goto(`${stack.shopUrl}/signin`);
      await submitSignIn(page, 'blair@example.com');
      expect(new URL(page.url()).pathname).toBe('/');
    });

    afterAll(async () => {
      await signedIn?.context.close();
    });

    it.each(PAYLOADS)('opening the link with next=%j goes straight to the shop', async (template) => {
      const raw = template.replaceAll('HOST', evilHost);
      const page = signedIn.context.pages()[0];
      if (page === undefined) throw new Error('the signed-in page is gone');
      await page.goto(`${stack.shopUrl}/signin?next=${raw}`);
      const landed = new URL(page.url());
      expect(`${landed.origin}${landed.pathname}`).toBe(`${stack.shopUrl}/`);
      expect(await page.getByRole('button', { name: 'Sign out', exact: true }).isVisible()).toBe(true);
      expect(signedIn.offSite).toEqual([]);
      expect(evilHits).toEqual([]);
    });
  });

  it('control: a same-origin next still returns the shopper to that page', async () => {
    const { context, offSite } = await openContext();
    try {
      const page = await context.newPage();
      await page.goto(`${stack.shopUrl}/signin?next=${encodeURIComponent('/orders')}`);
      await submitSignIn(page, 'alex@example.com');
      expect(new URL(page.url()).pathname).toBe('/orders');
      expect(offSite).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
