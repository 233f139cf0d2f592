/**
 * The package as a shop installs it (built with `tsc -b`): every entry in `exports` is built, the
 * client entry is a `'use client'` module that loads `@cartlink/elements` only on demand, the server
 * entry imports only the elements' server render, and the declarations name only the package's
 * dependencies and peers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

interface Manifest {
  exports: Record<string, { types: string; import: string }>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  sideEffects: boolean;
}

const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as Manifest;

function read(file: string): string {
  const path = join(PACKAGE_DIR, file);
  if (!existsSync(path))
    throw new Error(`${file} is missing: run \`npx tsc -b packages/react/tsconfig.build.json\``);
  return readFileSync(path, 'utf8');
}

const STATIC_IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The bare specifiers `file` and every relative module under it import, statically and dynamically. */
function bareImports(file: string): { static: Set<string>; dynamic: Set<string> } {
  const found = { static: new Set<string>(), dynamic: new Set<string>() };
  const seen = new Set<string>();
  const visit = (current: string) => {
    if (seen.has(current)) return;
    seen.add(current);
    // Comments may show imports as examples; only code counts.
    const text = read(current)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const follow = (specifier: string, into: Set<string>) => {
      if (specifier.startsWith('.')) {
        const target = join(dirname(current), specifier);
        visit(current.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target);
      } else {
        into.add(specifier);
      }
    };
    for (const [, from, bare] of text.matchAll(STATIC_IMPORT)) follow(from ?? bare ?? '', found.static);
    for (const [, specifier] of text.matchAll(DYNAMIC_IMPORT)) follow(specifier ?? '', found.dynamic);
  };
  visit(file.replace(/^\.\//, ''));
  return found;
}

describe('the published @cartlink/react', () => {
  it('has built code and declarations for both entry points', () => {
    expect(Object.keys(manifest.exports)).toEqual(['.', './server']);
    for (const target of Object.values(manifest.exports)) {
      expect(read(target.types).length).toBeGreaterThan(0);
      expect(read(target.import).length).toBeGreaterThan(0);
    }
  });

  it('marks the client entry as a client module: its first statement is the use client directive', () => {
    expect(read('dist/index.js').startsWith("'use client';\n")).toBe(true);
    expect(read('dist/server.js')).not.toContain('use client');
  });

  it('loads the prebuilt elements in the client entry only with import(), never when the module loads', () => {
    const imports = bareImports('dist/index.js');
    expect([...imports.static].sort()).toEqual(['react']);
    // The prebuilt module: its minified templates are those the server render painted (see load-elements.ts).
    expect([...imports.dynamic]).toEqual(['@cartlink/elements/cartlink-elements.js']);
  });

  it('imports only React and the elements’ server render in the server entry', () => {
    const imports = bareImports('dist/server.js');
    expect([...imports.static].sort()).toEqual(['@cartlink/elements/ssr', 'react']);
    expect([...imports.dynamic]).toEqual([]);
  });

  it('names only its dependency and its peers in its declarations', () => {
    const named = new Set(
      Object.values(manifest.exports).flatMap((target) => {
        const imports = bareImports(target.types);
        return [...imports.static, ...imports.dynamic];
      }),
    );
    expect([...named].sort()).toEqual(['@cartlink/elements', '@cartlink/elements/ssr', 'react']);
    expect(manifest.dependencies).toEqual({ '@cartlink/elements': '^0.1.0' });
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['@lit-labs/ssr', 'react', 'react-dom']);
    expect(manifest.peerDependenciesMeta).toEqual({ '@lit-labs/ssr': { optional: true } });
    expect(manifest.sideEffects).toBe(false);
  });
});
