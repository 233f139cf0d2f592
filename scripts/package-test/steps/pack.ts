/**
 * @module Steps `build` and `pack`: `npm run build` at the root, then `npm pack` of every package
 * under packages/, with each tarball's contents, its size (the .tgz, gzipped) and its unpacked size,
 * and a check that every file its `exports` and `bin` name is inside.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../testing/processes.js';
import type { RunContext } from '../lib/context.js';
import {
  findMissingTargets,
  findTestFiles,
  formatBytes,
  listWorkspacePackages,
  parsePackJson,
  summarizeFiles,
} from '../lib/packages.js';
import { outsideNpmEnv } from '../lib/project.js';

/**
 * `npm run build:clean` at the root: every package into an emptied dist/, so that no file left by an
 * earlier build of a module since renamed or removed can reach a tarball.
 */
export async function build(context: RunContext): Promise<string> {
  const result = await runCommand('npm', ['run', 'build:clean', '--silent'], {
    cwd: context.repoRoot,
    timeoutMs: 10 * 60_000,
  });
  return `npm run build:clean in ${Math.round(result.ms / 1000)} s`;
}

/** `npm pack` of each package into the run's tarballs folder. */
export async function pack(context: RunContext): Promise<string> {
  const destination = join(context.workDir, 'tarballs');
  await mkdir(destination, { recursive: true });
  const problems: string[] = [];
  let packedBytes = 0;
  for (const pkg of await listWorkspacePackages(context.repoRoot)) {
    const result = await runCommand('npm', ['pack', '--json', '--pack-destination', destination], {
      cwd: pkg.dir,
      env: outsideNpmEnv(),
      timeoutMs: 2 * 60_000,
    });
    const packed = parsePackJson(result.stdout);
    const tarball = join(destination, packed.filename);
    context.packed.push({ pkg, pack: packed, tarball });
    context.tarballs.set(pkg.name, tarball);
    packedBytes += packed.size;
    context.log(
      `${packed.name}@${packed.version}: ${packed.files.length} files (${summarizeFiles(packed.files)}); ` +
        `.tgz ${formatBytes(packed.size)} (gzipped), unpacked ${formatBytes(packed.unpackedSize)}`,
    );
    const paths = packed.files.map((file) => file.path);
    for (const missing of findMissingTargets(pkg.manifest, paths)) problems.push(`${pkg.name}: ${missing}`);
    const tests = findTestFiles(packed.files);
    if (tests.length > 0) {
      context.log(
        `  note: ${tests.length} test file(s) in the tarball, e.g. ${tests.slice(0, 3).join(', ')}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${problems.length} file(s) that exports or bin name are missing from the tarballs ` +
        `(a "files" field without them, or dist/ excluded by .gitignore with no "files" field):\n` +
        problems.join('\n'),
    );
  }
  return `${context.packed.length} tarballs, ${formatBytes(packedBytes)} gzipped in all`;
}
