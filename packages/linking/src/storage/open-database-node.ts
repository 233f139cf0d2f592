/**
 * @module Opening the linking storage's database from `DATABASE_URL` (Node.js).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { LinkingDatabase } from './database.js';
import { parseDatabaseUrl } from './database-url.js';
import { openPostgresDatabase, type PostgresOptions } from './postgres-node.js';
import { openSqliteDatabase } from './sqlite-node.js';

export { DatabaseUrlError } from './errors.js';

/** A database opened by {@link openDatabase}, and which engine it runs on. */
export interface OpenedDatabase<DB extends LinkingDatabase = LinkingDatabase> {
  db: Kysely<DB>;
  dialect: 'sqlite' | 'postgres';
}

/**
 * Opens the database a database URL names: `postgres://` or `postgresql://` for PostgreSQL; a file
 * path, `sqlite:relative/path.db`, `sqlite:///absolute/path.db` or `sqlite::memory:` for SQLite, whose
 * parent directory is created when missing. The tables are not created: run `migrateToLatest(db)`.
 *
 * @throws {DatabaseUrlError} for any other value, with one line fit to stop start-up.
 * @example
 * ```ts
 * const { db, dialect } = openDatabase(process.env.DATABASE_URL ?? 'sqlite:.data/cartlink.db');
 * await migrateToLatest(db);
 * const storage = createSqlStorage(db);
 * ```
 */
export function openDatabase<DB extends LinkingDatabase = LinkingDatabase>(
  databaseUrl: string,
  options: PostgresOptions = {},
): OpenedDatabase<DB> {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.dialect === 'postgres') {
    return { db: openPostgresDatabase<DB>(location.url, options), dialect: 'postgres' };
  }
  if (location.path !== ':memory:') {
    mkdirSync(dirname(resolve(location.path)), { recursive: true });
  }
  return { db: openSqliteDatabase<DB>(location.path), dialect: 'sqlite' };
}
