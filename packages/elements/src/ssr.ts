/**
 * @module `@cartlink/elements/ssr`: `<cartlink-status>` rendered on the server, its shadow root
 * written into the page as declarative shadow DOM, so that the status card, its buttons and the
 * expiry date are painted from the HTML before any script runs, and with JavaScript off. The browser
 * bundle then hydrates the element: it keeps the server's shadow root (no second render, no flash) and
 * fetches nothing when the server gave the state. "Link Instacart account" is a form, so it works
 * before hydration and without JavaScript.
 *
 * A plain function that returns a string: any Node server can call it (and a React server component,
 * which would insert the string). It renders with Lit's SSR, `@lit-labs/ssr`, an optional peer
 * dependency of the package: install it to use this entry point. Importing `@cartlink/elements`
 * never loads it.
 *
 * The shadow root's styles travel in a `<style>` element. Under a Content-Security-Policy without
 * `'unsafe-inline'` in `style-src`, list {@link CARTLINK_STATUS_STYLE_HASHES} in `style-src` (or pass
 * the response's nonce as `styleNonce` and list that), or the card paints unstyled.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { CARTLINK_STATUS_STYLE_HASHES, renderCartlinkStatus } from '@cartlink/elements/ssr';
 *
 * const csp = `default-src 'self'; style-src 'self' ${CARTLINK_STATUS_STYLE_HASHES.join(' ')}`;
 *
 * createServer((req, res) => {
 *   const status = renderCartlinkStatus({
 *     state: 'unlinked', locale: 'en-US', shopName: 'Corner Market', csrfToken: session.csrfToken,
 *     authorizeEndpoint: '/cartlink/authorize', statusSrc: '/cartlink/status',
 *   });
 *   res.setHeader('Content-Security-Policy', csp);
 *   res.end(`<!doctype html><script type="module" src="/cartlink-elements.js"></script>${status}`);
 * }).listen(3000);
 * ```
 */
import type { StatusState } from './status-view.js';
import { resolveLocale } from './strings.js';

/**
 * The attributes of a server-rendered `<cartlink-status>`: the element's own attributes, camelCased
 * (see `CartlinkStatus`). Every value is escaped into the HTML.
 */
export interface CartlinkStatusAttributes {
  /**
   * The element's `id`: how a page script (or `@cartlink/react`'s `useLinkCallback`) finds the
   * element to show a link's result in.
   */
  id?: string | undefined;
  /**
   * The state to paint: the server's status (`linked-active`, `linked-inactive`, `unlinked`,
   * `unavailable`), or `loading` when the element must find it out (it then fetches `statusSrc`, or
   * posts the authorization callback in the address bar to `linkEndpoint`).
   */
  state: StatusState;
  /** ISO 8601 instant the membership expires, shown as a UTC calendar date in `linked-active`. */
  expiredAt?: string | null | undefined;
  /**
   * `en-US`, `en-CA` or `fr-CA` (any French is fr-CA; anything else en-US). Always written into the
   * HTML, resolved, so that the browser renders the words and the date the server did.
   * @default 'en-US'
   */
  locale?: string | undefined;
  /** The shop's name in the sentences. */
  shopName?: string | undefined;
  /** The session's CSRF token, posted as `_csrf` by the Link form. */
  csrfToken?: string | undefined;
  /**
   * The server's authorize endpoint, where the Link form posts. A path on the page's own origin
   * (`/cartlink/authorize`): the form carries the CSRF token, and before the element hydrates (or
   * with JavaScript off) nothing else checks where it goes.
   */
  authorizeEndpoint?: string | undefined;
  /** Where "Manage Instacart+" goes. */
  manageUrl?: string | undefined;
  /** Where "Join Instacart+" goes. */
  joinUrl?: string | undefined;
  /** The server's status endpoint: fetched when `state` is `loading`, and by "Try again". */
  statusSrc?: string | undefined;
  /** The server's link endpoint, where the element posts the authorization callback. */
  linkEndpoint?: string | undefined;
  /** Id of the `<cartlink-result-dialog>` that shows the link result. */
  dialog?: string | undefined;
}

/** Options of {@link renderCartlinkStatus}. */
export interface ServerRenderOptions {
  /**
   * The response's CSP nonce, put on the shadow root's `<style>`, for a `style-src` that lists it as
   * `'nonce-…'`. Not needed when `style-src` lists {@link CARTLINK_STATUS_STYLE_HASHES}, which is
   * preferred.
   */
  styleNonce?: string | undefined;
}

/** What went wrong: see {@link ServerRenderError}. */
export type ServerRenderErrorCode = 'ssr_peer_missing' | 'ssr_build_missing' | 'unsafe_authorize_endpoint';

/**
 * The server render cannot run (`ssr_peer_missing`: `@lit-labs/ssr` is not installed;
 * `ssr_build_missing`: a checkout of the repository whose packages are not built), thrown when the
 * module is imported; or it was given an authorize endpoint that is not a path on the page's origin
 * (`unsafe_authorize_endpoint`), thrown by {@link renderCartlinkStatus}.
 */
export class ServerRenderError extends Error {
  /** Stable code, for telling the cases apart without parsing the message. */
  readonly code: ServerRenderErrorCode;

  /**
   * @param code - What went wrong.
   * @param message - What to do about it.
   * @param options - `cause`: the error behind it.
   */
  constructor(code: ServerRenderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerRenderError';
    this.code = code;
  }
}

