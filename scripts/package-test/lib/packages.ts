/**
 * @module The workspace's packages as npm sees them: their manifests, their public entry points, and
 * what `npm pack` put in each tarball.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The parts of a package.json this test reads. */
export interface Manifest {
  name: string;
  version: string;
  exports?: unknown;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  overrides?: Record<string, string>;
}

/** A package under `packages/`. */
export interface WorkspacePackage {
  name: string;
  version: string;
  dir: string;
  manifest: Manifest;
}

/** Every package under `<repoRoot>/packages`, by directory name. */
export async function listWorkspacePackages(repoRoot: string): Promise<WorkspacePackage[]> {
  const root = join(repoRoot, 'packages');
  const packages: WorkspacePackage[] = [];
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
    } catch {
      continue;
    }
    packages.push({ name: manifest.name, version: manifest.version, dir, manifest });
  }
  return packages;
}

/** One subpath of a package's `exports`. */
export interface EntryPoint {
  /** The import specifier: `@cartlink/linking/hono`. */
  specifier: string;
  /** `.`, `./hono`, … */
  subpath: string;
  /** Code with types (`types` + `import` conditions), or a plain file (a bundle, a stylesheet). */
  kind: 'module' | 'file';
  /** Every file the entry points at, relative to the package (`dist/index.js`, `dist/index.d.ts`). */
  targets: string[];
}

function collectTargets(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value.replace(/^\.\//, ''));
  else if (Array.isArray(value)) for (const item of value) collectTargets(item, into);
  else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectTargets(item, into);
  }
}

/**
 * The entry points a manifest's `exports` declares. An entry whose value is an object with a `types`
 * condition is a module; a bare string is a file entry. `./package.json` is left out.
 */
export function listEntryPoints(manifest: Manifest): EntryPoint[] {
  const { exports } = manifest;
  if (exports === undefined) return [];
  const map: Record<string, unknown> =
    typeof exports === 'string' ||
    Array.isArray(exports) ||
    Object.keys(exports as object).every((key) => !key.startsWith('.'))
      ? { '.': exports }
      : (exports as Record<string, unknown>);
  const entries: EntryPoint[] = [];
  for (const [subpath, value] of Object.entries(map)) {
    if (subpath === './package.json') continue;
    const targets: string[] = [];
    collectTargets(value, targets);
    const hasTypes = typeof value === 'object' && value !== null && JSON.stringify(value).includes('"types"');
    entries.push({
      specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      subpath,
      kind: hasTypes ? 'module' : 'file',
      targets,
    });
  }
  return entries;
}

/** The files a manifest's `bin` points at. */
export function listBinTargets(manifest: Manifest): string[] {
  const { bin } = manifest;
  if (bin === undefined) return [];
  const targets = typeof bin === 'string' ? [bin] : Object.values(bin);
  return targets.map((target) => target.replace(/^\.\//, ''));
}

/** What `npm pack --json` reports of one tarball. */
export interface PackResult {
  name: string;
  version: string;
  /** The tarball's file name, in the pack destination. */
  filename: string;
  /** Size of the .tgz, which is gzipped: what a download costs. */
  size: number;
  /** Size of the files once unpacked. */
  unpackedSize: number;
  files: Array<{ path: string; size: number }>;
}

/** Reads `npm pack --json` output (an array with one object per package). */
export function parsePackJson(stdout: string): PackResult {
  // npm prints the lifecycle scripts' output before the JSON when a package has a prepack script.
  const start = stdout.indexOf('[');
  const parsed = JSON.parse(stdout.slice(start)) as PackResult[];
  const first = parsed[0];
  if (first === undefined) throw new Error('npm pack reported no package');
  return first;
}

/**
 * What is wrong with a tarball's contents: the files its `exports` and `bin` point at that it does
 * not contain. Globs (`./*`) are not followed.
 */
export function findMissingTargets(manifest: Manifest, files: readonly string[]): string[] {
  const present = new Set(files);
  const problems: string[] = [];
  for (const entry of listEntryPoints(manifest)) {
    for (const target of entry.targets) {
      if (target.includes('*')) continue;
      if (!present.has(target))
        problems.push(`exports["${entry.subpath}"] → ./${target} is not in the tarball`);
    }
  }
  for (const target of listBinTargets(manifest)) {
    if (!present.has(target)) problems.push(`bin → ./${target} is not in the tarball`);
  }
  return problems;
}

/** The tarball's files grouped by top-level folder, e.g. `dist/ 48 files, README.md, package.json`. */
export function summarizeFiles(files: ReadonlyArray<{ path: string }>): string {
  const folders = new Map<string, number>();
  const loose: string[] = [];
  for (const { path } of files) {
    const slash = path.indexOf('/');
    if (slash === -1) loose.push(path);
    else folders.set(path.slice(0, slash), (folders.get(path.slice(0, slash)) ?? 0) + 1);
  }
  const parts = [...folders]
    .sort()
    .map(([folder, count]) => `${folder}/ ${count} file${count === 1 ? '' : 's'}`);
  return [...parts, ...loose.sort()].join(', ');
}

/** Files that have no place in a published package: tests and test support. */
export function findTestFiles(files: ReadonlyArray<{ path: string }>): string[] {
  return files
    .map((file) => file.path)
    .filter(
      (path) =>
        /(^|\/)[^/]+\.(test|spec)\.[cm]?[jt]sx?$/.test(path) || /(^|\/)test-(support|helpers)\b/.test(path),
    );
}

/** `12.3 kB` from a byte count (kB = 1,000 bytes, as npm prints). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
