/**
 * @module `@cartlink/linking/node`: the linking storage opened from a database URL (`DATABASE_URL`),
 * on Node.js. The engine is imported only once the URL has named it, so a PostgreSQL shop never loads
 * better-sqlite3 and a SQLite shop never loads pg: install just the optional peer dependency of the
 * engine you use (`npm i pg` or `npm i better-sqlite3`).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { PostgresOptions } from './postgres.js';
import type { LinkingDatabase } from './storage/database.js';
import { parseDatabaseUrl } from './storage/database-url.js';
import { importEngine } from './storage/import-engine.js';
import { migrateToLatest } from './storage/migrate.js';
import { createSqlStorage } from './storage/sql-storage.js';
import type { LinkingStorage } from './storage/types.js';

export { DatabaseUrlError } from './storage/errors.js';
export type { PostgresOptions };

/**
 * Options of {@link openDatabase}: `max` applies to PostgreSQL only; `log` to either engine.
 */
export type OpenDatabaseOptions = PostgresOptions;

/** A database opened by {@link openDatabase}, and which engine it runs on. */
export interface OpenedDatabase<DB extends LinkingDatabase = LinkingDatabase> {
  /** The Kysely instance; the application may add its own tables to its database. */
  db: Kysely<DB>;
  /** The engine the database URL named. */
  dialect: 'sqlite' | 'postgres';
}

/**
 * Opens the database a database URL names: `postgres://` or `postgresql://` for PostgreSQL; a file
 * path, `sqlite:relative/path.db`, `sqlite:///absolute/path.db` or `sqlite::memory:` for SQLite, whose
 * parent directory is created when missing. The tables are not created: run `migrateToLatest(db)`,
 * or call {@link openLinkingStorage}, which does.
 *
 * The engine's module is imported here, on demand (hence the promise): better-sqlite3 for SQLite, pg
 * for PostgreSQL.
 *
 * @throws {DatabaseUrlError} for any other value, with one line fit to stop start-up.
 * @throws {LinkingConfigError} when the engine's driver (`better-sqlite3` or `pg`) is not installed.
 * @example
 * ```ts
 * const { db, dialect } = await openDatabase(process.env.DATABASE_URL ?? 'sqlite:.data/cartlink.db');
 * await migrateToLatest(db);
 * const storage = createSqlStorage(db);
 * ```
 */
export async function openDatabase<DB extends LinkingDatabase = LinkingDatabase>(
  databaseUrl: string,
  options: OpenDatabaseOptions = {},
): Promise<OpenedDatabase<DB>> {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.dialect === 'postgres') {
    const { openPostgresDatabase } = await importEngine(() => import('./postgres.js'), 'pg');
    return { db: openPostgresDatabase<DB>(location.url, options), dialect: 'postgres' };
  }
  const { openSqliteDatabase } = await importEngine(() => import('./sqlite.js'), 'better-sqlite3');
  if (location.path !== ':memory:') {
    mkdirSync(dirname(resolve(location.path)), { recursive: true });
  }
  return {
    db: openSqliteDatabase<DB>(location.path, options.log ? { log: options.log } : {}),
    dialect: 'sqlite',
  };
}

/** What {@link openLinkingStorage} opens: the database, and the linking storage on it. */
export interface OpenedLinkingStorage<DB extends LinkingDatabase = LinkingDatabase>
  extends OpenedDatabase<DB> {
  /** The linking storage on `db`, its tables up to date. `storage.close()` closes `db` too. */
  storage: LinkingStorage;
}

/**
 * Opens the database that `databaseUrl` names, brings the linking tables up to date and returns the
 * storage with the database it runs on (an app adds its own tables to the same `db`).
 *
 * @throws {DatabaseUrlError} for a database URL that names no supported engine.
 * @throws {LinkingConfigError} when the engine's driver is not installed.
 * @throws {MigrationFailedError} when the tables cannot be brought up to date (the database is closed).
 * @example
 * ```ts
 * const { storage, db } = await openLinkingStorage('sqlite:.data/shop.db');
 * ```
 */
export async function openLinkingStorage<DB extends LinkingDatabase = LinkingDatabase>(
  databaseUrl: string,
  options: OpenDatabaseOptions = {},
): Promise<OpenedLinkingStorage<DB>> {
  const opened = await openDatabase<DB>(databaseUrl, options);
  try {
    await migrateToLatest(opened.db);
  } catch (error) {
    await opened.db.destroy();
    throw error;
  }
  return { ...opened, storage: createSqlStorage(opened.db) };
}
