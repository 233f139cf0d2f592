/**
 * The elements' browser bundle and server render: `scripts/build.ts` (the second half of the package's
 * `npm run build`) writes the bundle with its declarations and the server render beside it, and checks
 * the budget; the bundle the package ships is one self-contained, minified ES module within that
 * budget, with Lit's hydration support, and both files are built from the current sources.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_GZIP_BYTES, SERVER_RENDER_FILE_NAME } from './build-bundle-node.js';
import { loadPrebuiltElementsBundle } from './prebuilt-bundle-node.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * What the Vite build may take. Seconds on an idle machine, much more on a loaded two-core one; only a
 * build that hangs may fail the suite.
 */
const BUILD_LIMIT_MS = 240_000;

let outDir: string;
let printed: string;
let built: string;
let declarations: string;
let shipped: string;
let builtServerRender: string;

beforeAll(async () => {
  // Throws at once, naming the build command, when the package has not been built.
  shipped = (await loadPrebuiltElementsBundle()).code;
  outDir = await mkdtemp(join(tmpdir(), 'cartlink-elements-build-'));
  const out = join(outDir, 'cartlink-elements.min.js');
  // As `npm run build` runs it: without Vitest's NODE_ENV=test.
  const { NODE_ENV: _, ...env } = process.env;
  // The hook's limit is the one that fails; the child's, above it, only reaps a build left behind.
  const { stdout } = await run(
    process.execPath,
    [require.resolve('tsx/cli'), 'scripts/build.ts', '--out', out],
    { cwd: PACKAGE_DIR, env, timeout: BUILD_LIMIT_MS + 30_000 },
  );
  printed = stdout;
  built = await readFile(out, 'utf8');
  declarations = await readFile(join(outDir, 'cartlink-elements.min.d.ts'), 'utf8');
  builtServerRender = await readFile(join(outDir, SERVER_RENDER_FILE_NAME), 'utf8');
}, BUILD_LIMIT_MS);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('scripts/build.ts', () => {
  it('writes the bundle, its declarations and the server render, nothing else, and prints the size against the budget', async () => {
    expect((await readdir(outDir)).sort()).toEqual([
      'cartlink-elements-ssr.js',
      'cartlink-elements.min.d.ts',
      'cartlink-elements.min.js',
    ]);
    expect(printed).toMatch(
      new RegExp(
        `cartlink-elements\\.min\\.js: ${built.length} bytes, \\d+ bytes gzipped \\(level 9\\), within the 14336-byte budget`,
      ),
    );
    // The bundle exports what the package's entry exports, so it has the entry's types.
    expect(declarations).toContain("export * from './index.js';");
  });
});

describe('the shipped bundle (dist/cartlink-elements.min.js)', () => {
  it('is what the current sources build to', () => {
    expect(shipped, 'dist/cartlink-elements.min.js is stale: run `npm run build -w @cartlink/elements`').toBe(
      built,
    );
  });

  it('stays within the 14 KB gzip budget, Lit and its hydration support included', () => {
    expect(BUNDLE_BUDGET_GZIP_BYTES).toBe(14_336);
    const gzipped = gzipSync(shipped, { level: 9 });
    expect(gunzipSync(gzipped).toString('utf8')).toBe(shipped);
    expect(gzipped.byteLength).toBeLessThanOrEqual(BUNDLE_BUDGET_GZIP_BYTES);
  });

  it('is one self-contained ES module that registers both elements', () => {
    // Nothing left to fetch: no import of Lit or of another chunk.
    expect(shipped).not.toMatch(/\bimport\s*[{*"'`(]|\bfrom\s*["'`]/);
    expect(shipped).toMatch(/\bexport\s*\{/);
    expect(shipped).toContain('cartlink-status');
    expect(shipped).toContain('cartlink-result-dialog');
    // Lit is inside: its constructed-stylesheet support check is part of the code.
    expect(shipped).toContain('adoptedStyleSheets');
    // And its hydration support, installed before LitElement is defined: server-rendered shadow roots
    // are hydrated, not rendered over.
    expect(shipped).toContain('litElementHydrateSupport');
    expect(shipped.indexOf('globalThis.litElementHydrateSupport=')).toBeGreaterThan(-1);
    expect(shipped.indexOf('globalThis.litElementHydrateSupport=')).toBeLessThan(
      shipped.indexOf('litElementHydrateSupport?.'),
    );
    // The wire types are imported with `import type`: nothing of them exists at run time.
    expect(shipped).not.toContain('cartlink/wire');
  });

  it('is minified, templates and annotations included, and built for production', () => {
    expect(shipped.split('\n').length).toBeLessThan(10);
    expect(shipped).not.toMatch(/\n {4}/);
    expect(shipped).not.toContain('@__PURE__');
    // Lit's development build warns on load; the production build has no such text.
    expect(shipped).not.toContain('Lit is in dev mode');
  });
});

describe('the shipped server render (dist/cartlink-elements-ssr.js)', () => {
  it('is what the current sources build to', async () => {
    const shippedServerRender = await readFile(join(PACKAGE_DIR, 'dist', SERVER_RENDER_FILE_NAME), 'utf8');
    expect(
      shippedServerRender,
      'dist/cartlink-elements-ssr.js is stale: run `npm run build -w @cartlink/elements`',
    ).toBe(builtServerRender);
  });

  it('renders the templates the bundle renders: minified the same way, Lit and Lit SSR left as imports', () => {
    // Lit hydrates only what the server rendered from the very same template strings.
    const template = '<section part="container" class="card" aria-labelledby="title"><p class="eyebrow">';
    expect(builtServerRender).toContain(template);
    expect(shipped).toContain(template);
    const specifiers = [...builtServerRender.matchAll(/^import .* from "([^"]+)";$/gm)].map(
      (match) => match[1],
    );
    expect(specifiers.sort()).toEqual(['@lit-labs/ssr', '@lit-labs/ssr/lib/render-result.js', 'lit']);
  });
});
