/**
 * The bench's servers run what a retailer would deploy: their shells compiled to plain JavaScript,
 * every package left as an import that resolves to its built `dist`, never bundled from the
 * repository's sources (which the tree's tsconfig maps `@cartlink/*` to).
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileServers, SERVER_ENTRIES, type ServerEntry } from './compile-servers';

const dir = mkdtempSync(join(tmpdir(), 'cartlink-bench-compile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compileServers', () => {
  it('bundles the shells with their own modules and leaves every package an import', async () => {
    const compiled = await compileServers(dir);
    const storefront = readFileSync(compiled.path('storefront'), 'utf8');
    expect(storefront).toMatch(/from "@cartlink\/storefront"/);
    expect(storefront).toMatch(/from "@hono\/node-server"/);
    // The control channel is the shell's own module: bundled in, not imported.
    expect(storefront).toContain('function serveControl(');
    expect(storefront).not.toMatch(/from "\.{1,2}\//);
    expect(readFileSync(compiled.path('emulator'), 'utf8')).toMatch(/from "@cartlink\/emulator"/);
    for (const entry of Object.keys(SERVER_ENTRIES) as ServerEntry[]) {
      expect(readFileSync(compiled.path(entry), 'utf8'), entry).not.toMatch(
        /(packages|apps)\/[a-z-]+\/src\//,
      );
    }
  });

  it('resolves the packages from the repository’s node_modules, to their built dist', () => {
    const storefront = realpathSync(join(dir, 'node_modules', '@cartlink', 'storefront'));
    expect(storefront.endsWith(join('apps', 'storefront'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(storefront, 'package.json'), 'utf8')) as {
      exports: { '.': { import: string } };
    };
    expect(manifest.exports['.'].import).toBe('./dist/index.js');
  });
});
