import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, isPostgresAvailable } from '../../../../testing/postgres.js';
import { LinkingConfigError } from '../errors.js';
import { type OpenedDatabase, openDatabase, openLinkingStorage } from '../node.js';
import { parseDatabaseUrl } from './database-url.js';
import { DatabaseUrlError } from './errors.js';
import { importEngine } from './import-engine.js';
import { migrateToLatest } from './migrate.js';
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

  async function open(databaseUrl: string): Promise<OpenedDatabase> {
    const database = await openDatabase(databaseUrl);
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
    const database = await open(file);
    expect(database.dialect).toBe('sqlite');
    expect(existsSync(join(directory, 'plain', 'nested'))).toBe(true);
    await expectUsable(database);
    expect(existsSync(file)).toBe(true);
  });

  it('opens sqlite:relative/path.db relative to the working directory', async () => {
    const file = join(directory, 'relative', 'cartlink.db');
    const database = await open(`sqlite:${relative(process.cwd(), file)}`);
    expect(database.dialect).toBe('sqlite');
    await expectUsable(database);
    expect(existsSync(file)).toBe(true);
  });

  it('opens sqlite:///absolute/path.db', async () => {
    const file = join(directory, 'absolute', 'cartlink.db');
    const database = await open(`sqlite://${file}`);
    expect(database.dialect).toBe('sqlite');
    await expectUsable(database);
    expect(existsSync(file)).toBe(true);
  });

  it('opens sqlite::memory: without touching the disk', async () => {
    const database = await open('sqlite::memory:');
    expect(database.dialect).toBe('sqlite');
    await expectUsable(database);
    expect(existsSync(':memory:')).toBe(false);
  });

  it('rejects an unsupported URL with DatabaseUrlError, opening nothing', async () => {
    await expect(openDatabase('mysql://localhost/shop')).rejects.toThrow(DatabaseUrlError);
    await expect(openDatabase('')).rejects.toThrow(DatabaseUrlError);
  });

  it('opens and migrates in one call with openLinkingStorage', async () => {
    const { storage, db, dialect } = await openLinkingStorage('sqlite::memory:');
    try {
      expect(dialect).toBe('sqlite');
      const linkedAt = new Date('2025-04-01T00:00:00.000Z');
      await storage.linkRecords.markLinked('user-1', linkedAt);
      expect(await storage.linkRecords.get('user-1')).toEqual({ userId: 'user-1', linkedAt });
    } finally {
      await db.destroy();
    }
  });

  it('gives a postgresql:// URL to PostgreSQL, connecting only on the first query', async () => {
    // Port 1 has no server: the pool only connects on the first query.
    const database = await open('postgresql://nobody@127.0.0.1:1/nothing');
    expect(database.dialect).toBe('postgres');
  });

  it.runIf(postgresAvailable)('opens a postgres:// URL', async () => {
    const testDatabase = await createTestDatabase();
    try {
      const database = await open(testDatabase.url);
      expect(database.dialect).toBe('postgres');
      await expectUsable(database);
    } finally {
      await Promise.all(opened.splice(0).map(({ db }) => db.destroy()));
      await testDatabase.drop();
    }
  });
});

describe('importEngine', () => {
  /** What Node.js throws for an import of a package that is not installed. */
  function notInstalled(name: string): Error {
    return Object.assign(
      new Error(`Cannot find package '${name}' imported from /shop/node_modules/@cartlink/linking/dist/x.js`),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
  }

  it('says which driver to install when the engine names a missing one', async () => {
    const failed = importEngine(() => Promise.reject(notInstalled('pg')), 'pg');
    await expect(failed).rejects.toBeInstanceOf(LinkingConfigError);
    await expect(failed).rejects.toThrow(
      'The database URL names a PostgreSQL database, but its driver is not installed: run npm i pg',
    );
    await expect(
      importEngine(() => Promise.reject(notInstalled('better-sqlite3')), 'better-sqlite3'),
    ).rejects.toThrow(/a SQLite database.*npm i better-sqlite3$/);
  });

  it('rethrows any other failure as it is', async () => {
    const broken = new Error('Could not locate the bindings file');
    await expect(importEngine(() => Promise.reject(broken), 'better-sqlite3')).rejects.toBe(broken);
    const otherPackage = notInstalled('left-pad');
    await expect(importEngine(() => Promise.reject(otherPackage), 'pg')).rejects.toBe(otherPackage);
  });

  it('returns the module when it loads', async () => {
    await expect(importEngine(async () => ({ loaded: true }), 'pg')).resolves.toEqual({ loaded: true });
  });
});
