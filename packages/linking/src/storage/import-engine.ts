/**
 * @module Importing a database engine's module on demand. The drivers (better-sqlite3, pg) are
 * optional peer dependencies: a shop installs the one it uses, and a database URL that names the other
 * engine must say what to install instead of failing with a bare module-resolution error.
 */
import { LinkingConfigError } from '../errors.js';

/**
 * Runs `load` (a dynamic `import()` of an engine's module) and turns the absence of its `driver`
 * package into a {@link LinkingConfigError} with one line that names the package to install. Any
 * other failure (a driver whose native part did not build, say) is rethrown as it is.
 */
export async function importEngine<T>(load: () => Promise<T>, driver: 'better-sqlite3' | 'pg'): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isMissingPackage(error, driver)) throw error;
    const engine = driver === 'pg' ? 'a PostgreSQL' : 'a SQLite';
    throw new LinkingConfigError(
      `The database URL names ${engine} database, but its driver is not installed: run npm i ${driver}`,
      { cause: error },
    );
  }
}

/** Node.js's error for an import of a package that is not installed: `ERR_MODULE_NOT_FOUND`, naming it. */
function isMissingPackage(error: unknown, name: string): boolean {
  return (
    error instanceof Error &&
    (error as Error & { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' &&
    error.message.includes(`'${name}'`)
  );
}
