/**
 * @module The client id of a link transaction: during a credential rotation a shop holds two Connect
 * applications, and a link started under one must exchange its code with that one's credentials
 * (a code is bound to the client it was issued to). Nullable: a transaction started before this
 * migration has none, and its code is exchanged with the current set, as it was then.
 */
import type { Kysely } from 'kysely';
import { runAtomically } from './run-atomically.js';

/** Adds `cartlink_link_transactions.client_id`. */
export async function up(migrationDb: Kysely<unknown>): Promise<void> {
  await runAtomically(migrationDb, async (db) => {
    await db.schema.alterTable('cartlink_link_transactions').addColumn('client_id', 'text').execute();
  });
}

/** Drops the column, and with it which application each outstanding link started under. */
export async function down(migrationDb: Kysely<unknown>): Promise<void> {
  await runAtomically(migrationDb, async (db) => {
    await db.schema.alterTable('cartlink_link_transactions').dropColumn('client_id').execute();
  });
}
