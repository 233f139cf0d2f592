/**
 * @module A retailer's project outside the workspace: a copy of an example (or a fixture) whose
 * `@cartlink/*` dependencies point at the packed tarballs, installed from the registry with a plain
 * `npm install`, and measured.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../testing/processes.js';
import type { Manifest } from './packages.js';

/** What a copy leaves behind: what an install or a run made in the source folder. */
const NOT_COPIED = new Set(['node_modules', 'package-lock.json', '.data', 'dist', '.next']);

/** Copies a folder (without node_modules, lockfile and data) to `target`. */
export async function copyProject(source: string, target: string): Promise<void> {
  await cp(source, target, {
    recursive: true,
    filter: (path) => !NOT_COPIED.has(path.slice(source.length + 1).split('/')[0] ?? ''),
  });
}

/**
 * Points every `@cartlink/*` dependency of a manifest at its tarball (`file:/abs/x.tgz`) and adds an
 * `overrides` entry for every tarball, so that the packages' own `@cartlink/*` dependencies resolve
 * to the tarballs too and nothing of ours comes from the registry.
 * @throws when the manifest depends on a `@cartlink/*` package that has no tarball.
 */
export function pointAtTarballs(manifest: Manifest, tarballs: ReadonlyMap<string, string>): Manifest {
  const rewrite = (dependencies: Record<string, string> | undefined) => {
    if (dependencies === undefined) return undefined;
    const rewritten: Record<string, string> = {};
    for (const [name, range] of Object.entries(dependencies)) {
      if (!name.startsWith('@cartlink/')) {
        rewritten[name] = range;
        continue;
      }
      const tarball = tarballs.get(name);
      if (tarball === undefined) throw new Error(`${manifest.name} depends on ${name}, which has no tarball`);
      rewritten[name] = `file:${tarball}`;
    }
    return rewritten;
  };
  const dependencies = rewrite(manifest.dependencies);
  const devDependencies = rewrite(manifest.devDependencies);
  return {
    ...manifest,
    ...(dependencies ? { dependencies } : {}),
    ...(devDependencies ? { devDependencies } : {}),
    overrides: {
      ...manifest.overrides,
      ...Object.fromEntries([...tarballs].map(([name, tarball]) => [name, `file:${tarball}`])),
    },
  };
}

/**
 * The environment for npm in a project outside the workspace: this process's, less what an enclosing
 * `npm run` put there (`npm_config_*` would carry the workspace's settings into the child npm).
 */
export function outsideNpmEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(process.env)) {
    if (/^npm_(config|package|lifecycle)_/i.test(name) || name === 'INIT_CWD' || name === 'NODE_OPTIONS') {
      env[name] = undefined;
    }
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

/** Creates a project from a template folder, its `@cartlink/*` dependencies on the tarballs. */
export async function createProject(
  template: string,
  target: string,
  tarballs: ReadonlyMap<string, string>,
): Promise<void> {
  await copyProject(template, target);
  const manifestPath = join(target, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  await writeFile(manifestPath, `${JSON.stringify(pointAtTarballs(manifest, tarballs), null, 2)}\n`);
}

/** What an install cost. */
export interface InstallMeasure {
  ms: number;
  /** Packages in the installed tree (`npm ls --all --parseable`, less the project itself). */
  packages: number;
  /** Size of node_modules on disk, in bytes (`du`). */
  nodeModulesBytes: number;
}

/** `npm install` in a project, timed, then counted and measured. */
export async function installProject(
  dir: string,
  options: { timeoutMs: number; ignoreScripts?: boolean },
): Promise<InstallMeasure> {
  const env = outsideNpmEnv();
  const install = await runCommand(
    'npm',
    ['install', '--no-audit', '--no-fund', ...(options.ignoreScripts ? ['--ignore-scripts'] : [])],
    { cwd: dir, env, timeoutMs: options.timeoutMs },
  );
  const listed = await runCommand('npm', ['ls', '--all', '--parseable'], {
    cwd: dir,
    env,
    timeoutMs: 120_000,
    allowFailure: true,
  });
  const du = await runCommand('du', ['-sk', 'node_modules'], { cwd: dir, timeoutMs: 120_000 });
  return {
    ms: install.ms,
    packages: countInstalled(listed.stdout, dir),
    nodeModulesBytes: Number(du.stdout.split(/\s/)[0]) * 1024,
  };
}

/** Counts the packages of `npm ls --parseable` output: one path a line, the project's own excluded. */
export function countInstalled(parseable: string, projectDir: string): number {
  return parseable.split('\n').filter((line) => line.trim() !== '' && line.trim() !== projectDir).length;
}

/**
 * Which of `names` are installed anywhere in the project's tree, from `npm ls <names> --all
 * --parseable` (which exits 1 and prints only the project when none is).
 */
export async function findInstalled(dir: string, names: readonly string[]): Promise<string[]> {
  const listed = await runCommand('npm', ['ls', ...names, '--all', '--parseable'], {
    cwd: dir,
    env: outsideNpmEnv(),
    timeoutMs: 120_000,
    allowFailure: true,
  });
  return installedNames(listed.stdout, names);
}

/** The names among `names` whose folder appears in `npm ls --parseable` output. */
export function installedNames(parseable: string, names: readonly string[]): string[] {
  const lines = parseable.split('\n').map((line) => line.trim());
  return names.filter((name) => lines.some((line) => line.endsWith(`/node_modules/${name}`)));
}
