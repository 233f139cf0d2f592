/**
 * The package as a shop installs it: every entry in `exports` is built, the browser entry imports
 * nothing but Lit and Lit's hydration support at run time (the wire types leave nothing behind), the
 * Node entry only reads a file, the server render's entry imports only its optional peer
 * `@lit-labs/ssr`, the declarations name only packages the elements depend on, and a shop's project
 * that installs only `@cartlink/elements` type-checks with `skipLibCheck: false`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const WIRE_DIR = fileURLToPath(new URL('../../wire/', import.meta.url));

interface Manifest {
  exports: Record<string, { types: string; import?: string; default?: string }>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  sideEffects: string[];
}

const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as Manifest;
const entries = Object.entries(manifest.exports);

function read(file: string): string {
  const path = join(PACKAGE_DIR, file);
  if (!existsSync(path)) throw new Error(`${file} is missing: run \`npm run build -w @cartlink/elements\``);
  return readFileSync(path, 'utf8');
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** The bare specifiers (packages, `node:` modules) that `file` and every relative import under it name. */
function bareImports(file: string): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (current: string) => {
    if (seen.has(current)) return;
    seen.add(current);
    const source = read(current);
    expect(source, `${current} references ambient types`).not.toMatch(/\/\/\/\s*<reference/);
    // Comments may show imports as examples; only code counts.
    const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const [, specifier] of text.matchAll(SPECIFIER)) {
      if (specifier === undefined) continue;
      if (specifier.startsWith('.')) {
        const target = join(dirname(current), specifier);
        visit(current.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target);
      } else {
        found.add(specifier);
      }
    }
  };
  visit(file.replace(/^\.\//, ''));
  return found;
}

describe('the published @cartlink/elements', () => {
  it('has built code and declarations for every export', () => {
    expect(entries.map(([name]) => name)).toEqual(['.', './prebuilt', './ssr', './cartlink-elements.js']);
    for (const [, target] of entries) {
      expect(read(target.types).length).toBeGreaterThan(0);
      expect(read(target.import ?? target.default ?? '').length).toBeGreaterThan(0);
    }
  });

  it('depends on Lit, its hydration support and the wire types by version range; Lit SSR is an optional peer', () => {
    expect(manifest.dependencies).toEqual({
      '@cartlink/wire': '^0.1.0',
      '@lit-labs/ssr-client': '^1.1.8',
      lit: '^3.3.3',
    });
    expect(manifest.peerDependencies).toEqual({ '@lit-labs/ssr': '^4.1.0' });
    expect(manifest.peerDependenciesMeta).toEqual({ '@lit-labs/ssr': { optional: true } });
  });

  it('imports only Lit and its hydration support in the browser: the wire types leave nothing at run time', () => {
    expect([...bareImports('dist/index.js')].sort()).toEqual([
      '@lit-labs/ssr-client/lit-element-hydrate-support.js',
      'lit',
    ]);
    expect([...bareImports('dist/cartlink-elements.min.js')]).toEqual([]);
  });

  it('imports only the optional peer @lit-labs/ssr from the server render entry (and Lit, from the render it loads)', () => {
    // The entry loads the built render by its URL at start-up: it shares no module with the browser entry.
    expect([...bareImports('dist/ssr.js')]).toEqual(['@lit-labs/ssr']);
    expect([...bareImports('dist/cartlink-elements-ssr.js')].sort()).toEqual([
      '@lit-labs/ssr',
      '@lit-labs/ssr/lib/render-result.js',
      'lit',
    ]);
  });

  it('reads the bundle from disk in Node and does nothing else: no build, no child process', () => {
    expect([...bareImports('dist/prebuilt-bundle-node.js')].sort()).toEqual(['node:fs/promises', 'node:url']);
  });

  it('names only its own dependencies in its declarations', () => {
    const named = new Set(entries.flatMap(([, target]) => [...bareImports(target.types)]));
    expect([...named].sort()).toEqual([
      '@cartlink/wire',
      '@lit-labs/ssr-client/lit-element-hydrate-support.js',
      'lit',
    ]);
  });

  it('marks the modules that register the elements as side effects', () => {
    expect(manifest.sideEffects).toEqual(['./dist/index.js', './dist/cartlink-elements.min.js']);
    expect(read('dist/index.js')).toContain('defineCartlinkElements();');
  });
});

/**
 * What the type check may take: a few seconds on an idle machine, much more on a loaded two-core one;
 * only a tsc that hangs may fail the test.
 */
const TSC_LIMIT_MS = 240_000;

describe("a shop's TypeScript project with only @cartlink/elements installed", () => {
  let shop: string | undefined;

  afterAll(async () => {
    if (shop) await rm(shop, { recursive: true, force: true });
  });

  it('type-checks with skipLibCheck: false', { timeout: TSC_LIMIT_MS }, async () => {
    shop = await mkdtemp(join(tmpdir(), 'cartlink-shop-'));
    const modules = join(shop, 'node_modules');
    // What npm would install: the two packages as built, Lit (with its own dependencies) and Lit's
    // hydration support; not the optional peer @lit-labs/ssr, whose types the declarations never name.
    for (const [name, from] of [
      ['@cartlink/elements', PACKAGE_DIR],
      ['@cartlink/wire', WIRE_DIR],
    ] as const) {
      await mkdir(join(modules, name), { recursive: true });
      await cp(join(from, 'package.json'), join(modules, name, 'package.json'));
      await cp(join(from, 'dist'), join(modules, name, 'dist'), { recursive: true });
    }
    await symlink(dirname(require.resolve('lit')), join(modules, 'lit'), 'dir');
    await mkdir(join(modules, '@lit-labs'), { recursive: true });
    await symlink(
      // Its main module is `node/index.js` under Node: the package is two levels up.
      dirname(dirname(require.resolve('@lit-labs/ssr-client'))),
      join(modules, '@lit-labs', 'ssr-client'),
      'dir',
    );
    await writeFile(join(shop, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(shop, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          // TypeScript's own lib files are not ours to check; Lit's declarations and ours are.
          skipDefaultLibCheck: true,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
        },
        files: ['shop.ts'],
      }),
    );
    await writeFile(
      join(shop, 'shop.ts'),
      [
        "import { type CartlinkStatus, parseStatusView, type StatusView } from '@cartlink/elements';",
        "import * as bundle from '@cartlink/elements/cartlink-elements.js';",
        "import { ELEMENTS_BUNDLE_FILE, loadPrebuiltElementsBundle } from '@cartlink/elements/prebuilt';",
        "import { type CartlinkStatusAttributes, renderCartlinkStatus, ServerRenderError } from '@cartlink/elements/ssr';",
        '',
        "const status: CartlinkStatus = document.createElement('cartlink-status');",
        'const view: StatusView | undefined = parseStatusView(JSON.parse("{}"));',
        'status.applyStatus(view);',
        'bundle.defineCartlinkElements();',
        'const { code, file } = await loadPrebuiltElementsBundle();',
        'export const served: [string, string, string] = [code, file, ELEMENTS_BUNDLE_FILE];',
        "const attributes: CartlinkStatusAttributes = { state: 'unlinked', locale: 'fr-CA' };",
        "export const card: string = renderCartlinkStatus(attributes, { styleNonce: 'n' });",
        "export const refused: boolean = new ServerRenderError('ssr_peer_missing', 'x') instanceof Error;",
        '',
      ].join('\n'),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    // The test's limit is the one that fails; the child's, above it, only reaps a tsc left behind.
    const result = await run(process.execPath, [tsc, '-p', shop], { timeout: TSC_LIMIT_MS + 30_000 }).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string }) => `tsc failed:\n${error.stdout ?? String(error)}`,
    );
    expect(result).toBe('');
  });
});
