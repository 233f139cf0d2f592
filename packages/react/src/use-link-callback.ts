/**
 * @module `useLinkCallback` and `<CartlinkLinkCallback>`: the profile page's "Check for authorization"
 * step in React, done by the same code `<cartlink-status>` runs for a callback it finds itself
 * (`takeCallbackParams`, then the element's `completeLink`, which posts with `postLinkCallback`), so
 * that a callback is read, cleaned from the address bar, posted and shown by one owner, once.
 *
 * @see https://docs.instacart.com/connect (account linking how-to), "Check for authorization"
 */
import type { CallbackParams, CartlinkResultDialog, CartlinkStatus, LinkAttempt } from '@cartlink/elements';
import { useEffect, useRef, useState } from 'react';
import { type ElementsModule, loadElements } from './load-elements.js';

/** Options of {@link useLinkCallback}. */
export interface LinkCallbackOptions {
  /** The server's link endpoint (`POST {basePath}/link`, `/cartlink/link` by default), same origin. */
  linkEndpoint: string;
  /** Id of the `<cartlink-status>` that shows the status after the link (loading meanwhile). */
  statusId?: string | undefined;
  /** Id of the `<cartlink-result-dialog>` that shows the link's result. */
  dialogId?: string | undefined;
}

/**
 * Where the callback is: `idle` (the address bar held none, or it is not read yet), `completing`
 * (taken from the address bar and posted, no answer yet), `done` (answered; see `result`).
 */
export type LinkCallbackPhase = 'idle' | 'completing' | 'done';

/** What {@link useLinkCallback} returns. */
export interface LinkCallbackState {
  /** Where the callback is. */
  phase: LinkCallbackPhase;
  /** When `done`: the outcome, and the status the server answered with (when it gave one). */
  result?: LinkAttempt | undefined;
}

/** One callback's completion: started once per mounted component, whatever StrictMode does. */
interface CallbackRun {
  /** Whether the address bar held a callback not taken before (it is then being posted). */
  taken: Promise<boolean>;
  /** The attempt once shown, or `undefined` when there was nothing to post. */
  done: Promise<LinkAttempt | undefined>;
}

function findElement<T extends HTMLElement>(id: string | undefined, tag: string): T | undefined {
  const element = id ? document.getElementById(id) : null;
  return element?.localName === tag ? (element as T) : undefined;
}

/**
 * Posts a taken callback and shows the result. With a status element, the element does both, exactly
 * as for a callback it takes itself (`completeLink`: loading, the post, the status, the dialog, the
 * `cartlink:linked` or `cartlink:failed` event). Without one, the post alone, and the dialog.
 */
async function completeCallback(
  elements: ElementsModule,
  callback: CallbackParams,
  options: LinkCallbackOptions,
): Promise<LinkAttempt> {
  const { linkEndpoint, statusId, dialogId } = options;
  const status = findElement<CartlinkStatus>(statusId, 'cartlink-status');
  if (status) {
    // The element opens the dialog it names: make it the one this hook was given.
    if (dialogId) status.dialog = dialogId;
    return status.completeLink(callback, linkEndpoint);
  }
  const attempt = await elements.postLinkCallback(linkEndpoint, callback);
  const { outcome } = attempt;
  findElement<CartlinkResultDialog>(dialogId, 'cartlink-result-dialog')?.open({
    result: outcome === 'linked' ? 'success' : 'failure',
    outcome,
  });
  return attempt;
}

function startCallbackRun(options: LinkCallbackOptions): CallbackRun {
  const read = loadElements().then((elements) => ({
    elements,
    // Read at once, before anything else is awaited: the address bar is cleaned before any request
    // leaves, and a second reader (another hook, an element) finds nothing to take.
    callback: elements.takeCallbackParams(),
  }));
  return {
    taken: read.then(({ callback }) => callback !== undefined),
    done: read.then(({ elements, callback }) =>
      callback ? completeCallback(elements, callback, options) : undefined,
    ),
  };
}

