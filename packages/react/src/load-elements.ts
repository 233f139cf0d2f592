/**
 * @module Loads the elements in the browser, once: importing them registers both elements. Never
 * imported at module evaluation, so that the package can be imported (and its components rendered) on a
 * server, where there is no `customElements` registry.
 *
 * It loads the prebuilt module, `@cartlink/elements/cartlink-elements.js`, not the package's main
 * entry: `CartlinkStatusServer` paints the card with `@cartlink/elements/ssr`, which renders the
 * bundle's minified templates, and Lit hydrates a server-rendered shadow root only when the browser
 * renders the very same template strings ("Hydration value mismatch" otherwise). The prebuilt module
 * exports the same names as the main entry.
 */
import type * as Elements from '@cartlink/elements';

/** The `@cartlink/elements` module: the elements' classes and the callback functions. */
export type ElementsModule = typeof Elements;

let loading: Promise<ElementsModule> | undefined;

/**
 * Imports the prebuilt elements (which registers `<cartlink-status>` and `<cartlink-result-dialog>`)
 * on the first call and returns the same promise afterwards; a failed import (a chunk that did not
 * load) is tried again by the next call. Call it from an effect, never during render.
 */
export function loadElements(): Promise<ElementsModule> {
  loading ??= import('@cartlink/elements/cartlink-elements.js').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
