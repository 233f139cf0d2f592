import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  isPostgresAvailable,
  POSTGRES_ADMIN_URL,
  type TestDatabase,
} from '../../../../testing/postgres.js';
import { runStorageConformance } from './conformance.js';
import { LINKING_TABLES, type LinkingDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';
import { openPostgresDatabase } from './postgres-node.js';
import { createSqlStorage } from './sql-storage.js';

// Without a server this skips, and isPostgresAvailable() says why on the console (under CI=true it throws).
const available = await isPostgresAvailable();

describe.runIf(available)('PostgreSQL', () => {
  // One throwaway database for this file, migrated once; each test empties the tables.
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = openPostgresDatabase(database.url);
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function openEmptyDatabase(max = 8): Promise<Kysely<LinkingDatabase>> {
    const db = openPostgresDatabase(database.url, { max });
    for (const table of LINKING_TABLES) {
      await db.deleteFrom(table).execute();
    }
    return db;
  }

  // Eight connections: the 20 concurrent consume() calls of the suite race on separate sessions.
  runStorageConformance('SQL storage on PostgreSQL', async () => ({
    storage: createSqlStorage(await openEmptyDatabase()),
    async cleanup() {},
  }));

  describe('PostgreSQL specifics', () => {
    it('hands a state to one winner when the 20 consumers really run on separate connections', async () => {
      await (await openEmptyDatabase()).destroy();
      const pool = new pg.Pool({ connectionString: database.url, max: 20 });
      const storage = createSqlStorage(
        new Kysely<LinkingDatabase>({ dialect: new PostgresDialect({ pool }) }),
      );
      try {
        await storage.linkTransactions.create({
          stateHash: 'state-race',
          sessionId: 'session-1',
          userId: 'user-1',
          codeVerifier: null,
          redirectUri: 'http://localhost:3000/account/profile',
          createdAt: new Date('2025-04-01T10:00:00.000Z'),
          expiresAt: new Date('2025-04-01T10:10:00.000Z'),
        });
        const results = await Promise.all(
          Array.from({ length: 20 }, () => storage.linkTransactions.consume('state-race')),
        );
        expect(results.filter((result) => result !== null)).toHaveLength(1);
        // Proof that the race was not serialised on one connection.
        expect(pool.totalCount).toBeGreaterThan(1);
      } finally {
        await storage.close();
      }
    });

    it('stores timestamps as bigint epoch milliseconds and flags as boolean', async () => {
      const db = await openEmptyDatabase();
      try {
        const columns = await sql<{ column_name: string; data_type: string }>`
          select column_name, data_type from information_schema.columns
          where table_name = 'cartlink_delivery_discounts' order by column_name`.execute(db);
        expect(Object.fromEntries(columns.rows.map((row) => [row.column_name, row.data_type]))).toEqual({
          currency: 'text',
          expired_at: 'bigint',
          instacartplus_member: 'boolean',
          order_id: 'text',
          placed_at: 'bigint',
          user_id: 'text',
          verification: 'text',
          verified_at: 'bigint',
          waived_cents: 'integer',
        });
      } finally {
        await db.destroy();
      }
    });

    it('releases every connection on close()', async () => {
      const storage = createSqlStorage(await openEmptyDatabase());
      await Promise.all(Array.from({ length: 4 }, () => storage.linkRecords.list()));
      expect(await countConnections()).toBeGreaterThan(0);
      await storage.close();
      // The server notices a closed connection asynchronously; give it a moment.
      await expect.poll(countConnections).toBe(0);
    });
  });

  async function countConnections(): Promise<number> {
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      const name = new URL(database.url).pathname.slice(1);
      const result = await admin.query<{ count: string }>(
        'select count(*) as count from pg_stat_activity where datname = $1',
        [name],
      );
      return Number(result.rows[0]?.count);
    } finally {
      await admin.end();
    }
  }
});
