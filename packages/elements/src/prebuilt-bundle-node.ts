/**
 * @module The elements' browser bundle for a Node server, built once per version of the sources and
 * kept on disk. Building runs Vite, which leaves a couple of hundred megabytes in the process that
 * ran it (measured in bench/: 354 MB idle RSS with an in-process build, 133 MB without), so the
 * build runs in a child process and the server only reads the file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_CACHE_DIR = join(PACKAGE_DIR, 'dist');

/** The installed version of a package, found by walking up from its entry point (its exports hide package.json). */
async function readInstalledVersion(name: string): Promise<string> {
  let directory = dirname(require.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === name && manifest.version) return manifest.version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`No package.json found for ${name}`);
    directory = parent;
  }
}

/**
 * A digest of everything the bundle is built from: the element sources, this package's manifest
 * and the versions of Lit and Vite. Any change gives a new file, so a stale bundle is never served.
 */
export async function computeBundleKey(): Promise<string> {
  const hash = createHash('sha256');
  const sourceDir = join(PACKAGE_DIR, 'src');
  const sources = (await readdir(sourceDir)).filter(
    (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'),
  );
  for (const name of sources.sort()) {
    hash
      .update(name)
      .update('\0')
      .update(await readFile(join(sourceDir, name)))
      .update('\0');
  }
  hash.update(await readFile(join(PACKAGE_DIR, 'package.json')));
  for (const dependency of ['lit', 'vite'])
    hash.update(`${dependency}@${await readInstalledVersion(dependency)}`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Returns the bundle (one ES module of both elements), building it in a child process when no file
 * for the current sources exists in `cacheDir` (default: the package's `dist/`).
 * @example
 * const { code, file } = await loadPrebuiltElementsBundle();
 */
export async function loadPrebuiltElementsBundle(
  options: { cacheDir?: string } = {},
): Promise<{ code: string; file: string }> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const file = join(cacheDir, `cartlink-elements.${await computeBundleKey()}.js`);
  try {
    return { code: await readFile(file, 'utf8'), file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(cacheDir, { recursive: true });
  // Written under a unique name and renamed into place, so that two servers starting together
  // never read a half-written file.
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  await run(
    process.execPath,
    [require.resolve('tsx/cli'), join(PACKAGE_DIR, 'scripts/build.ts'), '--out', partial],
    {
      cwd: PACKAGE_DIR,
      maxBuffer: 4 * 1024 * 1024,
    },
  );
  await rename(partial, file);
  return { code: await readFile(file, 'utf8'), file };
}
