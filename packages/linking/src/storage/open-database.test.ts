import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, isPostgresAvailable } from '../../../../testing/postgres.js';
import { parseDatabaseUrl } from './database-url.js';
import { DatabaseUrlError } from './errors.js';
import { migrateToLatest } from './migrate.js';
import { type OpenedDatabase, openDatabase } from './open-database-node.js';
import { createSqlStorage } from './sql-storage.js';

const postgresAvailable = await isPostgresAvailable();

describe('parseDatabaseUrl', () => {
  it.each([
    ['.data/cartlink.db', { dialect: 'sqlite', path: '.data/cartlink.db' }],
    ['./cartlink.db', { dialect: 'sqlite', path: './cartlink.db' }],
    ['/var/lib/shop/cartlink.db', { dialect: 'sqlite', path: '/var/lib/shop/cartlink.db' }],
    ['C:\\shop\\cartlink.db', { dialect: 'sqlite', path: 'C:\\shop\\cartlink.db' }],
    [':memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['sqlite:relative/path.db', { dialect: 'sqlite', path: 'relative/path.db' }],
    ['sqlite:./relative.db', { dialect: 'sqlite', path: './relative.db' }],
    ['sqlite:///abs/path.db', { dialect: 'sqlite', path: '/abs/path.db' }],
    ['sqlite:///abs/with%20space.db', { dialect: 'sqlite', path: '/abs/with space.db' }],
    ['sqlite:/abs/path.db', { dialect: 'sqlite', path: '/abs/path.db' }],
    ['sqlite::memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['SQLite:relative.db', { dialect: 'sqlite', path: 'relative.db' }],
    ['  sqlite:padded.db\n', { dialect: 'sqlite', path: 'padded.db' }],
    [
      'postgres://shop:secret@db.internal:5432/shop',
      { dialect: 'postgres', url: 'postgres://shop:secret@db.internal:5432/shop' },
    ],
    [
      'postgresql://shop@localhost/shop?sslmode=require',
      { dialect: 'postgres', url: 'postgresql://shop@localhost/shop?sslmode=require' },
    ],
  ])('reads %j', (input, expected) => {
    expect(parseDatabaseUrl(input)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['mysql://root:hunter2@localhost/shop', 'scheme "mysql:"'],
    ['mariadb://localhost/shop', 'scheme "mariadb:"'],
    ['http://example.com/db', 'scheme "http:"'],
    ['file:///var/lib/cartlink.db', 'scheme "file:"'],
    ['postgres:shop', 'malformed'],
    ['postgres://[broken', 'malformed'],
    ['sqlite:', 'names no file'],
    ['sqlite:///', 'names no file'],
    ['sqlite://host/path.db', 'names a host'],
    ['sqlite:cartlink.db?mode=ro', 'query or fragment'],
    ['sqlite:%E0%A4%A.db', 'percent-escape'],
  ])('rejects %j with one clear line', (input, reason) => {
    let caught: unknown;
    try {
      parseDatabaseUrl(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DatabaseUrlError);
    const error = caught as DatabaseUrlError;
    expect(error.code).toBe('invalid_database_url');
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain('\n');
    // Credentials in a rejected URL must not reach the logs.
    expect(error.message).not.toContain('hunter2');
  });
});

describe('openDatabase', () => {
  const directory = mkdtempSync(join(tmpdir(), 'cartlink-open-'));
  const opened: OpenedDatabase[] = [];

  function open(databaseUrl: string): OpenedDatabase {
    const database = openDatabase(databaseUrl);
    opened.push(database);
    return database;
  }

  /** Proves the database works: migrate, write, read back. */
  async function expectUsable({ db }: OpenedDatabase): Promise<void> {
    await migrateToLatest(db);
    const storage = createSqlStorage(db);
    const linkedAt = new Date('2025-04-01T00:00:00.000Z');
    await storage.linkRecords.markLinked('user-1', linkedAt);
    expect(await storage.linkRecords.get('user-1')).toEqual({ userId: 'user-1', linkedAt });
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map(({ db }) => db.destroy()));
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('opens a file path, creating its missing parent directories', async () => {
    const file = join(directory, 'plain', 'nested', 'cartlink.db');
    const database = open(file);
    expect(database.dialect).toBe('sqlite');
    expect(existsSync(join(directory, 'plain', 'nested'))).toBe(true);
    await expectUsable(database);
    expect(existsSync(file)).toBe(true);
  });

  it('opens sqlite:relative/path.db relative to the working directory', async () => {
    const file = join(directory, 'relative', 'cartlink.db');
    const database = open(`sqlite:${relative(process.cwd(), file)}`);
    expect(database.dialect).toBe('sqlite');
    await expectUsable(database);
    expect(existsSync(file)).toBe(true);
  });

  it('opens sqlite:///absolute/path.db', async () => {
    const file = join(directory, 'absolute', 'cartlink.db');
    const database = open(`sqlite://${file}`);
    expect(database.dialect).toBe('sqlite');
    await expectUsable(database);
    expect(existsSync(file)).toBe(true);
  });

  it('opens sqlite::memory: without touching the disk', async () => {
    const database = open('sqlite::memory:');
    expect(database.dialect).toBe('sqlite');
    await expectUsable(database);
    expect(existsSync(':memory:')).toBe(false);
  });

  it('throws DatabaseUrlError for an unsupported URL, opening nothing', () => {
    expect(() => openDatabase('mysql://localhost/shop')).toThrow(DatabaseUrlError);
    expect(() => openDatabase('')).toThrow(DatabaseUrlError);
  });

  it('gives a postgresql:// URL to PostgreSQL, connecting only on the first query', async () => {
    // Port 1 has no server: the pool only connects on the first query.
    const database = open('postgresql://nobody@127.0.0.1:1/nothing');
    expect(database.dialect).toBe('postgres');
  });

  it.runIf(postgresAvailable)('opens a postgres:// URL', async () => {
    const testDatabase = await createTestDatabase();
    try {
      const database = open(testDatabase.url);
      expect(database.dialect).toBe('postgres');
      await expectUsable(database);
    } finally {
      await Promise.all(opened.splice(0).map(({ db }) => db.destroy()));
      await testDatabase.drop();
    }
  });
});
