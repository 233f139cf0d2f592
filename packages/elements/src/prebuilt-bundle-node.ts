/**
 * @module `@cartlink/elements/prebuilt`: the elements' browser bundle as the package ships it, for a
 * Node server that serves it from its own origin. The bundle (`dist/cartlink-elements.min.js`: both
 * elements and Lit in one minified ES module) is built when the package is built; this module only
 * reads it: no build, no child process, no write.
 *
 * @example
 * ```ts
 * import { loadPrebuiltElementsBundle } from '@cartlink/elements/prebuilt';
 *
 * const { code } = await loadPrebuiltElementsBundle(); // once, at start-up
 * app.get('/assets/cartlink-elements.js', (c) =>
 *   c.body(code, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
 * );
 * ```
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The absolute path of the shipped bundle, for servers that serve it as a static file. Found from this
 * module's own URL: `src/` and `dist/` both sit one level under the package, so it is the same file
 * whether the module runs from the sources (in the repository) or from `dist/` (once installed).
 */
export const ELEMENTS_BUNDLE_FILE: string = fileURLToPath(
  new URL('../dist/cartlink-elements.min.js', import.meta.url),
);

/** The command that builds the bundle in a checkout of the repository. */
const BUILD_COMMAND = 'npm run build -w @cartlink/elements';

/**
 * The shipped bundle is not there: a checkout of the repository whose packages have not been built
 * (an installed package always has it). The message says which command builds it.
 */
export class ElementsBundleMissingError extends Error {
  /** Stable code, for telling this error apart without `instanceof`. */
  readonly code = 'elements_bundle_missing';
  /** The path that was read. */
  readonly file: string;

  /**
   * @param file - The path that was read.
   * @param options - `cause`: the error of the read.
   */
  constructor(file: string, options?: { cause?: unknown }) {
    super(
      `The elements bundle ${file} is missing. The published @cartlink/elements ships it: reinstall the package. In the Cartlink repository, build it: \`${BUILD_COMMAND}\` (or \`npm run build\` at the root).`,
      options,
    );
    this.name = 'ElementsBundleMissingError';
    this.file = file;
  }
}

/** The bundle as {@link loadPrebuiltElementsBundle} read it. */
export interface PrebuiltElementsBundle {
  /** The ES module's source; serve it as `text/javascript`. */
  code: string;
  /** The file it was read from: {@link ELEMENTS_BUNDLE_FILE}. */
  file: string;
}

/**
 * Reads the shipped bundle. Call it once at start-up and serve the string; it never builds anything.
 * @throws {@link ElementsBundleMissingError} when the file is not there (an unbuilt checkout).
 * @example
 * const { code, file } = await loadPrebuiltElementsBundle();
 */
export async function loadPrebuiltElementsBundle(): Promise<PrebuiltElementsBundle> {
  try {
    return { code: await readFile(ELEMENTS_BUNDLE_FILE, 'utf8'), file: ELEMENTS_BUNDLE_FILE };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ElementsBundleMissingError(ELEMENTS_BUNDLE_FILE, { cause: error });
    }
    throw error;
  }
}
