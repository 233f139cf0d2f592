/**
 * @module Step 5, the profile page in Chromium: time from navigation start until the status element
 * shows the shopper's real state (`linked-active`, painted: its shadow root holds the state's card),
 * on the storefront's real profile page (status rendered on the server, with a recent verification)
 * against the peer's page (no status in the HTML; the element fetches it after the page loaded, and
 * the peer's server asks Connect with a fresh token). The goal is `profile_status_visible_ratio`, ours
 * over the peer's (medians).
 *
 * The time is taken in the page by an init script (`lib/page-measure.ts`) at the first animation frame
 * at which the card is in the element's shadow root with the right state, whether the server rendered
 * it as declarative shadow DOM or the element's script rendered it; so it includes server time,
 * network, parsing, and (when the card needs it) the module's load and the element's render. First
 * contentful paint is recorded for both pages as information.
 *
 * Each load uses a new browser context (empty cache, cookies set from the signed-in sessions); the
 * two pages alternate.
 */
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../../testing/browser';
import { type BenchContext, type Shopper, verifyLinked } from '../lib/context';
import { MEASURE_SCRIPT, readShownTimes } from '../lib/page-measure';
import { median, round, type Summary, summarize } from '../lib/stats';

interface PageLoad {
  visibleMs: number;
  firstContentfulPaintMs: number;
  /** Navigation timing: first byte of the HTML, DOMContentLoaded and load. */
  responseStartMs: number;
  /** The HTML's last byte: a page streamed in parts arrives well after its first byte. */
  responseEndMs: number;
  domContentLoadedMs: number;
  loadMs: number;
}

export interface ProfilePageResult {
  ours: PageLoad[];
  peer: PageLoad[];
  profile_status_visible_ms: number;
  peer_profile_status_visible_ms: number;
  /** Ours / the peer's status-shown medians: the goal. */
  profile_status_visible_ratio: number;
  profile_first_contentful_paint_ms: number;
  peer_profile_first_contentful_paint_ms: number;
  /** Medians of the later of the card's frame and first contentful paint, per load: information. */
  profile_status_painted_ms: number;
  peer_profile_status_painted_ms: number;
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
    // Each load starts on a small file of the same site, as a shopper arrives at the profile page from
    // the shop's own menu, with the cache off (the page's stylesheet and scripts are fetched every
    // time, as in a new context). Starting from about:blank would measure something else: our pages
    // send `Cross-Origin-Opener-Policy: same-origin` (the peer sends none), and Chromium commits such a
    // page from about:blank in a new renderer process, 150–250 ms on this machine that a shopper
    // browsing the shop never pays (measured with Chromium traces; the header stays, e2e/security
    // requires it).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await page.goto(`${new URL(url).origin}/assets/favicon.svg`);
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response?.status() !== 200) throw new Error(`${url}: ${response?.status()}`);
    const shown = await readShownTimes(page);
    const timing = await page.evaluate(() => {
      const [entry] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      return {
        responseStart: entry?.responseStart ?? Number.NaN,
        responseEnd: entry?.responseEnd ?? Number.NaN,
        domContentLoaded: entry?.domContentLoadedEventEnd ?? Number.NaN,
        load: entry?.loadEventEnd ?? Number.NaN,
      };
    });
    return {
      visibleMs: round(shown.visibleMs),
      firstContentfulPaintMs: round(shown.firstContentfulPaintMs),
      responseStartMs: round(timing.responseStart),
      responseEndMs: round(timing.responseEnd),
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
  const oursVisible = median(ours.map((load) => load.visibleMs));
  const peerVisible = median(peerLoads.map((load) => load.visibleMs));
  const result = {
    ours,
    peer: peerLoads,
    profile_status_visible_ms: oursVisible,
    peer_profile_status_visible_ms: peerVisible,
    profile_status_visible_ratio: round(oursVisible / peerVisible, 3),
    profile_first_contentful_paint_ms: median(ours.map((load) => load.firstContentfulPaintMs)),
    peer_profile_first_contentful_paint_ms: median(peerLoads.map((load) => load.firstContentfulPaintMs)),
    // The card can be in the page before anything is painted (a render-blocking stylesheet, say): the
    // later of the two is when it was on screen.
    profile_status_painted_ms: median(
      ours.map((load) => Math.max(load.visibleMs, load.firstContentfulPaintMs)),
    ),
    peer_profile_status_painted_ms: median(
      peerLoads.map((load) => Math.max(load.visibleMs, load.firstContentfulPaintMs)),
    ),
    ours_response_start_ms: median(ours.map((load) => load.responseStartMs)),
    peer_response_start_ms: median(peerLoads.map((load) => load.responseStartMs)),
    visible: {
      ours: summarize(ours.map((load) => load.visibleMs)),
      peer: summarize(peerLoads.map((load) => load.visibleMs)),
    },
  };
  ctx.log(
    `  status shown: ours ${oursVisible} ms, peer ${peerVisible} ms (ratio ${result.profile_status_visible_ratio}); ` +
      `first contentful paint ours ${result.profile_first_contentful_paint_ms} ms, ` +
      `peer ${result.peer_profile_first_contentful_paint_ms} ms (medians)`,
  );
  return result;
}
