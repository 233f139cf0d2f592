/**
 * @module The linking elements' browser bundle, as `@cartlink/elements` ships it (built with the
 * package, read from disk here; Node only).
 */
import { loadPrebuiltElementsBundle } from '@cartlink/elements/prebuilt';
import type { ElementsBundleSource } from './assets.js';

/** The bundle of `<cartlink-status>` and `<cartlink-result-dialog>`, as one ES module string. */
export async function loadElementsBundle(): Promise<ElementsBundleSource> {
  const { code } = await loadPrebuiltElementsBundle();
  return { code };
}
