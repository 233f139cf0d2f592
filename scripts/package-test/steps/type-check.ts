/**
 * @module Steps `type-check …`: a TypeScript consumer installed from the tarballs, checked with the
 * workspace's `tsc` under `moduleResolution` node16 and bundler (strict, `exactOptionalPropertyTypes`,
 * `noPropertyAccessFromIndexSignature`, `skipLibCheck: false`). It must import every module entry
 * point the manifests declare, and tsc must report exactly its one deliberate error and nothing in
 * `node_modules/@cartlink/`. A second consumer installs only `@cartlink/elements` and must be clean
 * with the DOM library alone.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { runCommand } from '../../../testing/processes.js';
import type { RunContext } from '../lib/context.js';
import { listEntryPoints } from '../lib/packages.js';
import {
  findDeliberateErrorLine,
  findUnimportedEntryPoints,
  formatTscError,
  judgeTypeCheck,
  parseTscOutput,
  stripNocheckHeader,
} from '../lib/typecheck.js';
import { installFromTemplate } from './install.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** The consumers: fixture folder, its source file, and whether it holds the deliberate error. */
export const CONSUMERS = {
  consumer: { source: 'src/consumer.ts', deliberateError: true },
  'elements-only': { source: 'src/page.ts', deliberateError: false },
} as const;

/** Installs a consumer fixture (without install scripts: it is only type-checked) and drops its nocheck header. */
export async function installConsumer(context: RunContext, name: keyof typeof CONSUMERS): Promise<string> {
  const summary = await installFromTemplate(context, name, new URL(name, FIXTURES).pathname, {
    ignoreScripts: true,
  });
  const file = join(context.projects.get(name) ?? '', CONSUMERS[name].source);
  await writeFile(file, stripNocheckHeader(await readFile(file, 'utf8')));
  return summary;
}

/** Runs the workspace's tsc on a consumer with one of its tsconfig files and judges the result. */
export async function typeCheck(
  context: RunContext,
  name: keyof typeof CONSUMERS,
  tsconfig: string,
): Promise<string> {
  const dir = context.projects.get(name);
  if (dir === undefined) throw new Error(`${name} is not installed`);
  const { source, deliberateError } = CONSUMERS[name];
  const text = await readFile(join(dir, source), 'utf8');

  if (name === 'consumer') {
    const entries = context.packed.flatMap((packed) => listEntryPoints(packed.pkg.manifest));
    const unimported = findUnimportedEntryPoints(text, entries);
    if (unimported.length > 0) {
      throw new Error(
        `the consumer does not import ${unimported.join(', ')}: add them to scripts/package-test/fixtures/consumer/${source}`,
      );
    }
    const files = entries.filter((entry) => entry.kind === 'file').map((entry) => entry.specifier);
    if (files.length > 0) context.log(`file entries (not imported): ${files.join(', ')}`);
  }

  let expected: { file: string; line: number } | null = null;
  if (deliberateError) {
    const line = findDeliberateErrorLine(text);
    if (line === null) throw new Error(`${source} has no DELIBERATE TYPE ERROR marker`);
    expected = { file: source, line };
  }
  const tsc = join(context.repoRoot, 'node_modules', '.bin', 'tsc');
  const result = await runCommand(tsc, ['-p', tsconfig, '--pretty', 'false'], {
    cwd: dir,
    timeoutMs: 5 * 60_000,
    allowFailure: true,
  });
  const errors = parseTscOutput(result.stdout).map((error) => ({
    ...error,
    file: error.file.startsWith('/') ? relative(dir, error.file) : error.file,
  }));
  for (const error of errors) context.log(formatTscError(error));
  const verdict = judgeTypeCheck(errors, expected);
  if (!verdict.ok) {
    throw new Error(
      `tsc -p ${tsconfig}: ${verdict.problems.length} problem(s)\n${verdict.problems.join('\n')}`,
    );
  }
  return expected
    ? `only the deliberate error at ${expected.file}:${expected.line}, none in node_modules/@cartlink`
    : 'no errors';
}
