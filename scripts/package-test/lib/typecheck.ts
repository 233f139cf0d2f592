/**
 * @module Reading `tsc` output and judging a consumer's type check: exactly the deliberate error, at
 * its file and line, and nothing inside the installed `@cartlink/*` packages.
 */
import type { EntryPoint } from './packages.js';

/** One diagnostic of `tsc --pretty false`. */
export interface TscError {
  file: string;
  line: number;
  code: string;
  message: string;
}

/** Parses `file(line,col): error TSnnnn: message` lines; continuation lines are appended. */
export function parseTscOutput(output: string): TscError[] {
  const errors: TscError[] = [];
  for (const line of output.split('\n')) {
    const match = /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line);
    if (match) {
      errors.push({
        file: match[1] ?? '',
        line: Number(match[2]),
        code: match[3] ?? '',
        message: match[4] ?? '',
      });
    } else if (/^error (TS\d+): (.*)$/.test(line)) {
      const [, code = '', message = ''] = /^error (TS\d+): (.*)$/.exec(line) ?? [];
      errors.push({ file: '', line: 0, code, message });
    } else if (line.startsWith(' ') && errors.length > 0) {
      const last = errors[errors.length - 1];
      if (last) last.message += ` ${line.trim()}`;
    }
  }
  return errors;
}

/** Formats an error as tsc does, for messages. */
export function formatTscError(error: TscError): string {
  return `${error.file}(${error.line}): ${error.code} ${error.message}`;
}

/** The verdict on one type check. */
export interface TypeCheckVerdict {
  ok: boolean;
  /** What was wrong, one line each; empty when ok. */
  problems: string[];
}

/**
 * Judges a type check that must report exactly `expected` errors (the deliberate one, or none) and
 * never one inside `node_modules/@cartlink/`.
 */
export function judgeTypeCheck(
  errors: readonly TscError[],
  expected: { file: string; line: number } | null,
): TypeCheckVerdict {
  const problems: string[] = [];
  const inPackages = errors.filter((error) => error.file.includes('node_modules/@cartlink/'));
  for (const error of inPackages) problems.push(`in a published package: ${formatTscError(error)}`);
  const others = errors.filter(
    (error) =>
      !error.file.includes('node_modules/@cartlink/') &&
      !(expected !== null && error.file === expected.file && error.line === expected.line),
  );
  for (const error of others) problems.push(`unexpected: ${formatTscError(error)}`);
  if (expected !== null) {
    const deliberate = errors.filter((error) => error.file === expected.file && error.line === expected.line);
    if (deliberate.length !== 1) {
      problems.push(
        `expected exactly one error at ${expected.file}:${expected.line} (the deliberate one), got ${deliberate.length}`,
      );
    }
  }
  return { ok: problems.length === 0, problems };
}

/** The marker of the deliberate error: the line after it holds the error. */
export const DELIBERATE_ERROR_MARKER = '// DELIBERATE TYPE ERROR';

/** The first line of a fixture, which keeps the workspace's own type check off it. */
export const NOCHECK_HEADER = /^\/\/ @ts-nocheck\b[^\n]*\n/;

/** Drops the `@ts-nocheck` header line of a fixture source. */
export function stripNocheckHeader(source: string): string {
  return source.replace(NOCHECK_HEADER, '');
}

/** The 1-based line of the deliberate error (the line after the marker), or null when absent. */
export function findDeliberateErrorLine(source: string): number | null {
  const index = source.split('\n').findIndex((line) => line.trim().startsWith(DELIBERATE_ERROR_MARKER));
  return index === -1 ? null : index + 2;
}

/**
 * The module entry points that a consumer's source does not import (`from '…'` or a side-effect
 * `import '…'`); file entries, which have no types, are not imported.
 */
export function findUnimportedEntryPoints(source: string, entries: readonly EntryPoint[]): string[] {
  const imported = new Set([...source.matchAll(/\b(?:from|import)\s+'([^']+)'/g)].map((match) => match[1]));
  return entries
    .filter((entry) => entry.kind === 'module' && !imported.has(entry.specifier))
    .map((entry) => entry.specifier);
}
