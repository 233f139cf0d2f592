import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorageConformance } from './conformance.js';
import { LINKING_TABLES, type LinkingDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';
import { createSqlStorage } from './sql-storage.js';
import { openSqliteDatabase, withStatementCache } from './sqlite-node.js';

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

describe('the prepared-statement cache', () => {
  it('prepares a statement once and reuses it, evicting the least recently used beyond capacity', () => {
    const sqlite = new Database(':memory:');
    const prepared: string[] = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((source: string) => {
      prepared.push(source);
      return prepare(source);
    }) as typeof sqlite.prepare;
    const cached = withStatementCache(sqlite, 2);
    const one = cached.prepare('select 1 as n');
    expect(cached.prepare('select 1 as n')).toBe(one);
    cached.prepare('select 2 as n');
    cached.prepare('select 1 as n'); // touch: now "select 2" is the oldest
    cached.prepare('select 3 as n'); // evicts "select 2"
    expect(cached.prepare('select 1 as n')).toBe(one);
    cached.prepare('select 2 as n');
    expect(prepared).toEqual(['select 1 as n', 'select 2 as n', 'select 3 as n', 'select 2 as n']);
    cached.close();
  });

  it('never hands out a statement that is still iterating', () => {
    const sqlite = new Database(':memory:');
    const cached = withStatementCache(sqlite);
    const first = cached.prepare('select 1 as n union all select 2');
    const iterator = first.iterate([]);
    iterator.next();
    const second = cached.prepare('select 1 as n union all select 2');
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ n: 1 }, { n: 2 }]);
    iterator.return?.();
    cached.close();
  });

  it('serves Kysely queries with the same answers, through migrations and schema changes', async () => {
    const db = openSqliteDatabase(':memory:');
    await migrateToLatest(db);
    const storage = createSqlStorage(db);
    for (let round = 0; round < 3; round++) {
      await storage.linkRecords.markLinked(`user-${round}`, new Date(1_700_000_000_000 + round));
      expect((await storage.linkRecords.list()).map((record) => record.userId)).toHaveLength(round + 1);
    }
    await sql`alter table cartlink_link_records add column note text`.execute(db);
    expect(await storage.linkRecords.get('user-2')).toMatchObject({ userId: 'user-2' });
    await db.destroy();
  });
});
