/**
 * @module Opening an embedded SQLite database for the linking storage (Node.js, better-sqlite3). The
 * only module of the package that imports better-sqlite3; it is reached through
 * `@cartlink/linking/sqlite`, or lazily by `openDatabase` of `@cartlink/linking/node`.
 */
import Database from 'better-sqlite3';
import { Kysely, type LogEvent, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';
import type { LinkingDatabase } from './database.js';

/** Options of {@link openSqliteDatabase}. */
export interface SqliteOptions {
  /**
   * Told of every statement the database runs (Kysely's `log`), `BEGIN` and `COMMIT` included: for
   * counting statements per request, or logging slow ones. Never give it to a logger as it is: a
   * statement's parameters may hold personal data.
   */
  log?: (event: LogEvent) => void;
}

/**
 * Opens (creating if needed) the SQLite database at `path`, or an in-memory one for `:memory:`. The
 * parent directory must exist (`openDatabase` of `@cartlink/linking/node` creates it).
 *
 * Settings: WAL journal, so readers do not block the writer; `busy_timeout` 5000 ms, so a write that
 * meets another process's write waits instead of failing at once; `foreign_keys` on, which SQLite
 * leaves off by default, for the application's own tables that declare them.
 *
 * `DB` defaults to the linking tables; an application passes `LinkingDatabase & ItsOwnTables`.
 * @example
 * ```ts
 * const db = openSqliteDatabase('.data/shop.db');
 * await migrateToLatest(db);
 * const storage = createSqlStorage(db);
 * ```
 */
export function openSqliteDatabase<DB extends LinkingDatabase = LinkingDatabase>(
  path: string,
  options: SqliteOptions = {},
): Kysely<DB> {
  const sqlite = new Database(path);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return new Kysely<DB>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    ...(options.log ? { log: options.log } : {}),
  });
}

/** How many distinct statements stay prepared; the linking core and a shop use a few dozen. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew; preparing is about a third of a cached status
 * call's database time (profiled in bench/). Statements are keyed by their SQL text, kept in
 * least-recently-used order, and reused only when not busy (a statement still iterating cannot run
 * again). better-sqlite3 runs each statement synchronously, so nothing else can interleave.
 *
 * `sqlite` is typed by what is used of a better-sqlite3 database, not by its class, so that these
 * declarations do not need `@types/better-sqlite3`.
 */
export function withStatementCache(
  sqlite: { prepare(sql: string): SqliteStatement & { readonly busy: boolean }; close(): void },
  capacity: number = STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const statements = new Map<string, SqliteStatement & { readonly busy: boolean }>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached !== undefined && !cached.busy) {
        // Re-inserting moves it to the end: the first key is always the least recently used.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > capacity) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      return statement;
    },
  };
}
