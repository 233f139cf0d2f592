/**
 * @module `<CartlinkStatus>`: the `<cartlink-status>` element of `@cartlink/elements` as a React
 * component, with typed props for its attributes and typed handlers for its events.
 */
import type { FailedDetail, LinkedDetail, StateChangeDetail, StatusState } from '@cartlink/elements';
import { createElement, type ReactElement, useEffect, useLayoutEffect, useRef } from 'react';
import { loadElements } from './load-elements.js';

/** Props of {@link CartlinkStatus}: the element's attributes, camelCased, and its events. */
export interface CartlinkStatusProps {
  /** The element's `id`: what {@link useLinkCallback}'s `statusId` names. */
  id?: string | undefined;
  /** A class for the element (`class`). */
  className?: string | undefined;
  /**
   * The state to show: the server's status (`linked-active`, `linked-inactive`, `unlinked`,
   * `unavailable`), or `loading` (the default) while the element finds it out from `statusSrc`, or
   * while {@link useLinkCallback} completes a link.
   */
  state?: StatusState | undefined;
  /** ISO 8601 instant the membership expires, shown as a date in `linked-active`. */
  expiredAt?: string | null | undefined;
  /** `en-US`, `en-CA` or `fr-CA`; unset means `<html lang>` (any French is fr-CA), then en-US. */
  locale?: string | undefined;
  /** The shop's name in the sentences. */
  shopName?: string | undefined;
  /** The session's CSRF token, posted as `_csrf` by the Link form. */
  csrfToken?: string | undefined;
  /** The server's authorize endpoint (same origin), where the Link form posts. */
  authorizeEndpoint?: string | undefined;
  /** Where "Manage Instacart+" goes. */
  manageUrl?: string | undefined;
  /** Where "Join Instacart+" goes. */
  joinUrl?: string | undefined;
  /** The server's status endpoint: fetched when `state` is `loading`, and by "Try again". */
  statusSrc?: string | undefined;
  /**
   * The server's link endpoint: when set, the element itself posts an authorization callback it finds
   * in the address bar. Leave it unset on a page that completes the callback with
   * {@link useLinkCallback}: one of them must own the callback, and the first to read it takes it.
   */
  linkEndpoint?: string | undefined;
  /** Id of the `<cartlink-result-dialog>` that shows a link's result. */
  dialog?: string | undefined;
  /** `cartlink:linked`: a callback linked the accounts; the status now shown comes with it. */
  onLinked?: ((detail: LinkedDetail) => void) | undefined;
  /** `cartlink:failed`: a callback did not link the accounts, or the page reported a refused link. */
  onFailed?: ((detail: FailedDetail) => void) | undefined;
  /** `cartlink:state-change`: the state shown changed. */
  onStateChange?: ((detail: StateChangeDetail) => void) | undefined;
}

/**
 * The element's attributes under their HTML names (`shop-name`, not `shopName`): what the server's
 * HTML must carry, and what the element reads when it upgrades, whether React rendered it on the
 * server, hydrates it, or created it before the element was defined. On a defined element React sets
 * the names it has as properties (`id`, `state`, `locale`, `dialog`) as those, and the others as
 * attributes, which the element reads the same.
 */
function statusAttributes(props: CartlinkStatusProps): Record<string, string | undefined> {
  return {
    id: props.id,
    className: props.className,
    state: props.state,
    'expired-at': props.expiredAt ?? undefined,
    locale: props.locale,
    'shop-name': props.shopName,
    'csrf-token': props.csrfToken,
    'authorize-endpoint': props.authorizeEndpoint,
    'manage-url': props.manageUrl,
    'join-url': props.joinUrl,
    'status-src': props.statusSrc,
    'link-endpoint': props.linkEndpoint,
    dialog: props.dialog,
  };
}

/**
 * Calls `handler` with the `detail` of each `type` event on `target` until `signal` aborts.
 * @internal
 */
export function listenForDetail<T>(
  target: EventTarget,
  type: string,
  handler: ((detail: T) => void) | undefined,
  signal: AbortSignal,
): void {
  if (handler)
    target.addEventListener(type, (event) => handler((event as CustomEvent<T>).detail), { signal });
}

/**
 * The account linking status element, `<cartlink-status>`: whether the shopper's account is linked
 * to Instacart and their Instacart+ membership is active, with the matching button. Renders on the
 * server as the bare element with its attributes; in the browser it registers the elements (a dynamic
 * `import('@cartlink/elements')` in an effect), and the element renders itself. To paint the card from
 * the server's HTML instead, render `CartlinkStatusServer` of `@cartlink/react/server` in a server
 * component.
 *
 * @example
 * ```tsx
 * 'use client';
 * import { CartlinkStatus } from '@cartlink/react';
 *
 * export function InstacartCard({ csrfToken }: { csrfToken: string }) {
 *   return (
 *     <CartlinkStatus statusSrc="/cartlink/status" authorizeEndpoint="/cartlink/authorize"
 *       csrfToken={csrfToken} dialog="cartlink-result" shopName="Corner Market"
 *       onStateChange={({ state }) => console.log(state)} />
 *   );
 * }
 * ```
 */
export function CartlinkStatus(props: CartlinkStatusProps): ReactElement {
  const ref = useRef<HTMLElement>(null);
  const { onLinked, onFailed, onStateChange } = props;
  // Listeners go on in the commit, before the element is defined (the effect below), so that none of
  // its first events is missed. React 19 would add `on…` props of a custom element itself, but not to
  // an element it hydrates from the server's HTML.
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const listening = new AbortController();
    listenForDetail(element, 'cartlink:linked', onLinked, listening.signal);
    listenForDetail(element, 'cartlink:failed', onFailed, listening.signal);
    listenForDetail(element, 'cartlink:state-change', onStateChange, listening.signal);
    return () => listening.abort();
  }, [onLinked, onFailed, onStateChange]);
  useEffect(() => {
    loadElements().catch((error: unknown) =>
      console.error('@cartlink/react: the elements did not load', error),
    );
  }, []);
  return createElement('cartlink-status', { ref, ...statusAttributes(props) });
}
