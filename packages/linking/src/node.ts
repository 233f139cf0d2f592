/**
 * @module `@cartlink/linking/node`: the Node.js-only parts of the linking core, the SQLite and
 * PostgreSQL engines, and one call that opens, migrates and wraps the storage.
 */
import { migrateToLatest } from './storage/migrate.js';
import { type OpenedDatabase, openDatabase } from './storage/open-database-node.js';
import type { PostgresOptions } from './storage/postgres-node.js';
import { createSqlStorage } from './storage/sql-storage.js';
import type { LinkingStorage } from './storage/types.js';

export { DatabaseUrlError, type OpenedDatabase, openDatabase } from './storage/open-database-node.js';
export { openPostgresDatabase, type PostgresOptions } from './storage/postgres-node.js';
export { openSqliteDatabase } from './storage/sqlite-node.js';

/**
 * Opens the database that `databaseUrl` names, brings the linking tables up to date and returns the
 * storage with the database it runs on (an app adds its own tables to the same `db`).
 * @example
 * const { storage, db } = await openLinkingStorage('sqlite:.data/shop.db');
 */
export async function openLinkingStorage(
  databaseUrl: string,
  options: PostgresOptions = {},
): Promise<OpenedDatabase & { storage: LinkingStorage }> {
  const opened = openDatabase(databaseUrl, options);
  try {
    await migrateToLatest(opened.db);
  } catch (error) {
    await opened.db.destroy();
    throw error;
  }
  return { ...opened, storage: createSqlStorage(opened.db) };
}
