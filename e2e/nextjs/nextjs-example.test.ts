/**
 * The Next.js example (examples/nextjs) as a retailer runs it: the packages packed into tarballs, the
 * example installed from them (and Next.js, React and the rest from the registry) in a folder outside
 * the repository, `next build`, then `next start` against the emulator and a fresh PostgreSQL
 * database. Chromium then signs in, finds the status card painted from the server's HTML, links an
 * Instacart+ account through the emulator's log-in and consent, and checks out with $0 delivery,
 * which the finance report records.
 *
 * It needs `npm run build` first (`npm test` runs it) and runs alone, with its own Vitest
 * configuration (vitest.nextjs.config.ts): a Next.js build takes both cores for minutes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestEmulator, type TestEmulator } from '@cartlink/emulator/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext } from '../../scripts/package-test/lib/context';
import { INSTACART_PLUS_LOGIN } from '../../scripts/package-test/lib/link-flow';
import { outsideNpmEnv } from '../../scripts/package-test/lib/project';
import { formatDuration } from '../../scripts/package-test/lib/steps';
import { installFromTemplate } from '../../scripts/package-test/steps/install';
import { pack } from '../../scripts/package-test/steps/pack';
import { launchBrowser } from '../../testing/browser';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../../testing/postgres';
import { type ChildServer, runCommand, startServer, tail, withFreePort } from '../../testing/processes';
import { dialogTitle, linkAtInstacart, SUCCESS_TITLE, settledStatus } from '../support';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Without a server this file says so and skips; under CI=true it fails instead. */
const postgresAvailable = await isPostgresAvailable();

/** The OAuth application the shop runs as, registered with the emulator for the shop's redirect URI. */
const CLIENT_ID = 'corner-shop-nextjs';

/** Next.js's line once `next start` accepts connections: `✓ Ready in 312ms`. */
const NEXT_READY_LINE = /\bReady in\b/;
/** The example's line once its shop is open (configuration read, database migrated). */
const SHOP_READY_LINE = /^Corner Shop \(Next\.js \+ PostgreSQL\) ready for /;

/** Whatever a shopper's pages did that they must not: CSP refusals, requests to other origins. */
interface Watched {
  context: BrowserContext;
  page: Page;
  cspViolations: string[];
  foreignRequests: string[];
  /** Uncaught errors in the page (a failed hydration of the status element throws one). */
  pageErrors: string[];
}

