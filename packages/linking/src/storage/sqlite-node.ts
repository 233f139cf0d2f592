/**
 * @module Opening an embedded SQLite database for the linking storage (Node.js, better-sqlite3).
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { LinkingDatabase } from './database';

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
  return new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
}
