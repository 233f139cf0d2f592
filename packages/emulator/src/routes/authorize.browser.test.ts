/**
 * The authorization page in headless Chromium, over real HTTP on loopback: a shopper logs in,
 * presses Allow or Deny, and lands on the retailer's redirect URI (a tiny local server).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../../../testing/browser.js';
import { DEMO_SEED } from '../seed.js';
import { type RunningEmulator, startEmulator } from '../server-node.js';
import { validated } from '../test-support/harness.js';

const CLIENT = { clientId: 'browser-shop', clientSecret: 'browser-shop-secret', name: 'Corner Market' };

let browser: Browser;
let running: RunningEmulator;
let callbackServer: Server;
let redirectUri: string;
const callbackHits: string[] = [];

beforeAll(async () => {
  running = await startEmulator({ port: 0 });
  callbackServer = createServer((request, response) => {
    // Chromium also asks for /favicon.ico; only visits of the redirect URI count.
    if (request.url?.startsWith('/account/profile')) callbackHits.push(request.url);
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>Retailer</title><h1>Back at the shop</h1>');
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/account/profile`;
  running.emulator.registerApp({ ...CLIENT, redirectUris: [redirectUri] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
  await new Promise<void>((resolve) => callbackServer?.close(() => resolve()));
});

let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
beforeEach(async () => {
  callbackHits.length = 0;
  context = await browser.newContext();
  page = await context.newPage();
  consoleErrors = [];
  // A CSP violation (a blocked stylesheet, a blocked form redirect) shows up as a console error.
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  return async () => {
    await context.close();
  };
});

function authorizeUrl(overrides: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT.clientId,
    scope: 'account_linking',
    state: 'browser-state',
    redirect_uri: redirectUri,
    ...overrides,
  });
  return `${running.url}/oauth/authorize?${query}`;
}

async function logIn() {
  await page.goto(authorizeUrl());
  await page.getByLabel('Email').fill(DEMO_SEED.users.plus);
  await page.getByLabel('Password').fill(DEMO_SEED.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Authorization Required' }).waitFor();
}

describe('authorization page in Chromium', () => {
  it('logs in, Allow lands on the redirect URI with a code and the state, and the code works', async () => {
    await logIn();
    expect(await page.title()).toBe('Authorization Required');
    expect(
      await page
        .getByText('Corner Market can read your name, email, and make requests on your behalf')
        .count(),
    ).toBe(1);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe('browser-state');
    const code = landed.searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(callbackHits).toHaveLength(1);
    expect(await page.getByRole('heading', { name: 'Back at the shop' }).count()).toBe(1);

    const exchanged = await validated(fetch)(`${running.url}/v2/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        code,
        redirect_uri: redirectUri,
      }),
    });
    expect(exchanged.status).toBe(200);
    expect(consoleErrors).toEqual([]);
  });

  it('Deny lands on the redirect URI with error=access_denied and the state', async () => {
    await logIn();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    const landed = new URL(page.url());
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('state')).toBe('browser-state');
    expect(landed.searchParams.has('code')).toBe(false);
    expect(consoleErrors).toEqual([]);
  });

  it('remembers the log-in: a second authorization goes straight to consent', async () => {
    await logIn();
    await page.goto(authorizeUrl({ state: 'again' }));
    expect(await page.getByRole('heading', { name: 'Authorization Required' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Log in' }).count()).toBe(0);
    const [cookie] = await context.cookies(running.url);
    expect(cookie?.name.startsWith('instacart_')).toBe(true);
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
  });

  it('shows an error page and never redirects for an unregistered redirect URI', async () => {
    const response = await page.goto(authorizeUrl({ redirect_uri: `${redirectUri}/../evil` }));
    expect(response?.status()).toBe(400);
    expect(page.url().startsWith(running.url)).toBe(true);
    expect(await page.getByRole('heading', { name: 'Authorization error' }).count()).toBe(1);
    expect(callbackHits).toEqual([]);
  });

  it('shows a wrong password on the log-in form', async () => {
    await page.goto(authorizeUrl());
    await page.getByLabel('Email').fill(DEMO_SEED.users.plus);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Incorrect email or password');
    expect(callbackHits).toEqual([]);
  });
});
