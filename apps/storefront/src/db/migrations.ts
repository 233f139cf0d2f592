/**
 * @module Migrations of the storefront's own tables. They keep their own history (`shop_migration`),
 * separate from the linking tables' (`cartlink_migration`), and run after the linking migrations on the
 * same Kysely instance. Kysely's `Migrator` locks on PostgreSQL, so several instances may start at once.
 */
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { rateLimitTableMigration } from '../rate-limits.js';

/** Runs `change` in one transaction, also on SQLite, where Kysely's Migrator does not open one. */
async function atomically(
  db: Kysely<unknown>,
  change: (db: Kysely<unknown>) => Promise<void>,
): Promise<void> {
  if (db.isTransaction) {
    await change(db);
    return;
  }
  await db.transaction().execute(change);
}

const initial: Migration = {
  async up(migrationDb) {
    await atomically(migrationDb, async (db) => {
      await db.schema
        .createTable('shop_users')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('email', 'text', (column) => column.notNull().unique())
        .addColumn('first_name', 'text', (column) => column.notNull())
        .addColumn('last_name', 'text', (column) => column.notNull())
        .addColumn('password_hash', 'text', (column) => column.notNull())
        .addColumn('role', 'text', (column) => column.notNull().check(sql`role in ('shopper', 'admin')`))
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('shop_sessions')
        .addColumn('id_hash', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.references('shop_users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (column) => column.notNull())
        .addColumn('flash', 'text')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', 'bigint', (column) => column.notNull())
        .execute();
      // Expired sessions are purged now and then; this keeps that from scanning the table.
      await db.schema
        .createIndex('shop_sessions_expires_at_idx')
        .on('shop_sessions')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('shop_cart_items')
        .addColumn('user_id', 'text', (column) =>
          column.notNull().references('shop_users.id').onDelete('cascade'),
        )
        .addColumn('product_id', 'text', (column) => column.notNull())
        .addColumn('quantity', 'integer', (column) => column.notNull().check(sql`quantity > 0`))
        .addColumn('added_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('shop_cart_items_pk', ['user_id', 'product_id'])
        .execute();

      await db.schema
        .createTable('shop_orders')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull().references('shop_users.id'))
        .addColumn('placed_at', 'bigint', (column) => column.notNull())
        .addColumn('currency', 'text', (column) => column.notNull())
        .addColumn('subtotal_cents', 'integer', (column) => column.notNull())
        .addColumn('delivery_fee_cents', 'integer', (column) => column.notNull())
        .addColumn('delivery_charged_cents', 'integer', (column) => column.notNull())
        .addColumn('total_cents', 'integer', (column) => column.notNull())
        .addColumn('discount_verification', 'text', (column) =>
          column.check(sql`discount_verification is null or discount_verification in ('fresh', 'grace')`),
        )
        .execute();
      await db.schema
        .createIndex('shop_orders_user_placed_idx')
        .on('shop_orders')
        .columns(['user_id', 'placed_at'])
        .execute();

      await db.schema
        .createTable('shop_order_items')
        .addColumn('order_id', 'text', (column) =>
          column.notNull().references('shop_orders.id').onDelete('cascade'),
        )
        .addColumn('line', 'integer', (column) => column.notNull())
        .addColumn('product_id', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('unit_price_cents', 'integer', (column) => column.notNull())
        .addColumn('quantity', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('shop_order_items_pk', ['order_id', 'line'])
        .execute();
    });
  },
  async down(migrationDb) {
    await atomically(migrationDb, async (db) => {
      for (const table of [
        'shop_order_items',
        'shop_orders',
        'shop_cart_items',
        'shop_sessions',
        'shop_users',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    });
  },
};

/** "Sign out everywhere" deletes a user's sessions by `user_id`: an index, not a scan of every session. */
const sessionsByUser: Migration = {
  async up(db) {
    await db.schema.createIndex('shop_sessions_user_id_idx').on('shop_sessions').column('user_id').execute();
  },
  async down(db) {
    await db.schema.dropIndex('shop_sessions_user_id_idx').execute();
  },
};

/** The storefront's migrations, run in the order of their names. */
export const storefrontMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': initial,
  '0002-rate-limits': rateLimitTableMigration,
  '0003-sessions-by-user': sessionsByUser,
});

/** Brings the storefront's tables up to date (after the linking tables'). Safe on every start. */
export async function migrateStorefront<DB>(db: Kysely<DB>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...storefrontMigrations }) },
    migrationTableName: 'shop_migration',
    migrationLockTableName: 'shop_migration_lock',
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw new Error(
      `Migrating the storefront tables failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}
