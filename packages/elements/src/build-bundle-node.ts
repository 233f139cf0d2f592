/**
 * @module Builds the browser bundle of both elements (Lit included) in memory with Vite's JS API. Node
 * only: the storefront calls {@link buildElementsBundle} at start-up and serves the string, and
 * `scripts/build.ts` writes it to `dist/`.
 */
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
 * Takes about a second; call it once at start-up, not per request.
 *
 * @example
 * ```ts
 * const { code } = await buildElementsBundle();
 * app.get('/assets/cartlink-elements.js', (c) => c.body(code, 200, { 'Content-Type': 'text/javascript' }));
 * ```
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
        // served as is, so it is minified fully.
        output: { minify: true },
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
