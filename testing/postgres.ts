/**
 * @module A throwaway PostgreSQL database per test file. Without a server the PostgreSQL suites say so
 * and skip, except under `CI=true`, where a missing server fails the run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server's administrative database; override with `TEST_POSTGRES_URL`. */
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** True when the server answers. Under `CI=true` an absent server throws instead. */
export async function isPostgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL is required under CI=true but ${POSTGRES_ADMIN_URL} did not answer`, {
        cause: error,
      });
    }
    console.warn(`PostgreSQL at ${POSTGRES_ADMIN_URL} did not answer: skipping the PostgreSQL suites.`);
    return false;
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database with a unique name (`<prefix>_<pid>_<random>`; the bench passes its own
 * prefix) and returns its URL and a function that drops it.
 */
export async function createTestDatabase(prefix = 'cartlink_test'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
