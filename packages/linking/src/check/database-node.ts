/**
 * @module The `database` check, on Node.js: the database `DATABASE_URL` names is reachable and its
 * linking tables are migrated. It opens the database with `openDatabase` of
 * `@cartlink/linking/node`, so a missing driver (`better-sqlite3`, `pg`) is reported as the shop would
 * meet it, as a failed line naming the package to install. It only reads: the migration history is
 * listed, never run, and a SQLite file that does not exist is reported rather than created.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LinkingConfigError } from '../errors.js';
import { type OpenDatabaseOptions, type OpenedDatabase, openDatabase } from '../node.js';
import { parseDatabaseUrl } from '../storage/database-url.js';
import { DatabaseUrlError } from '../storage/errors.js';
import { createLinkingMigrator } from '../storage/migrate.js';
import { describeError } from './http.js';
import { type CheckSettings, describeProblems } from './settings.js';
import type { Check, CheckOutcome } from './types.js';

/** How long the database may take to answer (connecting included) before it counts as unreachable. */
export const DATABASE_TIMEOUT_MS = 10_000;

/** Options of {@link createDatabaseCheck}. */
export interface DatabaseCheckOptions {
  /** The configuration as read; `databaseUrl` is the one looked at. */
  settings: CheckSettings;
  /** Opens the database; a test passes one whose driver is missing. @default openDatabase of `./node` */
  openDatabase?: (url: string, options: OpenDatabaseOptions) => Promise<OpenedDatabase>;
  /** @default DATABASE_TIMEOUT_MS */
  timeoutMs?: number;
}

/** A database URL fit to print: a PostgreSQL password is masked. */
function maskPassword(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.href;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const NOT_MIGRATED_FIX =
  'start the shop once (openLinkingStorage runs the migrations at start-up), or run migrateToLatest(db) from @cartlink/linking';

/** The `database` line. */
export function createDatabaseCheck(options: DatabaseCheckOptions): Check {
  const { settings } = options;
  const open = options.openDatabase ?? openDatabase;
  const timeoutMs = options.timeoutMs ?? DATABASE_TIMEOUT_MS;
  return {
    id: 'database',
    async run(): Promise<CheckOutcome> {
      const problem = describeProblems(settings, ['DATABASE_URL']);
      if (problem || settings.databaseUrl === undefined) {
        return {
          status: 'fail',
          summary: problem?.summary ?? 'DATABASE_URL: is required',
          fix: problem?.fix ?? 'set DATABASE_URL',
        };
      }
      let location: ReturnType<typeof parseDatabaseUrl>;
      try {
        location = parseDatabaseUrl(settings.databaseUrl);
      } catch (error) {
        if (!(error instanceof DatabaseUrlError)) throw error;
        return {
          status: 'fail',
          summary: `DATABASE_URL: ${error.message}`,
          fix: 'set DATABASE_URL to the database the shop uses',
        };
      }
      if (location.dialect === 'sqlite' && location.path === ':memory:') {
        return {
          status: 'pass',
          summary:
            'an in-memory SQLite database lives, and is migrated, inside the shop process: nothing to reach from here',
        };
      }
      const engine = location.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      const name = location.dialect === 'sqlite' ? resolve(location.path) : maskPassword(location.url);
      // Opening a SQLite file that does not exist would create it: a check leaves nothing behind.
      if (location.dialect === 'sqlite' && !existsSync(name)) {
        return {
          status: 'fail',
          summary: `the SQLite database ${name} does not exist`,
          fix: "set DATABASE_URL to the shop's database (a relative path is read from the working directory), or start the shop once to create it",
        };
      }

      let opened: OpenedDatabase;
      try {
        opened = await open(settings.databaseUrl, { max: 1 });
      } catch (error) {
        if (error instanceof LinkingConfigError) {
          const driver = location.dialect === 'sqlite' ? 'better-sqlite3' : 'pg';
          return {
            status: 'fail',
            summary: error.message,
            fix: `install the ${engine} driver beside @cartlink/linking: npm i ${driver}`,
          };
        }
        return {
          status: 'fail',
          summary: `cannot open the ${engine} database ${name}: ${describeError(error)}`,
          fix: 'check DATABASE_URL and that the database is readable by this user',
        };
      }
      try {
        const migrations = await withTimeout(createLinkingMigrator(opened.db).getMigrations(), timeoutMs);
        const pending = migrations.filter((migration) => migration.executedAt === undefined);
        if (pending.length > 0) {
          return {
            status: 'fail',
            summary: `the ${engine} database ${name} is reachable but not migrated: ${pending.length} of ${migrations.length} linking migrations have not run (${pending.map((migration) => migration.name).join(', ')})`,
            fix: NOT_MIGRATED_FIX,
          };
        }
        return {
          status: 'pass',
          summary: `the ${engine} database ${name} is reachable and its linking tables are migrated (${migrations.map((migration) => migration.name).join(', ')})`,
        };
      } catch (error) {
        return {
          status: 'fail',
          summary: `cannot reach the ${engine} database ${name}: ${describeError(error)}`,
          fix: 'check DATABASE_URL, and that the database server is running and reachable from this machine',
        };
      } finally {
        // A pool still trying to connect may take its time to close: the report does not wait for it.
        await withTimeout(opened.db.destroy(), 2_000).catch(() => undefined);
      }
    },
  };
}
