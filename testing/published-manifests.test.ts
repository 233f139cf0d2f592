/**
 * What every published package promises in its manifest: public, MIT, ESM, Node.js 20 or later,
 * `dist/` only in the tarball, an entry point with types for each export, and version ranges (a pin
 * would install a second copy of a shared library, zod for one, beside the shop's own).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../packages', import.meta.url));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  type?: string;
  engines?: { node?: string };
  files?: string[];
  exports: Record<string, { types?: string; import?: string; default?: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifests: [string, Manifest][] = readdirSync(PACKAGES)
  .sort()
  .map((directory) => [
    directory,
    JSON.parse(readFileSync(join(PACKAGES, directory, 'package.json'), 'utf8')) as Manifest,
  ]);

describe.each(manifests)('packages/%s/package.json', (_directory, manifest) => {
  it('is a public MIT package under @cartlink, with a semver version', () => {
    expect(manifest.name).toMatch(/^@cartlink\/[a-z-]+$/);
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe('MIT');
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it('is ESM for Node.js 20 or later', () => {
    expect(manifest.type).toBe('module');
    expect(manifest.engines?.node).toBe('>=20');
  });

  it('ships dist/ (and a bin/ for a command) and nothing of the sources', () => {
    expect(manifest.files).toContain('dist');
    expect(manifest.files?.every((entry) => /^!?(dist|bin)(\/|$)/.test(entry))).toBe(true);
  });

  it('gives every export its types first, then the module in dist/', () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      expect(Object.keys(target)[0], subpath).toBe('types');
      expect(target.types, subpath).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(target.import ?? target.default, subpath).toMatch(/^\.\/dist\/.+\.js$/);
    }
  });

  it('asks for version ranges, never pinned versions', () => {
    for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      for (const alternative of range.split('||')) expect(alternative.trim(), name).toMatch(/^\^\d/);
    }
  });
});
