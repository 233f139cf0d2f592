/**
 * The open redirect after sign-in (issue 9, finding 1), in Chromium: a shopper opens a link to the
 * shop's sign-in page whose `next` points elsewhere through URL normalisation (dot segments, encoded
 * dots and slashes, backslashes, tabs, path parameters, userinfo), signs in, and must land on the shop.
 * The "elsewhere" is a real server on another loopback port, so a redirect that escaped would load a
 * page there, and the server would see it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../testing/browser';
import { type Stack, startStack } from '../support';

let stack: Stack;
let browser: Browser;
let evil: Server;
let evilHost: string;
/** Every request the attacker's server received. */
const evilHits: string[] = [];

beforeAll(async () => {
  // Many sign-ins of one account from one address, queued behind Chromium for the CPU: the throttle
  // and the password-check queue deadline (tested on their own) must not be what stops them here.
  stack = await startStack({
    SIGNIN_ACCOUNT_LIMIT: '100000',
    SIGNIN_ADDRESS_LIMIT: '100000',
    QUEUE_DEADLINE_MS: '120000',
  });
  browser = await launchBrowser();
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
  await browser?.close();
  await stack?.close();
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
  const context = await browser.newContext({ locale: 'en-US' });
  const offSite: string[] = [];
  context.on('request', (request) => {
    if (new URL(request.url()).origin !== stack.shopUrl) offSite.push(request.url());
  });
  return { context, offSite };
}

describe('the sign-in redirect keeps the browser on the shop', () => {
  it('signed out: opening the link and signing in lands on the shop for every payload', async () => {
    const escaped: string[] = [];
    // One context per payload (its own cookies), a few side by side to keep the suite fast.
    const signInThrough = async (template: string) => {
      const raw = template.replaceAll('HOST', evilHost);
      const { context, offSite } = await openContext();
      try {
        const page = await context.newPage();
        await page.goto(`${stack.shopUrl}/signin?next=${raw}`);
        await page.getByLabel('Email').fill('casey@example.com');
        await page.getByLabel('Password').fill('cartlink-demo');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL((url) => url.pathname !== '/signin', { timeout: 15_000 });
        await page.waitForLoadState('load');
        const landed = new URL(page.url());
        if (landed.origin !== stack.shopUrl || landed.pathname !== '/')
          escaped.push(`${raw} -> ${page.url()}`);
        // The shop's own page, signed in: not an error page that happens to keep the address.
        expect(await page.getByRole('button', { name: 'Sign out', exact: true }).isVisible(), raw).toBe(true);
        escaped.push(...offSite.map((url) => `${raw} requested ${url}`));
      } finally {
        await context.close();
      }
    };
    for (let index = 0; index < PAYLOADS.length; index += 4) {
      await Promise.all(PAYLOADS.slice(index, index + 4).map(signInThrough));
    }
    expect(escaped).toEqual([]);
    expect(evilHits).toEqual([]);
  });

  it('signed in: opening the link goes straight to the shop for every payload', async () => {
    const { context, offSite } = await openContext();
    const escaped: string[] = [];
    try {
      const page = await context.newPage();
      await page.goto(`${stack.shopUrl}/signin`);
      await page.getByLabel('Email').fill('blair@example.com');
      await page.getByLabel('Password').fill('cartlink-demo');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/');
      for (const template of PAYLOADS) {
        const raw = template.replaceAll('HOST', evilHost);
        await page.goto(`${stack.shopUrl}/signin?next=${raw}`);
        const landed = new URL(page.url());
        if (landed.origin !== stack.shopUrl || landed.pathname !== '/')
          escaped.push(`${raw} -> ${page.url()}`);
        expect(await page.getByRole('button', { name: 'Sign out', exact: true }).isVisible(), raw).toBe(true);
      }
    } finally {
      await context.close();
    }
    expect(escaped).toEqual([]);
    expect(offSite).toEqual([]);
    expect(evilHits).toEqual([]);
  });

  it('control: a same-origin next still returns the shopper to that page', async () => {
    const { context, offSite } = await openContext();
    try {
      const page = await context.newPage();
      await page.goto(`${stack.shopUrl}/signin?next=${encodeURIComponent('/orders')}`);
      await page.getByLabel('Email').fill('alex@example.com');
      await page.getByLabel('Password').fill('cartlink-demo');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname !== '/signin');
      expect(new URL(page.url()).pathname).toBe('/orders');
      expect(offSite).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
