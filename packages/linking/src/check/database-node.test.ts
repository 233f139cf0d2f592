import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, isPostgresAvailable } from '../../../../testing/postgres.js';
import { findFreePort } from '../../../../testing/processes.js';
import { LinkingConfigError } from '../errors.js';
import { openLinkingStorage } from '../node.js';
import { createDatabaseCheck, type DatabaseCheckOptions } from './database-node.js';
import { runChecks } from './run-checks.js';
import { readCheckSettings } from './settings.js';

const postgresAvailable = await isPostgresAvailable();
const directory = mkdtempSync(join(tmpdir(), 'cartlink-check-db-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function checkDatabase(databaseUrl: string | undefined, options: Partial<DatabaseCheckOptions> = {}) {
  const settings = readCheckSettings(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }, {
    demo: false,
  });
  const report = await runChecks([createDatabaseCheck({ settings, ...options })]);
  const [line] = report.checks;
  if (line === undefined) throw new Error('no line');
  return line;
}

describe('the database check', () => {
  it('passes on a migrated SQLite database', async () => {
    const path = join(directory, 'migrated.db');
    const { storage } = await openLinkingStorage(path);
    await storage.close();
    const line = await checkDatabase(`sqlite:${path}`);
    expect(line).toMatchObject({ id: 'database', ok: true });
    expect(line.summary).toContain('0001-initial');
  });

  it('fails on an empty SQLite file, names the migrations missing, and does not migrate it', async () => {
    const path = join(directory, 'empty.db');
    writeFileSync(path, '');
    const line = await checkDatabase(path);
    expect(line.ok).toBe(false);
    expect(line.summary).toMatch(
      /not migrated: 2 of 2 linking migrations have not run \(0001-initial, 0002-link-transaction-client-id\)/,
    );
    expect(line.fix).toMatch(/migrateToLatest|start the shop once/);
    const sqlite = new Database(path);
    expect(sqlite.prepare("select count(*) as n from sqlite_master where type = 'table'").get()).toEqual({
      n: 0,
    });
    sqlite.close();
  });

  it('fails on a SQLite file that does not exist, and does not create it', async () => {
    const path = join(directory, 'nowhere', 'shop.db');
    const line = await checkDatabase(path);
    expect(line).toMatchObject({ ok: false, summary: `the SQLite database ${path} does not exist` });
    expect(existsSync(join(directory, 'nowhere'))).toBe(false);
  });

  it('fails when DATABASE_URL is unset or names no engine, saying what to set', async () => {
    expect(await checkDatabase(undefined)).toMatchObject({ ok: false, summary: 'DATABASE_URL: is required' });
    const line = await checkDatabase('mysql://root:hunter2@db/shop');
    expect(line.ok).toBe(false);
    expect(line.summary).toContain('Unsupported database URL scheme "mysql:"');
    expect(JSON.stringify(line)).not.toContain('hunter2');
  });

  it('fails on a PostgreSQL server that does not answer, without printing the password', async () => {
    const port = await findFreePort();
    const line = await checkDatabase(`postgres://shop:hunter2@127.0.0.1:${port}/shop`);
    expect(line.ok).toBe(false);
    expect(line.summary).toContain(
      `cannot reach the PostgreSQL database postgres://shop:***@127.0.0.1:${port}/shop`,
    );
    expect(line.summary).toContain('ECONNREFUSED');
    expect(JSON.stringify(line)).not.toContain('hunter2');
  });

  it('reports a missing driver as a failed line naming the package to install, not a crash', async () => {
    const line = await checkDatabase('postgres://shop@127.0.0.1/shop', {
      openDatabase: async () => {
        throw new LinkingConfigError(
          'The database URL names a PostgreSQL database, but its driver is not installed: run npm i pg',
        );
      },
    });
    expect(line).toMatchObject({
      ok: false,
      fix: 'install the PostgreSQL driver beside @cartlink/linking: npm i pg',
    });
    expect(line.summary).toContain('driver is not installed');
  });

  it('counts a database that does not answer in time as unreachable', async () => {
    const path = join(directory, 'slow.db');
    writeFileSync(path, '');
    const line = await checkDatabase(path, {
      timeoutMs: 50,
      openDatabase: async (url, options) => {
        const { openDatabase } = await import('../node.js');
        const opened = await openDatabase(url, options);
        // A database whose every query hangs.
        const hanging = new Proxy(opened.db, {
          get: (target, key) =>
            key === 'introspection'
              ? { getTables: () => new Promise(() => {}) }
              : Reflect.get(target, key, target),
        });
        return { ...opened, db: hanging };
      },
    });
    expect(line).toMatchObject({ ok: false });
    expect(line.summary).toMatch(/cannot reach the SQLite database .*: no answer within 50 ms/);
  });

  it('passes an in-memory database, which only the shop process can see', async () => {
    expect(await checkDatabase(':memory:')).toMatchObject({ ok: true });
  });

  describe.skipIf(!postgresAvailable)('on PostgreSQL', () => {
    it('fails before the migrations and passes after them', async () => {
      const database = await createTestDatabase();
      try {
        const before = await checkDatabase(database.url);
        expect(before.ok).toBe(false);
        expect(before.summary).toContain('not migrated');
        const { storage } = await openLinkingStorage(database.url, { max: 1 });
        await storage.close();
        expect(await checkDatabase(database.url)).toMatchObject({ ok: true });
      } finally {
        await database.drop();
      }
    });
  });
});
