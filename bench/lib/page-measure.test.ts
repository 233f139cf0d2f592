/**
 * Step 5's init script in Chromium: it must see a status card rendered on the server as declarative
 * shadow DOM (no script at all on the page, the element never defined) as well as one rendered by a
 * script, and only once the card shows `linked-active`. Pages are served through Playwright's
 * routing, so nothing listens on a port. Assertions compare moments in one page, never durations.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../testing/browser';
import { MEASURE_SCRIPT, readShownTimes } from './page-measure';

const ORIGIN = 'http://bench.test';
const CARD = '<section part="container" class="card"><h2 part="title">Instacart+</h2></section>';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Opens `html` in a new context with the init script, as the step does. */
async function open(html: string): Promise<Page> {
  const context = await browser.newContext();
  await context.route(`${ORIGIN}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }),
  );
  await context.addInitScript(MEASURE_SCRIPT);
  const page = await context.newPage();
  await page.goto(`${ORIGIN}/profile`, { waitUntil: 'load' });
  return page;
}

/** A page whose script renders the card, with `state`, after `delayMs`; records when in `__renderedAt`. */
function clientRendered(state: string, delayMs: number): string {
  return `<!doctype html><html><body><h1>Your account</h1><cartlink-status></cartlink-status>
<script>
setTimeout(() => {
  const element = document.querySelector('cartlink-status');
  element.attachShadow({ mode: 'open' }).innerHTML = ${JSON.stringify(CARD)};
  element.setAttribute('state', ${JSON.stringify(state)});
  window.__renderedAt = performance.now();
}, ${delayMs});
</script></body></html>`;
}

describe('the profile page step’s measure script', () => {
  it('sees a card rendered on the server as declarative shadow DOM, with no script on the page', async () => {
    const page = await open(`<!doctype html><html><body><h1>Your account</h1>
<cartlink-status state="linked-active"><template shadowrootmode="open">${CARD}</template></cartlink-status>
</body></html>`);
    const times = await readShownTimes(page);
    expect(times.visibleMs).toBeGreaterThan(0);
    expect(times.firstContentfulPaintMs).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);
    await page.context().close();
  });

  it('sees a card a script renders, no earlier than the render', async () => {
    const page = await open(clientRendered('linked-active', 50));
    const times = await readShownTimes(page);
    const renderedAt = await page.evaluate(
      () => (window as unknown as { __renderedAt: number }).__renderedAt,
    );
    expect(times.visibleMs).toBeGreaterThanOrEqual(renderedAt);
    await page.context().close();
  });

  it('waits for the linked-active state, not any card', async () => {
    const page = await open(`<!doctype html><html><body>
<cartlink-status state="unlinked"><template shadowrootmode="open">${CARD}</template></cartlink-status>
<script>
setTimeout(() => {
  document.querySelector('cartlink-status').setAttribute('state', 'linked-active');
  window.__renderedAt = performance.now();
}, 50);
</script></body></html>`);
    const times = await readShownTimes(page);
    const renderedAt = await page.evaluate(
      () => (window as unknown as { __renderedAt: number }).__renderedAt,
    );
    expect(times.visibleMs).toBeGreaterThanOrEqual(renderedAt);
    await page.context().close();
  });
});
