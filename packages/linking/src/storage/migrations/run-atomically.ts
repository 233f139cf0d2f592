/**
 * @module A helper for migrations: run the schema changes in one transaction on every engine.
 */
import type { Kysely } from 'kysely';

/**
 * Runs `change` in a transaction. On PostgreSQL Kysely's `Migrator` already hands the migration a
 * transaction; on SQLite it does not (its adapter declares no transactional DDL, although SQLite has
 * it), so a migration failing half-way would leave some tables behind and fail again on every retry.
 */
export async function runAtomically(db: Kysely<unknown>, change: (db: Kysely<unknown>) => Promise<void>) {
  if (db.isTransaction) {
    await change(db);
    return;
  }
  await db.transaction().execute(change);
}
