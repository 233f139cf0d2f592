/**
 * @module Builds the linking elements' browser bundle once, at start-up (Node only: it runs Vite).
 */
import { buildElementsBundle } from '@cartlink/elements/build';
import type { ElementsBundleSource } from './assets';

/** The bundle of `<cartlink-status>` and `<cartlink-result-dialog>`, as one ES module string. */
export async function loadElementsBundle(): Promise<ElementsBundleSource> {
  const { code } = await buildElementsBundle();
  return { code };
}
