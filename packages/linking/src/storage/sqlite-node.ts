/**
 * @module Opening an embedded SQLite database for the linking storage (Node.js, better-sqlite3).
 */
import Database from 'better-sqlite3';
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import type { LinkingDatabase } from './database.js';

/**
 * Opens (creating if needed) the SQLite database at `path`, or an in-memory one for `:memory:`. The
 * parent directory must exist (`openDatabase` creates it).
 *
 * Settings: WAL journal, so readers do not block the writer; `busy_timeout` 5000 ms, so a write that
 * meets another process's write waits instead of failing at once; `foreign_keys` on, which SQLite
 * leaves off by default, for the application's own tables that declare them.
 *
 * `DB` defaults to the linking tables; an application passes `LinkingDatabase & ItsOwnTables`.
 */
export function openSqliteDatabase<DB extends LinkingDatabase = LinkingDatabase>(path: string): Kysely<DB> {
  const sqlite = new Database(path);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/** How many distinct statements stay prepared; the linking core and a shop use a few dozen. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew; preparing is about a third of a cached status
 * call's database time (profiled in bench/). Statements are keyed by their SQL text, kept in
 * least-recently-used order, and reused only when not busy (a statement still iterating cannot run
 * again). better-sqlite3 runs each statement synchronously, so nothing else can interleave.
 */
export function withStatementCache(
  sqlite: Database.Database,
  capacity: number = STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const statements = new Map<string, Database.Statement>();
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
