/**
 * @module The first schema of the linking tables. Written with Kysely's schema builder and only the
 * column types both engines understand alike: `text`, `integer`, `bigint` (UTC epoch milliseconds, see
 * `../database.ts`) and `boolean`.
 */
import { type Kysely, sql } from 'kysely';
import { runAtomically } from './run-atomically.js';

/** Creates the linking tables. */
export async function up(migrationDb: Kysely<unknown>): Promise<void> {
  await runAtomically(migrationDb, createTables);
}

/** Drops the linking tables, and with them every row. */
export async function down(migrationDb: Kysely<unknown>): Promise<void> {
  await runAtomically(migrationDb, async (db) => {
    await db.schema.dropTable('cartlink_delivery_discounts').execute();
    await db.schema.dropTable('cartlink_link_records').execute();
    await db.schema.dropTable('cartlink_membership_verifications').execute();
    await db.schema.dropTable('cartlink_link_transactions').execute();
  });
}

async function createTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cartlink_link_transactions')
    .addColumn('state_hash', 'text', (column) => column.primaryKey())
    .addColumn('session_id', 'text', (column) => column.notNull())
    .addColumn('user_id', 'text', (column) => column.notNull())
    .addColumn('code_verifier', 'text')
    .addColumn('redirect_uri', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
  // deleteExpired runs periodically; without this it reads the whole table each time.
  await db.schema
    .createIndex('cartlink_link_transactions_expires_at_idx')
    .on('cartlink_link_transactions')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('cartlink_membership_verifications')
    .addColumn('user_id', 'text', (column) => column.primaryKey())
    .addColumn('result', 'text', (column) =>
      column.notNull().check(sql`result in ('linked', 'not-linked', 'user-not-found', 'user-not-active')`),
    )
    .addColumn('instacartplus_member', 'boolean', (column) => column.notNull())
    .addColumn('expired_at', 'bigint')
    .addColumn('verified_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('cartlink_link_records')
    .addColumn('user_id', 'text', (column) => column.primaryKey())
    .addColumn('linked_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('cartlink_delivery_discounts')
    .addColumn('order_id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull())
    .addColumn('placed_at', 'bigint', (column) => column.notNull())
    .addColumn('waived_cents', 'integer', (column) => column.notNull().check(sql`waived_cents >= 0`))
    .addColumn('currency', 'text', (column) => column.notNull())
    .addColumn('instacartplus_member', 'boolean', (column) => column.notNull())
    .addColumn('expired_at', 'bigint')
    .addColumn('verified_at', 'bigint', (column) => column.notNull())
    .addColumn('verification', 'text', (column) =>
      column.notNull().check(sql`verification in ('fresh', 'grace')`),
    )
    .execute();
  // The reconciliation report reads the ledger by billing period.
  await db.schema
    .createIndex('cartlink_delivery_discounts_placed_at_idx')
    .on('cartlink_delivery_discounts')
    .column('placed_at')
    .execute();
}
