import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorageConformance } from './conformance';
import { LINKING_TABLES, type LinkingDatabase } from './database';
import { DuplicateDiscountError } from './errors';
import { migrateToLatest } from './migrate';
import { createSqlStorage } from './sql-storage';
import { openSqliteDatabase } from './sqlite-node';
import type { LinkingStorage } from './types';

// One database file for this test file, migrated once; each test empties the tables.
const directory = mkdtempSync(join(tmpdir(), 'cartlink-sqlite-'));
const file = join(directory, 'linking.db');

beforeAll(async () => {
  const db = openSqliteDatabase(file);
  await migrateToLatest(db);
  await db.destroy();
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

async function openEmptyDatabase(): Promise<Kysely<LinkingDatabase>> {
  const db = openSqliteDatabase(file);
  for (const table of LINKING_TABLES) {
    await db.deleteFrom(table).execute();
  }
  return db;
}

runStorageConformance('SQL storage on SQLite', async () => ({
  storage: createSqlStorage(await openEmptyDatabase()),
  async cleanup() {},
}));

describe('SQLite specifics', () => {
  it('opens with WAL, a 5 s busy timeout and foreign keys on', async () => {
    const db = openSqliteDatabase(file);
    try {
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      const timeout = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db);
      const foreignKeys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
      expect(journal.rows).toEqual([{ journal_mode: 'wal' }]);
      expect(timeout.rows).toEqual([{ timeout: 5000 }]);
      expect(foreignKeys.rows).toEqual([{ foreign_keys: 1 }]);
    } finally {
      await db.destroy();
    }
  });

  it('stores timestamps as integer epoch milliseconds and flags as 0/1', async () => {
    const db = await openEmptyDatabase();
    try {
      await createSqlStorage(db).discounts.record({
        orderId: 'order-1',
        userId: 'user-1',
        placedAt: new Date('2025-04-01T00:00:00.001Z'),
        waivedCents: 599,
        currency: 'USD',
        instacartplusMember: true,
        expiredAt: null,
        verifiedAt: new Date('2025-04-01T00:00:00.000Z'),
        verification: 'fresh',
      });
      const stored = await sql<{ placed_at: unknown; kind: string; member: unknown }>`
        select placed_at, typeof(placed_at) as kind, instacartplus_member as member
        from cartlink_delivery_discounts`.execute(db);
      expect(stored.rows).toEqual([
        { placed_at: Date.UTC(2025, 3, 1, 0, 0, 0, 1), kind: 'integer', member: 1 },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('keeps a transaction usable after a duplicate ledger entry is caught inside it', async () => {
    const storage = createSqlStorage(await openEmptyDatabase());
    try {
      await expectDuplicateCaughtInsideTransactionToCommit(storage);
    } finally {
      await storage.close();
    }
  });

  it('closes the SQLite connection on close()', async () => {
    const handle = new Database(file);
    const storage = createSqlStorage(
      new Kysely<LinkingDatabase>({ dialect: new SqliteDialect({ database: handle }) }),
    );
    expect(await storage.linkRecords.list()).toBeInstanceOf(Array);
    expect(handle.open).toBe(true);
    await storage.close();
    expect(handle.open).toBe(false);
  });
});

// The same check runs on PostgreSQL, where it matters most: there a failed INSERT would abort the whole
// transaction. Each engine file keeps its own copy so it reads on its own.
async function expectDuplicateCaughtInsideTransactionToCommit(storage: LinkingStorage): Promise<void> {
  const discount = {
    orderId: 'order-1',
    userId: 'user-1',
    placedAt: new Date('2025-04-01T12:00:00.000Z'),
    waivedCents: 599,
    currency: 'USD',
    instacartplusMember: true,
    expiredAt: null,
    verifiedAt: new Date('2025-04-01T12:00:00.000Z'),
    verification: 'fresh' as const,
  };
  await storage.discounts.record(discount);
  await storage.transaction(async (inner) => {
    await expect(inner.discounts.record(discount)).rejects.toBeInstanceOf(DuplicateDiscountError);
    await inner.linkRecords.markLinked('user-1', new Date('2025-04-01T12:00:00.000Z'));
  });
  expect(await storage.linkRecords.get('user-1')).not.toBeNull();
}