describe.skipIf(!postgresAvailable)('the Next.js example, built and started from the packed packages', () => {
  const durations: Array<[string, number]> = [];
  const watched: Watched[] = [];
  let workDir = '';
  let database: TestDatabase | undefined;
  let emulator: TestEmulator | undefined;
  let shop: ChildServer | undefined;
  let browser: Browser | undefined;
  let shopUrl = '';
  let shopper: Watched;

  /** Runs one phase, and keeps and prints how long it took. */
  async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await run();
    const ms = performance.now() - started;
    durations.push([name, ms]);
    console.log(`nextjs example: ${name} in ${formatDuration(ms)}`);
    return result;
  }

  /** A fresh browser context (its own cookies) whose CSP refusals and foreign requests are kept. */
  async function watch(options: { javaScriptEnabled?: boolean } = {}): Promise<Watched> {
    if (browser === undefined || emulator === undefined) throw new Error('the stack is not up');
    const context = await browser.newContext({ locale: 'en-US', ...options });
    const page = await context.newPage();
    const entry: Watched = { context, page, cspViolations: [], foreignRequests: [], pageErrors: [] };
    page.on('pageerror', (error) => entry.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text())) {
        entry.cspViolations.push(message.text());
      }
    });
    const allowed = [new URL(shopUrl).origin, new URL(emulator.url).origin];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && !allowed.includes(url.origin)) entry.foreignRequests.push(url.href);
    });
    watched.push(entry);
    return entry;
  }

  /** Signs in with the stand-in sign-in: the demo shopper's button whose text matches `which`. */
  async function signIn(page: Page, which: RegExp): Promise<void> {
    await page.goto(`${shopUrl}/signin`);
    await page.getByRole('button', { name: which }).click();
    await page.waitForURL((url) => url.pathname === '/account/profile');
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'cartlink-nextjs-example-'));
    const context: RunContext = {
      repoRoot,
      workDir,
      log: () => {},
      packed: [],
      tarballs: new Map(),
      projects: new Map(),
      servers: new Map(),
      defer: () => {},
    };
    await phase('pack', () => pack(context));
    const dir = join(workDir, 'nextjs');
    await phase('install', () =>
      installFromTemplate(context, 'nextjs', join(repoRoot, 'examples', 'nextjs')),
    );
    const next = join(dir, 'node_modules', 'next', 'dist', 'bin', 'next');
    const nextEnv = {
      ...outsideNpmEnv(),
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      NO_COLOR: '1',
    };
    // Built without the shop's configuration, which it reads when it starts: one build for any deployment.
    await phase('build', () =>
      runCommand(process.execPath, [next, 'build'], { cwd: dir, env: nextEnv, timeoutMs: 12 * 60_000 }),
    );

    database = await createTestDatabase('cartlink_nextjs');
    emulator = await startTestEmulator();
    const running = emulator;
    const clientSecret = randomBytes(24).toString('base64url');
    const databaseUrl = database.url;
    shop = await phase('start', () =>
      // The shop must know its port before it starts (its public URL and redirect URI name it).
      withFreePort(async (port) => {
        const url = `http://127.0.0.1:${port}`;
        let listening = false;
        let opened = false;
        await running.admin.registerApp({
          client_id: CLIENT_ID,
          client_secret: clientSecret,
          name: 'Corner Shop',
          redirect_uris: [`${url}/account/profile`],
        });
        return startServer({
          name: 'next start (examples/nextjs)',
          command: process.execPath,
          args: [next, 'start', '--hostname', '127.0.0.1', '--port', String(port)],
          cwd: dir,
          env: {
            ...nextEnv,
            PUBLIC_URL: url,
            DATABASE_URL: databaseUrl,
            CONNECT_BASE_URL: running.url,
            CONNECT_AUTH_URL: `${running.url}/oauth/authorize`,
            CONNECT_CLIENT_ID: CLIENT_ID,
            CONNECT_CLIENT_SECRET: clientSecret,
            INSTACART_WEB_URL: running.url,
          },
          readyTimeoutMs: 120_000,
          // Both, whichever comes first: the server listens, and the shop it serves has opened.
          ready: (line) => {
            if (NEXT_READY_LINE.test(line)) listening = true;
            if (SHOP_READY_LINE.test(line)) opened = true;
            return listening && opened ? url : null;
          },
        });
      }),
    );
    shopUrl = shop.url;
    browser = await launchBrowser();
    shopper = await watch();
  }, 15 * 60_000);

  afterAll(async () => {
    console.log(
      `nextjs example phases: ${durations.map(([name, ms]) => `${name} ${formatDuration(ms)}`).join(', ')}`,
    );
    await browser?.close();
    await shop?.stop();
    await emulator?.stop();
    await database?.drop();
    if (workDir !== '') await rm(workDir, { recursive: true, force: true });
  }, 120_000);

  it('paints the status card from the server HTML, before and without any script', async () => {
    const { page, context } = shopper;
    await signIn(page, /^Alex/);
    const response = await page.goto(`${shopUrl}/account/profile`);
    const html = (await response?.text()) ?? '';
    // The element and its shadow root, as declarative shadow DOM, in the response itself.
    const card = /<cartlink-status\b[^>]*>[\s\S]*?<\/cartlink-status>/.exec(html)?.[0] ?? '';
    expect(card).toMatch(/^<cartlink-status\b[^>]*\bid="cartlink-status"/);
    expect(card).toMatch(/^<cartlink-status\b[^>]*\bstate="unlinked"/);
    expect(card).toMatch(/<template\b[^>]*\bshadowrootmode="open"/);
    expect(card).toContain('Link Instacart account');
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
    expect(policy).not.toContain('unsafe-inline');
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');

    // With JavaScript off, the card and its Link form are there all the same.
    const noScript = await watch({ javaScriptEnabled: false });
    await noScript.context.addCookies(await context.cookies());
    await noScript.page.goto(`${shopUrl}/account/profile`);
    await noScript.page.getByRole('button', { name: 'Link Instacart account' }).waitFor();
    expect(await noScript.page.locator('cartlink-status').getAttribute('state')).toBe('unlinked');
    await noScript.context.close();

    expect(await settledStatus(page)).toBe('unlinked');
  });

  it('refuses a Link form posted from another origin, even with the session and its token', async () => {
    const { page, context } = shopper;
    const csrfToken = (await page.locator('#cartlink-status').getAttribute('csrf-token')) ?? '';
    expect(csrfToken).not.toBe('');
    const forged = await context.request.post(`${shopUrl}/cartlink/authorize`, {
      form: { _csrf: csrfToken },
      headers: { Origin: 'https://attacker.example', 'Sec-Fetch-Site': 'cross-site' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(forged.headers().location).toBeUndefined();
  });

  it('links an Instacart+ account at the emulator and shows the success dialog', async () => {
    const { page } = shopper;
    const started = performance.now();
    const callback = await linkAtInstacart(page, INSTACART_PLUS_LOGIN.email);
    expect(new URL(callback).searchParams.has('code')).toBe(true);
    expect(await dialogTitle(page)).toBe(SUCCESS_TITLE);
    await expect.poll(() => page.locator('#cartlink-status').getAttribute('state')).toBe('linked-active');
    // Shown, not only set: the element drew the status the link answered.
    await page
      .locator('#cartlink-status')
      .getByRole('heading', { name: 'Your Instacart+ membership is active' })
      .waitFor();
    // The callback left the address bar before it was posted.
    const address = new URL(page.url());
    expect(address.pathname).toBe('/account/profile');
    expect(address.searchParams.has('code')).toBe(false);
    expect(address.searchParams.has('state')).toBe(false);
    durations.push(['link', performance.now() - started]);
    console.log(`nextjs example: link in ${formatDuration(performance.now() - started)}`);

    // Read again by the server, the status is the same.
    const response = await page.goto(`${shopUrl}/account/profile`);
    expect((await response?.text()) ?? '').toMatch(/<cartlink-status\b[^>]*\bstate="linked-active"/);
  });

  it('waives the delivery fee at checkout and records the discount for finance', async () => {
    const { page } = shopper;
    await page.goto(`${shopUrl}/checkout`);
    const fee = page.locator('[data-delivery-fee-cents]');
    expect(await fee.getAttribute('data-delivery-fee-cents')).toBe('0');
    expect(await page.getByText('You saved $3.99 with Instacart+.').isVisible()).toBe(true);
    // The ledger is read by UTC day, from the day the order is placed.
    const placedFrom = new Date();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/orders/'));
    const order = page.locator('[data-order-id]');
    const orderId = (await order.getAttribute('data-order-id')) ?? '';
    expect(orderId).not.toBe('');
    expect(
      await page.locator('[data-delivery-charged-cents]').getAttribute('data-delivery-charged-cents'),
    ).toBe('0');

    const finance = await watch();
    await signIn(finance.page, /finance/);
    const day = (date: Date) => date.toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000);
    const report = await finance.context.request.get(
      `${shopUrl}/admin/reconciliation.csv?from=${day(placedFrom)}&to=${day(tomorrow)}`,
    );
    expect(report.status()).toBe(200);
    const csv = await report.text();
    const line = csv.split(/\r?\n/).find((candidate) => candidate.startsWith(`${orderId},`));
    expect(line, `the order's line in\n${tail(csv)}`).toBeDefined();
    expect(line).toMatch(/,true,/);
    expect(line).toMatch(/,fresh$/);

    // A shopper is not finance.
    const refused = await shopper.context.request.get(
      `${shopUrl}/admin/reconciliation.csv?from=${day(placedFrom)}&to=${day(tomorrow)}`,
    );
    expect(refused.status()).toBe(403);
  });

  // Last: over every page the shoppers above opened.
  it('broke no Content-Security-Policy, asked no other origin, and threw or logged no error', () => {
    expect(watched.length).toBeGreaterThanOrEqual(3);
    for (const entry of watched) {
      expect(entry.cspViolations, 'CSP violations').toEqual([]);
      expect(entry.foreignRequests, 'requests to other origins').toEqual([]);
      expect(entry.pageErrors, 'uncaught errors in the pages').toEqual([]);
    }
    expect(shop?.errorLines(), 'errors the shop printed').toEqual([]);
  });
});
