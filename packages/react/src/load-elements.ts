/**
 * @module Loads `@cartlink/elements` in the browser, once: importing it registers both elements. Never
 * imported at module evaluation, so that the package can be imported (and its components rendered) on a
 * server, where there is no `customElements` registry.
 */
import type * as Elements from '@cartlink/elements';

/** The `@cartlink/elements` module: the elements' classes and the callback functions. */
export type ElementsModule = typeof Elements;

let loading: Promise<ElementsModule> | undefined;

/**
 * Imports `@cartlink/elements` (which registers `<cartlink-status>` and `<cartlink-result-dialog>`)
 * on the first call and returns the same promise afterwards; a failed import (a chunk that did not
 * load) is tried again by the next call. Call it from an effect, never during render.
 */
export function loadElements(): Promise<ElementsModule> {
  loading ??= import('@cartlink/elements').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
