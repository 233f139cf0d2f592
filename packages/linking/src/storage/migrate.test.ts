import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, Migrator, NO_MIGRATIONS, sql } from 'kysely';
import { afterAll, afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createTestDatabase, isPostgresAvailable } from '../../../../testing/postgres.js';
import { LINKING_TABLES, type LinkingDatabase } from './database.js';
import { MigrationFailedError } from './errors.js';
import {
  createLinkingMigrator,
  LINKING_MIGRATION_LOCK_TABLE,
  LINKING_MIGRATION_TABLE,
  linkingMigrationProvider,
  linkingMigrations,
  migrateToLatest,
} from './migrate.js';
import { openPostgresDatabase } from './postgres-node.js';
import { createSqlStorage } from './sql-storage.js';
import { openSqliteDatabase } from './sqlite-node.js';

/** Every linking migration, in order. */
const ALL = ['0001-initial', '0002-link-transaction-client-id'];

// Without a server the PostgreSQL half skips, and isPostgresAvailable() says why on the console.
const postgresAvailable = await isPostgresAvailable();

/** How to get a fresh, empty database on one engine, and how to see its indexes. */
interface Engine {
  name: string;
  available: boolean;
  /** A new empty database; `open` gives further Kysely instances on the same database. */
  createEmpty(): Promise<{ open(): Kysely<LinkingDatabase>; drop(): Promise<void> }>;
  indexesOf(db: Kysely<LinkingDatabase>, table: string): Promise<string[]>;
}

const sqliteDirectory = mkdtempSync(join(tmpdir(), 'cartlink-migrate-'));
let sqliteFiles = 0;

afterAll(() => {
  rmSync(sqliteDirectory, { recursive: true, force: true });
});

const engines: Engine[] = [
  {
    name: 'SQLite',
    available: true,
    async createEmpty() {
      const file = join(sqliteDirectory, `${++sqliteFiles}.db`);
      return { open: () => openSqliteDatabase(file), drop: async () => rmSync(file, { force: true }) };
    },
    async indexesOf(db, table) {
      const result = await sql<{ name: string }>`
        select name from sqlite_master where type = 'index' and tbl_name = ${table} and sql is not null
        order by name`.execute(db);
      return result.rows.map((row) => row.name);
    },
  },
  {
    name: 'PostgreSQL',
    available: postgresAvailable,
    async createEmpty() {
      const database = await createTestDatabase();
      return { open: () => openPostgresDatabase(database.url, { max: 4 }), drop: () => database.drop() };
    },
    async indexesOf(db, table) {
      // Only the secondary indexes, like SQLite's list above (primary keys are indexes there too).
      const result = await sql<{ indexname: string }>`
        select indexname from pg_indexes where tablename = ${table} and indexname not like '%_pkey'
        order by indexname`.execute(db);
      return result.rows.map((row) => row.indexname);
    },
  },
];

