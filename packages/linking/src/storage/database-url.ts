/**
 * @module Reading `DATABASE_URL`: which engine, and where. Pure and web-standard, so an application's
 * `env.ts` can validate the variable at start-up before anything is opened.
 */
import { DatabaseUrlError } from './errors.js';

/** Where the linking storage lives, as read from a database URL. */
export type DatabaseLocation =
  /** An embedded SQLite database. */
  | {
      /** The engine. */
      dialect: 'sqlite';
      /** A file path (relative to the working directory) or `:memory:`. */
      path: string;
    }
  /** A PostgreSQL server. */
  | {
      /** The engine. */
      dialect: 'postgres';
      /** The connection string, unchanged. */
      url: string;
    };

const ACCEPTED =
  'use a file path, sqlite:relative/path.db, sqlite:///absolute/path.db, sqlite::memory:, or a postgres:// URL';

// A URL scheme, as RFC 3986 spells it. One letter is left out on purpose: `C:\data\shop.db` is a
// Windows path, not a URL.
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Reads a database URL.
 *
 * Accepted forms: `postgres://…` and `postgresql://…` for PostgreSQL; for SQLite a plain file path
 * (`.data/cartlink.db`, `/var/lib/shop.db`, `:memory:`) or a `sqlite:` URL — `sqlite:relative/path.db`,
 * `sqlite:///absolute/path.db` (percent-escapes decoded) and `sqlite::memory:`.
 *
 * @throws {DatabaseUrlError} for anything else, with one line that names the accepted forms and never
 * repeats the value's credentials.
 * @example
 * ```ts
 * parseDatabaseUrl('sqlite:.data/cartlink.db'); // { dialect: 'sqlite', path: '.data/cartlink.db' }
 * parseDatabaseUrl('postgres://shop@db/shop'); // { dialect: 'postgres', url: 'postgres://shop@db/shop' }
 * ```
 */
export function parseDatabaseUrl(databaseUrl: string): DatabaseLocation {
  const value = databaseUrl.trim();
  if (value === '') {
    throw new DatabaseUrlError(`The database URL is empty: ${ACCEPTED}`);
  }
  if (value === ':memory:') {
    return { dialect: 'sqlite', path: ':memory:' };
  }
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return { dialect: 'sqlite', path: value };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { dialect: 'postgres', url: parsePostgresUrl(value, scheme) };
  }
  if (scheme === 'sqlite') {
    return { dialect: 'sqlite', path: parseSqliteUrl(value) };
  }
  // Only the scheme is quoted: the rest of, say, a mysql:// URL may hold a password.
  throw new DatabaseUrlError(`Unsupported database URL scheme "${scheme}:": ${ACCEPTED}`);
}

function parsePostgresUrl(value: string, scheme: string): string {
  if (!value.slice(scheme.length + 1).startsWith('//') || !URL.canParse(value)) {
    throw new DatabaseUrlError(`The ${scheme}: database URL is malformed: ${ACCEPTED}`);
  }
  return value;
}

function parseSqliteUrl(value: string): string {
  const rest = value.slice('sqlite:'.length);
  if (rest === ':memory:') {
    return ':memory:';
  }
  if (/[?#]/.test(rest)) {
    throw new DatabaseUrlError(
      `The sqlite: database URL "${value}" has a query or fragment, which is not supported: ${ACCEPTED}`,
    );
  }
  let path: string;
  if (rest.startsWith('//')) {
    // `sqlite://host/…` would name a host, which an embedded database cannot have; only the empty host
    // of `sqlite:///absolute/path.db` is meaningful.
    if (!rest.startsWith('///')) {
      throw new DatabaseUrlError(
        `The sqlite: database URL "${value}" names a host: write sqlite:relative/path.db or sqlite:///absolute/path.db`,
      );
    }
    path = rest.slice(2);
  } else {
    path = rest;
  }
  try {
    path = decodeURIComponent(path);
  } catch {
    throw new DatabaseUrlError(
      `The sqlite: database URL "${value}" has a malformed percent-escape: ${ACCEPTED}`,
    );
  }
  if (path === '' || path === '/') {
    throw new DatabaseUrlError(`The sqlite: database URL "${value}" names no file: ${ACCEPTED}`);
  }
  return path;
}
