/**
 * @module `@cartlink/react/server`: `<CartlinkStatusServer>`, the status element painted from the
 * server's HTML in a React server component. It renders the element with its shadow root as
 * declarative shadow DOM through the elements' own server render (`renderCartlinkStatus` of
 * `@cartlink/elements/ssr`, Lit's SSR), so the card, its buttons and the expiry date show before any
 * script runs; the browser's `@cartlink/elements` then hydrates it. For server components only: it
 * loads `@lit-labs/ssr` (an optional peer of `@cartlink/elements`: install it).
 *
 * Under a Content-Security-Policy without `'unsafe-inline'` in `style-src`, list
 * {@link CARTLINK_STATUS_STYLE_HASHES} in `style-src` (or pass the response's nonce as `styleNonce`).
 *
 * @example
 * ```tsx
 * import { CARTLINK_STATUS_STYLE_HASHES, CartlinkStatusServer } from '@cartlink/react/server';
 *
 * // next.config.ts: headers() → Content-Security-Policy:
 * //   `style-src 'self' ${CARTLINK_STATUS_STYLE_HASHES.join(' ')}`
 * export default function Profile() {
 *   return <CartlinkStatusServer id="cartlink-status" state="unlinked" csrfToken={csrfToken}
 *     authorizeEndpoint="/cartlink/authorize" statusSrc="/cartlink/status" dialog="cartlink-result" />;
 * }
 * ```
 */
import { type CartlinkStatusAttributes, renderCartlinkStatus } from '@cartlink/elements/ssr';
import { createElement, type ReactElement } from 'react';

export {
  CARTLINK_STATUS_STYLE_HASHES,
  type CartlinkStatusAttributes,
  ServerRenderError,
  type ServerRenderErrorCode,
} from '@cartlink/elements/ssr';

/** Props of {@link CartlinkStatusServer}. */
export interface CartlinkStatusServerProps extends CartlinkStatusAttributes {
  /**
   * The element's `id`: what `useLinkCallback`'s `statusId` names, so the hook finds the element to
   * show the link's result in.
   */
  id?: string | undefined;
  /**
   * The response's CSP nonce, put on the shadow root's `<style>`. Not needed when `style-src` lists
   * {@link CARTLINK_STATUS_STYLE_HASHES}, which is preferred (the HTML can then be cached).
   */
  styleNonce?: string | undefined;
}

/**
 * A server component: `<cartlink-status>` with its attributes and its shadow root as declarative
 * shadow DOM (`<template shadowrootmode="open">`), the HTML of `renderCartlinkStatus`, every value
 * escaped. Synchronous. React needs an element to hold raw HTML: the status sits in a `<div>` of its
 * own.
 *
 * On a page whose address bar holds an authorization callback (`searchParams.state`), render
 * `state="loading"` and no `linkEndpoint`: `useLinkCallback` (or `<CartlinkLinkCallback>`) of
 * `@cartlink/react` owns the callback there, and the element must not post it too.
 *
 * @throws `ServerRenderError` `unsafe_authorize_endpoint` when `authorizeEndpoint` is not a path on
 *   the page's origin.
 */
export function CartlinkStatusServer(props: CartlinkStatusServerProps): ReactElement {
  const { styleNonce, ...attributes } = props;
  const html = renderCartlinkStatus(attributes, { styleNonce });
  // Once the browser has parsed it, the declarative template is the element's shadow root and no
  // longer in the div's HTML: hydration must not compare the two.
  return createElement('div', {
    // biome-ignore lint/security/noDangerouslySetInnerHtml: Lit's server render, every value escaped by it; React cannot write a declarative shadow root any other way.
    dangerouslySetInnerHTML: { __html: html },
    suppressHydrationWarning: true,
  });
}