for (const engine of engines) {
  describe.runIf(engine.available)(`migrations on ${engine.name}`, () => {
    const opened: Kysely<LinkingDatabase>[] = [];
    const dropLater: Array<() => Promise<void>> = [];

    async function freshDatabase() {
      const database = await engine.createEmpty();
      dropLater.push(database.drop);
      const open = () => {
        const db = database.open();
        opened.push(db);
        return db;
      };
      return { db: open(), open };
    }

    afterEach(async () => {
      // Connections first: PostgreSQL will not drop a database that is in use.
      await Promise.all(opened.splice(0).map((db) => db.destroy()));
      for (const drop of dropLater.splice(0)) {
        await drop();
      }
    });

    async function tableNames(db: Kysely<LinkingDatabase>): Promise<string[]> {
      const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
      return tables.map((table) => table.name).sort();
    }

    it('creates the cartlink_ tables, with their own migration history, and then has nothing left to do', async () => {
      const { db } = await freshDatabase();
      expect(await migrateToLatest(db)).toEqual(ALL);
      expect(await tableNames(db)).toEqual(
        [...LINKING_TABLES, LINKING_MIGRATION_TABLE, LINKING_MIGRATION_LOCK_TABLE].sort(),
      );
      expect(await migrateToLatest(db)).toEqual([]);
      const history = await db
        .withTables<{ cartlink_migration: { name: string } }>()
        .selectFrom('cartlink_migration')
        .select('name')
        .execute();
      expect(history).toEqual(ALL.map((name) => ({ name })));
    });

    it('adds the client id to a database at 0001, keeping its outstanding link transactions', async () => {
      const { db } = await freshDatabase();
      const { error } = await createLinkingMigrator(db).migrateTo('0001-initial');
      expect(error).toBeUndefined();
      // A link started before the upgrade: no client id was kept then.
      await sql`insert into cartlink_link_transactions
          (state_hash, session_id, user_id, code_verifier, redirect_uri, created_at, expires_at)
          values ('state-before', 'session-1', 'user-1', null, 'https://shop.example/account/profile', 1, 2)`.execute(
        db,
      );
      expect(await migrateToLatest(db)).toEqual(['0002-link-transaction-client-id']);
      const storage = createSqlStorage(db);
      expect(await storage.linkTransactions.consume('state-before')).toMatchObject({
        userId: 'user-1',
        clientId: null,
      });
      await storage.linkTransactions.create({
        stateHash: 'state-after',
        sessionId: 'session-1',
        userId: 'user-1',
        codeVerifier: null,
        redirectUri: 'https://shop.example/account/profile',
        clientId: 'app-next',
        createdAt: new Date(1),
        expiresAt: new Date(2),
      });
      expect((await storage.linkTransactions.consume('state-after'))?.clientId).toBe('app-next');
    });

    it('indexes the ledger by placed_at and the link transactions by expiry', async () => {
      const { db } = await freshDatabase();
      await migrateToLatest(db);
      expect(await engine.indexesOf(db, 'cartlink_delivery_discounts')).toEqual([
        'cartlink_delivery_discounts_placed_at_idx',
      ]);
      expect(await engine.indexesOf(db, 'cartlink_link_transactions')).toEqual([
        'cartlink_link_transactions_expires_at_idx',
      ]);
    });

    it('refuses a ledger entry whose verification is neither fresh nor grace', async () => {
      const { db } = await freshDatabase();
      await migrateToLatest(db);
      const insert = (verification: string) =>
        sql`insert into cartlink_delivery_discounts
            (order_id, user_id, placed_at, waived_cents, currency, instacartplus_member, verified_at, verification)
            values (${`order-${verification}`}, 'user-1', 0, 599, 'USD', ${1}, 0, ${verification})`.execute(
          db,
        );
      await expect(insert('grace')).resolves.toBeDefined();
      await expect(insert('stale')).rejects.toThrow();
    });

    it('names the migration that failed, and leaves none of its tables behind', async () => {
      const { db } = await freshDatabase();
      // A table of the retailer's that happens to take one of our names makes 0001 fail half-way.
      await db.schema.createTable('cartlink_link_records').addColumn('id', 'integer').execute();
      const failure = await migrateToLatest(db).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationFailedError);
      expect(failure).toMatchObject({ code: 'migration_failed', migrationName: '0001-initial' });
      expect((failure as Error).message).toContain('"0001-initial"');
      expect(await tableNames(db)).not.toContain('cartlink_link_transactions');
    });

    it('migrates down and up again', async () => {
      const { db } = await freshDatabase();
      await migrateToLatest(db);
      const { error, results } = await createLinkingMigrator(db).migrateTo(NO_MIGRATIONS);
      expect(error).toBeUndefined();
      expect(results).toEqual(
        [...ALL].reverse().map((migrationName) => ({ migrationName, direction: 'Down', status: 'Success' })),
      );
      for (const table of LINKING_TABLES) {
        expect(await tableNames(db)).not.toContain(table);
      }
      expect(await migrateToLatest(db)).toEqual(ALL);
    });

    it('lets an application run its own migrations beside ours on the same Kysely instance', async () => {
      interface ShopDatabase {
        shop_orders: { id: string; total_cents: number };
      }
      const { db: linkingDb } = await freshDatabase();
      const db = linkingDb as unknown as Kysely<LinkingDatabase & ShopDatabase>;
      const shopMigrator = new Migrator({
        db,
        migrationTableName: 'shop_migration',
        migrationLockTableName: 'shop_migration_lock',
        provider: {
          async getMigrations() {
            return {
              // The same name as ours on purpose: the two histories are separate.
              '0001-initial': {
                async up(migrationDb: Kysely<unknown>) {
                  await migrationDb.schema
                    .createTable('shop_orders')
                    .addColumn('id', 'text', (column) => column.primaryKey())
                    .addColumn('total_cents', 'integer', (column) => column.notNull())
                    .execute();
                },
              },
            };
          },
        },
      });

      await migrateToLatest(db);
      expect((await shopMigrator.migrateToLatest()).error).toBeUndefined();
      expect(await migrateToLatest(db)).toEqual([]);

      // The storage takes the wider database type as it is.
      const storage = createSqlStorage(db);
      expectTypeOf(createSqlStorage<LinkingDatabase & ShopDatabase>).toBeCallableWith(db);
      await storage.transaction(async (inner) => {
        await inner.linkRecords.markLinked('user-1', new Date('2025-04-01T00:00:00.000Z'));
      });
      await db.insertInto('shop_orders').values({ id: 'order-1', total_cents: 1299 }).execute();
      expect(await db.selectFrom('shop_orders').selectAll().execute()).toEqual([
        { id: 'order-1', total_cents: 1299 },
      ]);
      expect(await storage.linkRecords.list()).toHaveLength(1);
    });

    it('serves the migrations through its provider', async () => {
      expect(Object.keys(await linkingMigrationProvider.getMigrations())).toEqual(
        Object.keys(linkingMigrations),
      );
      expect(Object.keys(linkingMigrations)).toEqual(ALL);
    });

    if (engine.name === 'PostgreSQL') {
      it('lets two instances migrate a fresh database at once: one migrates, the other waits and finds it done', async () => {
        const { db: first, open } = await freshDatabase();
        const second = open();
        const outcomes = await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
        expect(outcomes.flat()).toEqual(ALL);
        const history = await sql<{
          name: string;
        }>`select name from cartlink_migration order by name`.execute(first);
        expect(history.rows).toEqual(ALL.map((name) => ({ name })));
      });
    }
  });
}
