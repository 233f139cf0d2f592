/**
 * @module Migrations of the linking tables, run by Kysely's `Migrator` from an in-code provider (no
 * file-system access, so it works wherever Kysely does).
 *
 * The linking tables keep their own migration history in `cartlink_migration`. An application that
 * adds tables to the same database runs its own `Migrator` with its own `migrationTableName`, on the
 * same Kysely instance, after {@link migrateToLatest}: two histories never confuse each other.
 *
 * Several instances may start at once: on PostgreSQL Kysely's `Migrator` takes a session-level advisory
 * lock (`pg_advisory_lock`) around the migration transaction, so one instance migrates and the others
 * wait and then find nothing to do. SQLite is for a single instance: Kysely serialises the work of
 * one Kysely instance on its one connection, but it takes no lock there, so two processes migrating one
 * SQLite file at the same moment are not supported.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { MigrationFailedError } from './errors.js';
import * as initial from './migrations/0001-initial.js';
import * as linkTransactionClientId from './migrations/0002-link-transaction-client-id.js';

/** The table that records which linking migrations have run. */
export const LINKING_MIGRATION_TABLE = 'cartlink_migration';

/** The lock table Kysely's `Migrator` keeps beside {@link LINKING_MIGRATION_TABLE}. */
export const LINKING_MIGRATION_LOCK_TABLE = 'cartlink_migration_lock';

/**
 * Every migration of the linking tables, by name. Kysely runs them in the alphabetical order of their
 * names, so a new migration takes the next number.
 */
export const linkingMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': initial,
  '0002-link-transaction-client-id': linkTransactionClientId,
});

/** A Kysely `MigrationProvider` that serves {@link linkingMigrations}. */
export const linkingMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return { ...linkingMigrations };
  },
};

/**
 * A `Migrator` for the linking tables, for what {@link migrateToLatest} does not do (migrating down,
 * listing what has run).
 */
export function createLinkingMigrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db,
    provider: linkingMigrationProvider,
    migrationTableName: LINKING_MIGRATION_TABLE,
    migrationLockTableName: LINKING_MIGRATION_LOCK_TABLE,
  });
}

/**
 * Brings the linking tables up to date. Safe to call on every start-up, and from several instances at
 * once on PostgreSQL. Each migration's schema changes run in one transaction on both engines, so a
 * failed migration leaves nothing half-done behind. (On PostgreSQL the history row is written in that
 * same transaction; on SQLite Kysely writes it just after, so only a crash between the two would need
 * a hand to repair.)
 *
 * @returns the names of the migrations that ran now (empty when already up to date).
 * @throws {MigrationFailedError} naming the migration that failed, with the database error as `cause`.
 * @example
 * ```ts
 * const { db } = await openDatabase(env.DATABASE_URL); // from @cartlink/linking/node
 * await migrateToLatest(db);
 * const storage = createSqlStorage(db);
 * ```
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const { error, results = [] } = await createLinkingMigrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    throw new MigrationFailedError(failed?.migrationName ?? null, error);
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
