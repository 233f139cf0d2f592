import { describe, expect, it } from 'vitest';
import {
  findMissingTargets,
  findTestFiles,
  formatBytes,
  listBinTargets,
  listEntryPoints,
  type Manifest,
  parsePackJson,
  summarizeFiles,
} from './packages.js';

const linking: Manifest = {
  name: '@cartlink/linking',
  version: '0.1.0',
  exports: {
    '.': { types: './dist/index.d.ts', import: './dist/index.js' },
    './hono': { types: './dist/hono.d.ts', import: './dist/hono.js' },
    './bundle.js': './dist/bundle.min.js',
    './package.json': './package.json',
  },
};

describe('listEntryPoints', () => {
  it('lists module entries with their specifier, file entries apart, and leaves out package.json', () => {
    expect(listEntryPoints(linking)).toEqual([
      {
        specifier: '@cartlink/linking',
        subpath: '.',
        kind: 'module',
        targets: ['dist/index.d.ts', 'dist/index.js'],
      },
      {
        specifier: '@cartlink/linking/hono',
        subpath: './hono',
        kind: 'module',
        targets: ['dist/hono.d.ts', 'dist/hono.js'],
      },
      {
        specifier: '@cartlink/linking/bundle.js',
        subpath: './bundle.js',
        kind: 'file',
        targets: ['dist/bundle.min.js'],
      },
    ]);
  });

  it('reads the sugar forms of exports as the root entry', () => {
    expect(listEntryPoints({ name: 'a', version: '1.0.0', exports: './dist/a.js' })).toEqual([
      { specifier: 'a', subpath: '.', kind: 'file', targets: ['dist/a.js'] },
    ]);
    expect(
      listEntryPoints({ name: 'b', version: '1.0.0', exports: { types: './b.d.ts', import: './b.js' } }),
    ).toEqual([{ specifier: 'b', subpath: '.', kind: 'module', targets: ['b.d.ts', 'b.js'] }]);
  });
});

describe('findMissingTargets', () => {
  it('names every export and bin target the tarball lacks', () => {
    const manifest: Manifest = { ...linking, bin: { tool: './bin/tool.js' } };
    expect(findMissingTargets(manifest, ['package.json', 'dist/index.js', 'dist/index.d.ts'])).toEqual([
      'exports["./hono"] → ./dist/hono.d.ts is not in the tarball',
      'exports["./hono"] → ./dist/hono.js is not in the tarball',
      'exports["./bundle.js"] → ./dist/bundle.min.js is not in the tarball',
      'bin → ./bin/tool.js is not in the tarball',
    ]);
  });

  it('finds nothing missing in a complete tarball', () => {
    const files = [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/hono.js',
      'dist/hono.d.ts',
      'dist/bundle.min.js',
    ];
    expect(findMissingTargets(linking, files)).toEqual([]);
  });
});

describe('listBinTargets', () => {
  it('reads a string bin and a map of bins', () => {
    expect(listBinTargets({ name: 'a', version: '1.0.0', bin: './cli.js' })).toEqual(['cli.js']);
    expect(listBinTargets({ name: 'a', version: '1.0.0', bin: { a: 'bin/a.js' } })).toEqual(['bin/a.js']);
  });
});

describe('the tarball summary', () => {
  it('groups files by top folder and lists loose files', () => {
    expect(
      summarizeFiles([
        { path: 'dist/a.js' },
        { path: 'dist/b/c.js' },
        { path: 'README.md' },
        { path: 'bin/x.js' },
      ]),
    ).toBe('bin/ 1 file, dist/ 2 files, README.md');
  });

  it('finds tests and test support', () => {
    expect(
      findTestFiles([
        { path: 'src/a.test.ts' },
        { path: 'dist/b.spec.js' },
        { path: 'src/test-support/fake.ts' },
        { path: 'dist/index.js' },
      ]),
    ).toEqual(['src/a.test.ts', 'dist/b.spec.js', 'src/test-support/fake.ts']);
  });

  it('formats sizes as npm does', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(45_500)).toBe('45.5 kB');
    expect(formatBytes(12_300_000)).toBe('12.3 MB');
  });
});

describe('parsePackJson', () => {
  it('reads the first package of npm pack --json, after any script output', () => {
    const stdout = `> prepack\nbuilding\n${JSON.stringify([
      {
        name: '@cartlink/wire',
        version: '0.1.0',
        filename: 'cartlink-wire-0.1.0.tgz',
        size: 10,
        unpackedSize: 20,
        files: [],
      },
    ])}`;
    expect(parsePackJson(stdout)).toMatchObject({
      filename: 'cartlink-wire-0.1.0.tgz',
      size: 10,
      unpackedSize: 20,
    });
  });
});
