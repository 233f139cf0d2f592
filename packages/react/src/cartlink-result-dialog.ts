/**
 * @module `<CartlinkResultDialog>`: the `<cartlink-result-dialog>` element of `@cartlink/elements` as
 * a React component, with typed props for its attributes and a typed handler for its close event.
 */
import type { DialogCloseDetail } from '@cartlink/elements';
import { createElement, type ReactElement, useEffect, useLayoutEffect, useRef } from 'react';
import { listenForDetail } from './cartlink-status.js';
import { loadElements } from './load-elements.js';

/** Props of {@link CartlinkResultDialog}: the element's attributes, camelCased, and its close event. */
export interface CartlinkResultDialogProps {
  /** The element's `id`: what the status element's `dialog` and {@link useLinkCallback}'s `dialogId` name. */
  id?: string | undefined;
  /** A class for the element (`class`). */
  className?: string | undefined;
  /** The shop's name in the success message. */
  shopName?: string | undefined;
  /** `en-US`, `en-CA` or `fr-CA`; unset means `<html lang>` (any French is fr-CA), then en-US. */
  locale?: string | undefined;
  /** Where "Continue shopping" goes (an http(s) URL or a path); `/` unless set. */
  continueUrl?: string | undefined;
  /** When set, "Close" on the failure dialog goes to this page instead of closing. */
  accountUrl?: string | undefined;
  /** `cartlink:close`: the dialog closed, by which button (or `dismiss`). */
  onClose?: ((detail: DialogCloseDetail) => void) | undefined;
}

/**
 * The account linking results dialog, `<cartlink-result-dialog>`: a modal that says the accounts are
 * linked, or that linking failed, why, and what to do next. It opens itself only when told: by the
 * status element named `dialog`, or by {@link useLinkCallback} (no `open` prop: the element's `open`
 * is a method, which React would overwrite). Registers the elements in the browser (in an effect),
 * never on the server.
 *
 * @example
 * ```tsx
 * <CartlinkResultDialog id="cartlink-result" shopName="Corner Market"
 *   onClose={({ action }) => { if (action === 'continue') router.push('/'); }} />
 * ```
 */
export function CartlinkResultDialog(props: CartlinkResultDialogProps): ReactElement {
  const ref = useRef<HTMLElement>(null);
  const { onClose } = props;
  // In the commit, as for the status element: an element hydrated from the server's HTML gets no
  // listener from React's `on…` props.
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const listening = new AbortController();
    listenForDetail(element, 'cartlink:close', onClose, listening.signal);
    return () => listening.abort();
  }, [onClose]);
  useEffect(() => {
    loadElements().catch((error: unknown) =>
      console.error('@cartlink/react: the elements did not load', error),
    );
  }, []);
  return createElement('cartlink-result-dialog', {
    ref,
    id: props.id,
    className: props.className,
    'shop-name': props.shopName,
    locale: props.locale,
    'continue-url': props.continueUrl,
    'account-url': props.accountUrl,
  });
}
