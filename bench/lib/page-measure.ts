/**
 * @module What step 5 measures inside a page, as scripts Playwright runs there: the time from
 * navigation start to the first animation frame at which `<cartlink-status>` shows its linked-active
 * card, and first contentful paint. The init script (it runs before the page's own scripts) checks on
 * each frame for the element's shadow root holding `section[part="container"]` while the host says
 * `state="linked-active"`, and takes `performance.now()` at the first frame where both hold. A card
 * rendered on the server as declarative shadow DOM (`<template shadowrootmode="open">`) is
 * `element.shadowRoot` as soon as it is parsed, before any script has run or the element is defined;
 * a card rendered by the element's script appears there when it renders. Either way the frame is the
 * one it is painted in. First contentful paint comes from the `paint` entries, through a
 * `PerformanceObserver`.
 */
import type { Page } from 'playwright-core';

const EXPECTED = 'linked-active';

/**
 * The init script: `window.__cartlinkShown` resolves with `performance.now()` at the first animation
 * frame at which the status element shows `linked-active`; `window.__cartlinkFcp` with the first
 * contentful paint's start time.
 */
export const MEASURE_SCRIPT = `
window.__cartlinkShown = new Promise((resolve) => {
  const check = () => {
    const element = document.querySelector('cartlink-status');
    const root = element && element.shadowRoot;
    if (root && element.getAttribute('state') === ${JSON.stringify(EXPECTED)} &&
        root.querySelector('section[part="container"]')) {
      resolve(performance.now());
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
});
window.__cartlinkFcp = new Promise((resolve) => {
  new PerformanceObserver((list, observer) => {
    const entry = list.getEntriesByName('first-contentful-paint')[0];
    if (entry) {
      observer.disconnect();
      resolve(entry.startTime);
    }
  }).observe({ type: 'paint', buffered: true });
});`;

/** What {@link MEASURE_SCRIPT} measured in a page, in ms since navigation start. */
export interface ShownTimes {
  visibleMs: number;
  firstContentfulPaintMs: number;
}

/**
 * Reads what {@link MEASURE_SCRIPT} measured, waiting 10 s at most for each. A string, not a
 * function: tsx compiles this file keeping function names (`__name(…)` calls), which the page, where
 * a function given to `page.evaluate` runs, does not define.
 */
const READ_SCRIPT = `(() => {
  const never = (what) => new Promise((_, reject) =>
    setTimeout(() => reject(new Error(what + ' never came')), 10000));
  return Promise.all([
    Promise.race([window.__cartlinkShown, never('the linked-active card')]),
    Promise.race([window.__cartlinkFcp, never('first contentful paint')]),
  ]).then(([visibleMs, firstContentfulPaintMs]) => ({ visibleMs, firstContentfulPaintMs }));
})()`;

/** Waits for the times {@link MEASURE_SCRIPT} takes in `page`. */
export function readShownTimes(page: Page): Promise<ShownTimes> {
  return page.evaluate<ShownTimes>(READ_SCRIPT);
}
