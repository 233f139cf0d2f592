/**
 * @module Build tooling, not part of the published package: bundles both elements (Lit included) into
 * one minified ES module with Vite's JS API. `npm run build` in `packages/elements` runs it through
 * `scripts/build.ts`, which writes `dist/cartlink-elements.min.js`; servers read that file with
 * `@cartlink/elements/prebuilt`, so nothing needs Vite at run time.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, defaultClientConditions, type Rolldown } from 'vite';
import { minifyTemplatesPlugin } from './minify-templates-node.js';

/** Gzipped size the bundle must stay within (both elements and Lit). */
export const BUNDLE_BUDGET_GZIP_BYTES = 12 * 1024;

/** The built bundle: one self-contained ES module. */
export interface ElementsBundle {
  /** The module's source; serve it as `text/javascript`. */
  code: string;
  /** Its size after gzip level 9, for the budget. */
  gzipBytes: number;
}

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const sourceDir = fileURLToPath(new URL('.', import.meta.url));
const entry = fileURLToPath(new URL('./index.ts', import.meta.url));

function isOutput(value: unknown): value is Rolldown.RolldownOutput {
  return typeof value === 'object' && value !== null && 'output' in value;
}

/**
 * Bundles `src/index.ts` and everything it imports (Lit too) into one minified ES module, in memory.
 * Takes a few seconds and leaves Vite's memory in the process: build tooling, never a server's job.
 */
export async function buildElementsBundle(): Promise<ElementsBundle> {
  const result = await build({
    // Self-contained: no vite.config lookup, no public dir, nothing printed by the host's build.
    configFile: false,
    root: packageRoot,
    publicDir: false,
    logLevel: 'silent',
    mode: 'production',
    plugins: [minifyTemplatesPlugin(sourceDir)],
    resolve: {
      // Vite picks Lit's development build whenever NODE_ENV is not "production" (Vitest sets
      // "test"); the bundle must be the production build wherever it is built.
      conditions: defaultClientConditions.map((c) => (c === 'development|production' ? 'production' : c)),
    },
    build: {
      write: false,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      lib: { entry, formats: ['es'], fileName: 'cartlink-elements' },
      rolldownOptions: {
        // Library mode keeps whitespace in ES output so that consumers can tree-shake; this bundle is
        // served as is, so it is minified fully, and its `@__PURE__` annotations (only of use to a
        // bundler that would tree-shake it further) go too.
        output: { minify: true, comments: false },
      },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  const chunks = outputs.filter(isOutput).flatMap((output) => output.output);
  const entryChunk = chunks.find((chunk) => chunk.type === 'chunk' && chunk.isEntry);
  if (entryChunk?.type !== 'chunk' || chunks.length !== 1) {
    throw new Error(`Expected one entry chunk from the elements build, got ${chunks.length} outputs`);
  }
  const { code } = entryChunk;
  return { code, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

/** Where {@link writeElementsBundle} wrote the bundle, and its sizes. */
export interface WrittenElementsBundle extends ElementsBundle {
  /** The bundle's path. */
  file: string;
  /** The path of the declarations written beside it. */
  declarationFile: string;
}

// The bundle exports what the package's entry exports (it is built from it), so its declarations are
// the entry's: bundler users who import the file by its export name get the same types.
const BUNDLE_DECLARATIONS = `/** The prebuilt bundle of both elements, Lit inside: the exports of \`@cartlink/elements\`. Importing it registers the elements. */
export * from './index.js';
`;

/**
 * Builds the bundle and writes it to `file` (a `.js` path), with `file`'s `.d.ts` beside it. Each
 * is written under a temporary name and renamed into place, so that a server reading the file while
 * the package is rebuilt never gets half of it.
 */
export async function writeElementsBundle(file: string): Promise<WrittenElementsBundle> {
  if (!file.endsWith('.js')) throw new Error(`The bundle's file name must end in .js: ${file}`);
  const bundle = await buildElementsBundle();
  const declarationFile = `${file.slice(0, -'.js'.length)}.d.ts`;
  await writeAtomically(file, bundle.code);
  await writeAtomically(declarationFile, BUNDLE_DECLARATIONS);
  return { ...bundle, file, declarationFile };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const partial = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  try {
    await writeFile(partial, text);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
}
