/**
 * Honest dependencies: each entry point loads only what its own setup needs. A PostgreSQL + Hono shop
 * never loads better-sqlite3 or Express, and the core loads no database driver, no framework and no
 * Node.js built-in. Checked on the static import graph of each entry as the build emits it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type ImportGraph, walkImportGraph } from './test-support/import-graph.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = join(PACKAGE, '..');

const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; import: string }>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

/** The one entry point allowed to load each optional peer. */
const PEER_ENTRY: Record<string, string> = {
  'better-sqlite3': './sqlite',
  pg: './postgres',
  hono: './hono',
  express: './express',
  vitest: './storage/conformance',
  '@opentelemetry/api': './opentelemetry',
};

/** Entry points that run beyond Node.js (web standards only): no `node:` module anywhere in their graph. */
const WEB_STANDARD = ['.', './config', './hono', './opentelemetry'];

function graphOf(subpath: string): ImportGraph {
  const built = manifest.exports[subpath]?.import;
  if (built === undefined) throw new Error(`no export ${subpath}`);
  return walkImportGraph(
    join(PACKAGE, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
    PACKAGES,
  );
}

const graphs = Object.fromEntries(
  Object.keys(manifest.exports).map((subpath) => [subpath, graphOf(subpath)]),
);

describe('the entry points of @cartlink/linking', () => {
  it('are the documented ones', () => {
    expect(Object.keys(manifest.exports).sort()).toEqual(
      [
        '.',
        './config',
        './express',
        './hono',
        './node',
        './opentelemetry',
        './postgres',
        './sqlite',
        './storage/conformance',
      ].sort(),
    );
  });

  it.each(['.', './config', './postgres', './hono', './node'])(
    '%s loads neither better-sqlite3 nor express',
    (subpath) => {
      const packages = graphs[subpath]?.packages;
      expect(packages).not.toContain('better-sqlite3');
      expect(packages).not.toContain('express');
    },
  );

  it.each(['.', './config', './sqlite', './hono', './node'])('%s does not load pg', (subpath) => {
    expect(graphs[subpath]?.packages).not.toContain('pg');
  });

  it.each(Object.keys(manifest.exports))(
    '%s loads an optional peer only when it is that peer’s entry',
    (subpath) => {
      for (const name of graphs[subpath]?.packages ?? []) {
        if (name in PEER_ENTRY)
          expect({ peer: name, entry: subpath }).toEqual({ peer: name, entry: PEER_ENTRY[name] });
      }
    },
  );

  it('loads each engine, framework and test runner from its own entry', () => {
    expect(graphs['./sqlite']?.packages).toContain('better-sqlite3');
    expect(graphs['./postgres']?.packages).toContain('pg');
    expect(graphs['./hono']?.packages).toContain('hono');
    expect(graphs['./storage/conformance']?.packages).toContain('vitest');
    expect(graphs['./opentelemetry']?.packages).toContain('@opentelemetry/api');
  });

  it.each(WEB_STANDARD)('%s imports no Node.js built-in', (subpath) => {
    expect([...(graphs[subpath]?.packages ?? [])].filter((name) => name.startsWith('node:'))).toEqual([]);
  });

  it('opens the engine of a database URL lazily, from ./node', () => {
    const node = graphs['./node'];
    expect(node?.dynamicImports.map(({ specifier }) => specifier).sort()).toEqual([
      './postgres.js',
      './sqlite.js',
    ]);
    expect(node?.dynamicImports.every(({ file }) => file === join(PACKAGE, 'src/node.ts'))).toBe(true);
  });

  it('declares every package it loads, every optional peer as optional, and @cartlink/connect as a required peer', () => {
    const declared = new Set([
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.peerDependencies),
    ]);
    for (const graph of Object.values(graphs)) {
      for (const name of graph.packages) {
        if (!name.startsWith('node:')) expect(declared, `${name} is loaded but not declared`).toContain(name);
      }
    }
    // The shop builds the Connect client it hands to createLinking, and the core tells Connect's
    // errors apart with instanceof: one copy of @cartlink/connect must serve both, so it is a
    // peer (npm installs a required peer), never a dependency that npm could nest a second copy of.
    const { '@cartlink/connect': connectRange, ...optionalPeers } = manifest.peerDependencies;
    expect(connectRange).toMatch(/^\^/);
    expect(manifest.peerDependenciesMeta).not.toHaveProperty('@cartlink/connect');
    expect(manifest.dependencies).not.toHaveProperty('@cartlink/connect');
    expect(Object.keys(optionalPeers).sort()).toEqual(Object.keys(PEER_ENTRY).sort());
    for (const peer of Object.keys(optionalPeers)) {
      expect(manifest.peerDependenciesMeta[peer], peer).toEqual({ optional: true });
      expect(manifest.dependencies, peer).not.toHaveProperty(peer);
    }
  });

  it('uses version ranges, not pinned versions', () => {
    for (const range of [
      ...Object.values(manifest.dependencies),
      ...Object.values(manifest.peerDependencies),
    ]) {
      expect(range).toMatch(/^\^/);
    }
  });
});

describe('walkImportGraph', () => {
  const directory = mkdtempSync(join(tmpdir(), 'cartlink-graph-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  function write(files: Record<string, string>): void {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  }

  it('sees a static import anywhere in the graph, even of a single type', () => {
    write({
      'entry.ts': "export * from './core.js';\nexport { type Pool } from './types.js';\n",
      'core.ts':
        "import Database from 'better-sqlite3';\nexport const open = () => new Database(':memory:');\n",
      'types.ts': "export { type Pool } from 'pg';\n",
    });
    const graph = walkImportGraph(join(directory, 'entry.ts'), PACKAGES);
    expect([...graph.packages].sort()).toEqual(['better-sqlite3', 'pg']);
    expect(graph.files).toHaveLength(3);
  });

  it('ignores what the build erases and what only loads when it runs', () => {
    write({
      'lazy.ts': [
        "import type { Hono } from 'hono';",
        "export type { RequestHandler } from 'express';",
        "import { readFileSync } from 'node:fs';",
        "export const app = async (): Promise<Hono | null> => (await import('./engine.js')).make(readFileSync);",
      ].join('\n'),
    });
    const graph = walkImportGraph(join(directory, 'lazy.ts'), PACKAGES);
    expect([...graph.packages]).toEqual(['node:fs']);
    expect(graph.dynamicImports).toEqual([{ file: join(directory, 'lazy.ts'), specifier: './engine.js' }]);
  });

  it('follows the other @cartlink packages through their exports', () => {
    write({ 'uses-connect.ts': "export { createConnectClient } from '@cartlink/connect';\n" });
    const graph = walkImportGraph(join(directory, 'uses-connect.ts'), PACKAGES);
    expect(graph.packages).toContain('@cartlink/connect');
    expect(graph.packages).toContain('zod');
    expect(graph.files).toContain(join(PACKAGES, 'connect/src/index.ts'));
  });
});
