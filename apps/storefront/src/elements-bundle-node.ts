/**
 * @module The linking elements' browser bundle, built once per version of their sources in a child
 * process and read from disk (Node only). Building in this process would keep Vite's memory for the
 * server's whole life.
 */
import { loadPrebuiltElementsBundle } from '@cartlink/elements/prebuilt';
import type { ElementsBundleSource } from './assets.js';

/** The bundle of `<cartlink-status>` and `<cartlink-result-dialog>`, as one ES module string. */
export async function loadElementsBundle(): Promise<ElementsBundleSource> {
  const { code } = await loadPrebuiltElementsBundle();
  return { code };
}
