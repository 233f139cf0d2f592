/**
 * @module Build tooling, not part of the published package: bundles both elements (Lit included) into
 * one minified ES module with Vite's JS API, and builds the server render of `<cartlink-status>`.
 * `npm run build` in `packages/elements` runs it through `scripts/build.ts`, which writes
 * `dist/cartlink-elements.min.js` (servers read it with `@cartlink/elements/prebuilt`) and
 * `dist/cartlink-elements-ssr.js` (loaded by `@cartlink/elements/ssr`), so nothing needs Vite at run
 * time. Both go through the same template minification: Lit hydrates a server-rendered shadow root
 * only when both sides rendered the same template strings.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, defaultClientConditions, type Rolldown } from 'vite';
import { minifyTemplatesPlugin } from './minify-templates-node.js';

/**
 * Gzipped size the bundle must stay within (both elements, Lit, and Lit's hydration support for
 * server-rendered elements).
 */
export const BUNDLE_BUDGET_GZIP_BYTES = 14 * 1024;

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
const serverEntry = fileURLToPath(new URL('./server-render.ts', import.meta.url));

/** The name under which `@cartlink/elements/ssr` finds the server render, beside the bundle. */
export const SERVER_RENDER_FILE_NAME = 'cartlink-elements-ssr.js';

function isOutput(value: unknown): value is Rolldown.RolldownOutput {
  return typeof value === 'object' && value !== null && 'output' in value;
}

/** The code of a build's one output, its entry chunk; anything else (a split chunk, an asset) is an error. */
function onlyEntryChunkCode(result: Awaited<ReturnType<typeof build>>, what: string): string {
  const outputs = Array.isArray(result) ? result : [result];
  const chunks = outputs.filter(isOutput).flatMap((output) => output.output);
  const entryChunk = chunks.find((chunk) => chunk.type === 'chunk' && chunk.isEntry);
  if (entryChunk?.type !== 'chunk' || chunks.length !== 1) {
    throw new Error(`Expected one entry chunk from ${what}, got ${chunks.length} outputs`);
  }
  return entryChunk.code;
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
  const code = onlyEntryChunkCode(result, 'the elements build');
  return { code, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

/**
 * Builds `src/server-render.ts` and the element modules it imports into one ES module for Node, in
 * memory, through the bundle's template minification. Lit and Lit's SSR stay imports: the server's
 * own copies render it. Not minified otherwise: it runs on servers, where size does not matter.
 */
export async function buildServerRender(): Promise<string> {
  const result = await build({
    configFile: false,
    root: packageRoot,
    publicDir: false,
    logLevel: 'silent',
    mode: 'production',
    plugins: [minifyTemplatesPlugin(sourceDir)],
    build: {
      write: false,
      ssr: serverEntry,
      target: 'node20',
      minify: false,
      sourcemap: false,
      rolldownOptions: {
        external: [/^lit(\/|$)/, /^@lit-labs\/ssr(\/|$)/],
        output: { format: 'es', comments: false },
      },
    },
  });
  return onlyEntryChunkCode(result, 'the server render build');
}

/**
 * Builds the server render and writes it to `file` (atomically, as the bundle).
 * @returns `file`.
 */
export async function writeServerRender(file: string): Promise<string> {
  await writeAtomically(file, await buildServerRender());
  return file;
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
