import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listEntryPoints, listWorkspacePackages } from './packages.js';
import {
  findDeliberateErrorLine,
  findUnimportedEntryPoints,
  judgeTypeCheck,
  parseTscOutput,
  stripNocheckHeader,
  type TscError,
} from './typecheck.js';

const output = [
  "src/consumer.ts(120,9): error TS2322: Type 'string' is not assignable to type 'number'.",
  "node_modules/@cartlink/linking/dist/node.d.ts(3,22): error TS2307: Cannot find module 'kysely'",
  '  or its corresponding type declarations.',
  'error TS5083: Cannot read file tsconfig.base.json.',
].join('\n');

describe('parseTscOutput', () => {
  it('reads file, line, code and message, with continuation lines and global errors', () => {
    expect(parseTscOutput(output)).toEqual([
      {
        file: 'src/consumer.ts',
        line: 120,
        code: 'TS2322',
        message: "Type 'string' is not assignable to type 'number'.",
      },
      {
        file: 'node_modules/@cartlink/linking/dist/node.d.ts',
        line: 3,
        code: 'TS2307',
        message: "Cannot find module 'kysely' or its corresponding type declarations.",
      },
      { file: '', line: 0, code: 'TS5083', message: 'Cannot read file tsconfig.base.json.' },
    ]);
  });
});

describe('judgeTypeCheck', () => {
  const deliberate: TscError = { file: 'src/consumer.ts', line: 120, code: 'TS2322', message: '' };
  const expected = { file: 'src/consumer.ts', line: 120 };

  it('passes with the deliberate error alone', () => {
    expect(judgeTypeCheck([deliberate], expected)).toEqual({ ok: true, problems: [] });
  });

  it('fails when the deliberate error is not reported', () => {
    expect(judgeTypeCheck([], expected).problems).toEqual([
      'expected exactly one error at src/consumer.ts:120 (the deliberate one), got 0',
    ]);
  });

  it('fails on an error inside a published package, and on any other error', () => {
    const inPackage = { ...deliberate, file: 'node_modules/@cartlink/linking/dist/node.d.ts', line: 3 };
    const other = { ...deliberate, line: 7 };
    expect(judgeTypeCheck([deliberate, inPackage, other], expected).problems).toEqual([
      'in a published package: node_modules/@cartlink/linking/dist/node.d.ts(3): TS2322 ',
      'unexpected: src/consumer.ts(7): TS2322 ',
    ]);
  });

  it('expects no error at all without a deliberate one', () => {
    expect(judgeTypeCheck([], null).ok).toBe(true);
    expect(judgeTypeCheck([deliberate], null).ok).toBe(false);
  });
});

describe('the fixture source', () => {
  it('finds the deliberate error on the line after its marker, once the nocheck header is dropped', () => {
    const source =
      '// @ts-nocheck: not here\nconst a = 1;\n  // DELIBERATE TYPE ERROR: next line\nconst b: number = "";\n';
    const stripped = stripNocheckHeader(source);
    expect(stripped.startsWith('const a')).toBe(true);
    expect(findDeliberateErrorLine(stripped)).toBe(3);
    expect(findDeliberateErrorLine('const a = 1;\n')).toBeNull();
  });

  it('names the module entry points a source does not import, side-effect imports included', () => {
    const entries = listEntryPoints({
      name: '@cartlink/elements',
      version: '0.1.0',
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js' },
        './prebuilt': { types: './dist/prebuilt.d.ts', import: './dist/prebuilt.js' },
        './bundle.js': { types: './dist/bundle.d.ts', default: './dist/bundle.js' },
        './styles.css': './dist/styles.css',
      },
    });
    const source = "import { a } from '@cartlink/elements';\nimport '@cartlink/elements/bundle.js';\n";
    expect(findUnimportedEntryPoints(source, entries)).toEqual(['@cartlink/elements/prebuilt']);
  });

  it('the consumer fixture imports every module entry point the packages declare', async () => {
    const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
    const source = await readFile(new URL('../fixtures/consumer/src/consumer.ts', import.meta.url), 'utf8');
    const entries = (await listWorkspacePackages(repoRoot)).flatMap((pkg) => listEntryPoints(pkg.manifest));
    expect(entries.length).toBeGreaterThan(5);
    expect(findUnimportedEntryPoints(source, entries)).toEqual([]);
  });

  it('the consumer fixture holds its deliberate error', async () => {
    const source = await readFile(new URL('../fixtures/consumer/src/consumer.ts', import.meta.url), 'utf8');
    expect(findDeliberateErrorLine(stripNocheckHeader(source))).not.toBeNull();
  });
});