/**
 * The attributes as the built renderer takes them: the locale resolved.
 * @internal
 */
export interface ResolvedStatusAttributes extends CartlinkStatusAttributes {
  /** Always set: the browser must not pick another one from `<html lang>`. */
  locale: string;
}

/**
 * The module `dist/cartlink-elements-ssr.js` (built from `server-render.ts`).
 * @internal
 */
export interface ServerRenderImplementation {
  /** Renders the element, its shadow root as declarative shadow DOM. */
  renderCartlinkStatus(attributes: ResolvedStatusAttributes, styleNonce: string | undefined): string;
  /** The text of the shadow root's `<style>`, the same in every state and locale. */
  statusStyleText: string;
}

// `src/` and `dist/` both sit one level under the package: the same file from the sources and once
// installed. See `server-render.ts` for why the server renders the built module, never the sources.
const IMPLEMENTATION_URL = new URL('../dist/cartlink-elements-ssr.js', import.meta.url);

async function loadImplementation(): Promise<ServerRenderImplementation> {
  try {
    await import('@lit-labs/ssr');
  } catch (error) {
    throw new ServerRenderError(
      'ssr_peer_missing',
      '@cartlink/elements/ssr renders with Lit SSR, an optional peer dependency of @cartlink/elements that is not installed: run `npm install @lit-labs/ssr@^4.1.0`.',
      { cause: error },
    );
  }
  try {
    return (await import(IMPLEMENTATION_URL.href)) as ServerRenderImplementation;
  } catch (error) {
    // Node's words for the file itself missing ("Cannot find package 'lit' imported from …" is
    // another matter: a broken install, reported as it is).
    const message = error instanceof Error ? error.message : '';
    if (message.startsWith('Cannot find module') && message.includes('cartlink-elements-ssr.js')) {
      throw new ServerRenderError(
        'ssr_build_missing',
        `The server render ${IMPLEMENTATION_URL.pathname} is missing. The published @cartlink/elements ships it: reinstall the package. In the Cartlink repository, build it: \`npm run build -w @cartlink/elements\` (or \`npm run build\` at the root).`,
        { cause: error },
      );
    }
    throw error;
  }
}

const implementation = await loadImplementation();

/** The CSP source of a `<style>` element's text: `'sha256-…'` (CSP Level 3, "hash-source"). */
async function styleHashSource(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

/**
 * The hashes of the `<style>` that carries the server-rendered card's styles, as CSP sources
 * (`'sha256-…'`): add them to `style-src` and the card is styled under a CSP without
 * `'unsafe-inline'`, with no nonce on the HTML (which may then be cached). Preferred to
 * {@link ServerRenderOptions.styleNonce}: tools that copy the shadow root's styles into a new
 * `<style>` (axe-core does) stay allowed too, since the text is the same. Fixed for a given version of
 * the package: compute the header once, at start-up.
 * @example
 * const csp = `default-src 'self'; style-src 'self' ${CARTLINK_STATUS_STYLE_HASHES.join(' ')}`;
 */
export const CARTLINK_STATUS_STYLE_HASHES: readonly string[] = [
  await styleHashSource(implementation.statusStyleText),
];

/**
 * A path on the page's own origin (or empty, the page itself): one `/`, then no `/` or `\` (`//host`
 * and `/\host` lead to another host), and no whitespace or control character anywhere (browsers drop
 * tabs and newlines from URLs, so `/\t/host` is `//host`).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const SAME_ORIGIN_PATH = /^(?:\/(?![/\\])[^\u0000-\u0020\u007f-\u009f]*)?$/;

/**
 * Renders `<cartlink-status>` with its attributes and its shadow root as declarative shadow DOM
 * (`<template shadowrootmode="open">`): the card's text, buttons and expiry date, and the Link form
 * (a POST of `_csrf` to `authorizeEndpoint`) in `unlinked`. Synchronous, and the same output for
 * the same input. Put the page's `<script type="module">` of the elements' bundle anywhere: the
 * element hydrates when it loads.
 *
 * @param attributes - The element's attributes; `locale` is written resolved (en-US by default).
 * @param options - The `<style>` nonce, for a CSP that allows styles by nonce.
 * @returns The element's HTML, to insert where the card goes.
 * @throws {@link ServerRenderError} `unsafe_authorize_endpoint` when `authorizeEndpoint` is not a path
 *   on the page's origin.
 * @example
 * renderCartlinkStatus(
 *   { state: 'linked-active', expiredAt: '2025-09-22T07:14:43Z', locale: 'fr-CA' },
 *   { styleNonce: nonce },
 * );
 */
export function renderCartlinkStatus(
  attributes: CartlinkStatusAttributes,
  options: ServerRenderOptions = {},
): string {
  const { authorizeEndpoint } = attributes;
  if (authorizeEndpoint !== undefined && !SAME_ORIGIN_PATH.test(authorizeEndpoint)) {
    throw new ServerRenderError(
      'unsafe_authorize_endpoint',
      `authorizeEndpoint must be a path on the page's origin, such as /cartlink/authorize: ${JSON.stringify(authorizeEndpoint)}`,
    );
  }
  return implementation.renderCartlinkStatus(
    { ...attributes, locale: resolveLocale(attributes.locale) },
    options.styleNonce,
  );
}