/**
 * Completes an authorization callback on the page Instacart redirected back to, as the elements do:
 * reads `code`/`state`/`error` (and `iss`, `error_description`) from the address bar once, removes
 * them from it, posts them to `linkEndpoint` exactly once, then shows the status in the
 * `<cartlink-status>` with id `statusId` (with `applyStatus`; `unavailable` when the server gave no
 * status and the element has no `statusSrc` to ask), opens the `<cartlink-result-dialog>` with id
 * `dialogId`, and dispatches `cartlink:linked` or `cartlink:failed` from the status element. All of it
 * is the element's own code (`takeCallbackParams`, then the element's `completeLink`), so a callback
 * shows the same whoever completes it.
 *
 * Runs in the browser only, after the first render: it loads `@cartlink/elements` (which registers the
 * elements) and then takes the callback. A callback is posted once even under React's StrictMode
 * (whose second effect run joins the first one's post), on a second mount with the same URL, or with
 * a `<cartlink-status link-endpoint>` on the same page (the first reader takes it; render the status
 * element without `linkEndpoint` on a page that uses this hook, and in the `loading` state while the
 * address bar holds a callback). The options are read once, when the component mounts.
 *
 * @param options - The link endpoint and the ids of the elements to update.
 * @returns `{ phase: 'idle' }` until a callback is taken (and for good when there is none),
 *   `completing` while it is posted, then `done` with the attempt's `result`.
 * @example
 * ```tsx
 * 'use client';
 * function LinkCallback() {
 *   const { phase } = useLinkCallback({
 *     linkEndpoint: '/cartlink/link', statusId: 'cartlink-status', dialogId: 'cartlink-result',
 *   });
 *   return phase === 'completing' ? <p role="status">Linking your Instacart account…</p> : null;
 * }
 * ```
 */
export function useLinkCallback(options: LinkCallbackOptions): LinkCallbackState {
  const { linkEndpoint, statusId, dialogId } = options;
  const [state, setState] = useState<LinkCallbackState>({ phase: 'idle' });
  // StrictMode runs this effect twice on mount (with a cleanup between) and keeps the ref: the second
  // run finds the first run's completion and only listens to it. Starting again would find nothing to
  // take (the first run takes the callback) and never hear of the first run's result.
  const run = useRef<CallbackRun | undefined>(undefined);
  useEffect(() => {
    run.current ??= startCallbackRun({ linkEndpoint, statusId, dialogId });
    const { taken, done } = run.current;
    let mounted = true;
    taken.then(
      (wasTaken) => {
        if (mounted && wasTaken) setState({ phase: 'completing' });
      },
      // The same failure rejects `done`, which reports it.
      () => undefined,
    );
    done.then(
      (result) => {
        if (mounted && result) setState({ phase: 'done', result });
      },
      (error: unknown) =>
        console.error('@cartlink/react: the authorization callback was not completed', error),
    );
    return () => {
      mounted = false;
    };
  }, [linkEndpoint, statusId, dialogId]);
  return state;
}

/** Props of {@link CartlinkLinkCallback}. */
export interface CartlinkLinkCallbackProps {
  /** The server's link endpoint (`/cartlink/link` by default), same origin. */
  linkEndpoint: string;
  /** Id of the `<cartlink-status>` that shows the status after the link. */
  statusId: string;
  /** Id of the `<cartlink-result-dialog>` that shows the link's result. */
  dialogId: string;
  /** Called once with the attempt when the server has answered and the page shows it. */
  onComplete?: ((result: LinkAttempt) => void) | undefined;
}

/**
 * Runs {@link useLinkCallback} and renders nothing: the callback step for a page that is a server
 * component (a client component it can render, with serializable props).
 *
 * @example
 * ```tsx
 * <CartlinkLinkCallback linkEndpoint="/cartlink/link" statusId="cartlink-status" dialogId="cartlink-result" />
 * ```
 */
export function CartlinkLinkCallback(props: CartlinkLinkCallbackProps): null {
  const { linkEndpoint, statusId, dialogId, onComplete } = props;
  const { result } = useLinkCallback({ linkEndpoint, statusId, dialogId });
  const reported = useRef<LinkAttempt | undefined>(undefined);
  useEffect(() => {
    if (!result || reported.current === result) return;
    reported.current = result;
    onComplete?.(result);
  }, [result, onComplete]);
  return null;
}
