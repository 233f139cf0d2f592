/**
 * @module Step 5, the profile page in Chromium: time from navigation start until the status element
 * shows the shopper's real state (`linked-active`, rendered: its shadow root holds the state's card),
 * on the storefront's real profile page (status rendered on the server into the element's
 * attributes, with a recent verification) against the peer's page (no status in the HTML; the element
 * fetches it after the page loaded, and the peer's server asks Connect with a fresh token).
 *
 * Each load uses a new browser context (empty cache, cookies set from the signed-in sessions); the
 * two pages alternate. The time is taken in the page on the first animation frame at which the state
 * is shown, so it includes server time, network, parsing, the module's load and the element's render.
 * Also recorded: the elements bundle's gzipped size.
 */
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../../testing/browser';
import { type BenchContext, type Shopper, verifyLinked } from '../lib/context';
import { median, round, type Summary, summarize } from '../lib/stats';

const EXPECTED = 'linked-active';

/** Resolves `window.__cartlinkShown` with `performance.now()` once the element shows `state`. */
const MEASURE_SCRIPT = `
window.__cartlinkShown = new Promise((resolve) => {
  const check = () => {
    const element = document.querySelector('cartlink-status');
    if (element && element.getAttribute('state') === ${JSON.stringify(EXPECTED)} &&
        element.shadowRoot && element.shadowRoot.querySelector('section[part="container"]')) {
      resolve(performance.now());
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
});`;

interface PageLoad {
  visibleMs: number;
  /** Navigation timing: first byte of the HTML, DOMContentLoaded and load. */
  responseStartMs: number;
  domContentLoadedMs: number;
  loadMs: number;
}

export interface ProfilePageResult {
  ours: PageLoad[];
  peer: PageLoad[];
  profile_status_visible_ms: number;
  peer_profile_status_visible_ms: number;
  ours_response_start_ms: number;
  peer_response_start_ms: number;
  /** The spread of the status-shown times: page loads vary a lot on a shared machine. */
  visible: { ours: Summary; peer: Summary };
}

async function loadPage(browser: Browser, url: string, shopper: Shopper): Promise<PageLoad> {
  const context = await browser.newContext();
  try {
    await context.addCookies([...shopper.client.cookies].map(([name, value]) => ({ name, value, url })));
    await context.addInitScript(MEASURE_SCRIPT);
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response?.status() !== 200) throw new Error(`${url}: ${response?.status()}`);
    const shown = await page.evaluate(() =>
      Promise.race([
        (window as unknown as { __cartlinkShown: Promise<number> }).__cartlinkShown,
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error('state never shown')), 10_000)),
      ]),
    );
    const timing = await page.evaluate(() => {
      const [entry] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      return {
        responseStart: entry?.responseStart ?? Number.NaN,
        domContentLoaded: entry?.domContentLoadedEventEnd ?? Number.NaN,
        load: entry?.loadEventEnd ?? Number.NaN,
      };
    });
    return {
      visibleMs: round(shown),
      responseStartMs: round(timing.responseStart),
      domContentLoadedMs: round(timing.domContentLoaded),
      loadMs: round(timing.load),
    };
  } finally {
    await context.close();
  }
}

export async function runProfilePageStep(ctx: BenchContext): Promise<ProfilePageResult> {
  const browser = await launchBrowser();
  const ours: PageLoad[] = [];
  const peerLoads: PageLoad[] = [];
  try {
    const oursPage = () => loadPage(browser, `${ctx.storefront.url}/account/profile`, ctx.shopper);
    const peerPage = () => loadPage(browser, `${ctx.peer.url}/profile`, ctx.peerShopper);
    // Warm-up of each (browser start, server JIT), not recorded.
    await oursPage();
    await peerPage();
    for (let i = 0; i < ctx.sizes.pageLoads; i++) {
      // A recent verification, as an ordinary page load has (sign-in verified it; the window is 60 s).
      await verifyLinked(ctx.shopper);
      if (i % 2 === 0) {
        ours.push(await oursPage());
        peerLoads.push(await peerPage());
      } else {
        peerLoads.push(await peerPage());
        ours.push(await oursPage());
      }
    }
  } finally {
    await browser.close();
  }
  const result = {
    ours,
    peer: peerLoads,
    profile_status_visible_ms: median(ours.map((load) => load.visibleMs)),
    peer_profile_status_visible_ms: median(peerLoads.map((load) => load.visibleMs)),
    ours_response_start_ms: median(ours.map((load) => load.responseStartMs)),
    peer_response_start_ms: median(peerLoads.map((load) => load.responseStartMs)),
    visible: {
      ours: summarize(ours.map((load) => load.visibleMs)),
      peer: summarize(peerLoads.map((load) => load.visibleMs)),
    },
  };
  ctx.log(
    `  status shown: ours ${result.profile_status_visible_ms} ms, peer ${result.peer_profile_status_visible_ms} ms (medians)`,
  );
  return result;
}
