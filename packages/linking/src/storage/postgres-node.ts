/**
 * @module Opening a PostgreSQL database for the linking storage (Node.js, node-postgres pool). The
 * only module of the package that imports pg; it is reached through `@cartlink/linking/postgres`, or
 * lazily by `openDatabase` of `@cartlink/linking/node`.
 */
import { Kysely, type LogEvent, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { LinkingDatabase } from './database.js';

/** Options of {@link openPostgresDatabase}. */
export interface PostgresOptions {
  /**
   * Most connections the pool opens. Several instances share the server's `max_connections`, so
   * keep the sum of theirs below it.
   * @default 10
   */
  max?: number;
  /**
   * Told of every statement the database runs (Kysely's `log`), `BEGIN` and `COMMIT` included: for
   * counting statements per request, or logging slow ones. Never give it to a logger as it is: a
   * statement's parameters may hold personal data.
   */
  log?: (event: LogEvent) => void;
}

/**
 * A Kysely instance on a pool of connections to the PostgreSQL database at `url`. Connections open on
 * first use, so a wrong URL or password shows at the first query (run `migrateToLatest` at start-up to
 * find out at once).
 *
 * `DB` defaults to the linking tables; an application passes `LinkingDatabase & ItsOwnTables`.
 * @example
 * ```ts
 * const db = openPostgresDatabase(process.env.DATABASE_URL!, { max: 20 });
 * await migrateToLatest(db);
 * const storage = createSqlStorage(db);
 * ```
 */
export function openPostgresDatabase<DB extends LinkingDatabase = LinkingDatabase>(
  url: string,
  options: PostgresOptions = {},
): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle connection that the server drops (restart, failover) makes the pool emit 'error'; with no
  // listener Node would end the process. The pool has already discarded that connection and opens a
  // new one on demand, so a warning is all that is due.
  pool.on('error', (error) => {
    console.warn(`cartlink: an idle PostgreSQL connection failed and was discarded: ${error.message}`);
  });
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    ...(options.log ? { log: options.log } : {}),
  });
}
