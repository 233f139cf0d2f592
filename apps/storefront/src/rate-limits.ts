/**
 * @module Throttling with `rate-limiter-flexible`: sign-in attempts per account and per client
 * address, and link starts per session, each a fixed number in a fixed window. On SQLite (one
 * instance) the counts live in memory; on PostgreSQL they live in the `shop_rate_limits` table, so
 * every instance on the database counts against one limit. A database error falls back to an
 * in-memory count for that instance (the insurance limiter): the shop keeps limiting, if less
 * precisely, instead of failing every sign-in.
 *
 * Keys are SHA-256 hashes of the normalized email, the address's network and the session id hash, so
 * the table holds neither emails nor IP addresses.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#protect-against-automated-attacks
 */
import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely, type Migration, sql } from 'kysely';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { addressLimitKey } from './client-address.js';
import type { Logger } from './logger.js';
import { normalizeEmail } from './users.js';

/** The table of the PostgreSQL counts (rate-limiter-flexible's layout: key, points, expire). */
export const RATE_LIMIT_TABLE = 'shop_rate_limits';

/** How many attempts each limit allows in one window. */
export interface RateLimitSettings {
  /** Sign-in attempts per account (by the email typed, known or not); a success clears the count. */
  signInAccount: number;
  /** Sign-in attempts per client address (IPv4 address, IPv6 /64), whatever the account. */
  signInAddress: number;
  /** Link starts (`POST /cartlink/authorize`) per session. */
  linkStart: number;
  /** The window, in seconds, that each count lasts from its first attempt. */
  windowSeconds: number;
}

/** The limits, by the name the audit trail records. */
export type RateLimitName = 'sign-in-account' | 'sign-in-address' | 'link-start';

/** A refused request: which limit refused it and when the shopper may try again. */
export interface Throttle {
  limit: RateLimitName;
  retryAfterSeconds: number;
}

/** The shop's limits. Every method counts or clears atomically in the store. */
export interface RateLimits {
  /**
   * Counts one sign-in attempt against the client address, then against the account. Counting before
   * the password is checked makes parallel guesses count too. Returns the limit that refuses the
   * attempt, or null to go ahead. An unknown email is counted exactly like a known one, so the answer
   * never tells whether an account exists.
   */
  countSignInAttempt(attempt: { email: string; address: string }): Promise<Throttle | null>;
  /** A successful sign-in: the account's count starts again from zero. */
  clearSignInAttempts(email: string): Promise<void>;
  /** Gives back the account's count of an attempt whose password was never checked (load shed). */
  refundSignInAttempt(email: string): Promise<void>;
  /** Counts one link start by the session; returns the throttle, or null to go ahead. */
  countLinkStart(sessionId: string): Promise<Throttle | null>;
  /** Stops the periodic purge of expired rows (PostgreSQL); call before closing the database. */
  close(): void;
}

/** Expired rows are purged this often, and once they have been expired this long (PostgreSQL). */
const PURGE_EVERY_MS = 5 * 60_000;
const PURGE_AFTER_MS = 60 * 60_000;

/**
 * Creates the shop's rate-limit table (run by the storefront migrations, under their lock, so that
 * instances starting together do not race to create it).
 */
export const rateLimitTableMigration: Migration = {
  async up(db) {
    await db.schema
      .createTable(RATE_LIMIT_TABLE)
      .ifNotExists()
      .addColumn('key', 'varchar(255)', (column) => column.primaryKey())
      .addColumn('points', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('expire', 'bigint')
      .execute();
    // `createRateLimits` deletes rows expired an hour ago every five minutes.
    await db.schema
      .createIndex(`${RATE_LIMIT_TABLE}_expire_idx`)
      .ifNotExists()
      .on(RATE_LIMIT_TABLE)
      .column('expire')
      .execute();
  },
  async down(db) {
    await db.schema.dropTable(RATE_LIMIT_TABLE).ifExists().execute();
  },
};

/** Where the counts live. */
export type RateLimitStore = { dialect: 'sqlite' } | { dialect: 'postgres'; db: Kysely<unknown> };

function hashKey(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * The `pg`-style client rate-limiter-flexible expects (`query({ text, values })` resolving to
 * `{ rows, rowCount }`), on the storefront's own Kysely pool rather than a second one.
 */
function kyselyQueryClient(db: Kysely<unknown>, logger: Logger) {
  // One warning a minute at most: during an outage every attempt would otherwise log a line.
  let lastWarning = Number.NEGATIVE_INFINITY;
  return {
    async query(query: { text: string; values?: readonly unknown[] }) {
      try {
        const result = await db.executeQuery(CompiledQuery.raw(query.text, [...(query.values ?? [])]));
        return {
          rows: result.rows,
          rowCount:
            result.numAffectedRows === undefined ? result.rows.length : Number(result.numAffectedRows),
        };
      } catch (error) {
        if (performance.now() - lastWarning >= 60_000) {
          lastWarning = performance.now();
          logger.warn({ err: error }, 'rate limit store failed; counting in memory for now');
        }
        throw error;
      }
    },
  };
}

type Limiter = RateLimiterMemory | RateLimiterPostgres;

/**
 * Builds the limits on the given store.
 * @example
 * const limits = createRateLimits(config.rateLimits, { dialect: 'postgres', db }, logger);
 * const throttle = await limits.countSignInAttempt({ email, address });
 * if (throttle) return tooManyAttempts(throttle.retryAfterSeconds);
 */
export function createRateLimits(
  settings: RateLimitSettings,
  store: RateLimitStore,
  logger: Logger,
): RateLimits {
  const client = store.dialect === 'postgres' ? kyselyQueryClient(store.db, logger) : null;
  const limiter = (keyPrefix: string, points: number): Limiter => {
    const options = { keyPrefix, points, duration: settings.windowSeconds };
    if (client === null) return new RateLimiterMemory(options);
    return new RateLimiterPostgres({
      ...options,
      storeClient: client,
      storeType: 'client',
      tableName: RATE_LIMIT_TABLE,
      // Created by the migration, never lazily by whichever instance comes first.
      tableCreated: true,
      // Each limiter would start a purge timer of its own that nothing can stop (three identical
      // DELETEs every five minutes, running on after the database is closed): one purge below instead.
      clearExpiredByTimeout: false,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  };
  const account = limiter('sign-in-account', settings.signInAccount);
  const address = limiter('sign-in-address', settings.signInAddress);
  const linkStart = limiter('link-start', settings.linkStart);

  /** Counts one point; a refusal (the promise rejects with a RateLimiterRes) becomes a Throttle. */
  async function take(target: Limiter, name: RateLimitName, key: string): Promise<Throttle | null> {
    try {
      await target.consume(key);
      return null;
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { limit: name, retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) };
    }
  }

  const accountKey = (email: string) => hashKey(normalizeEmail(email));

  // One purge of the shared table per instance; unref'd, so it never keeps the process alive.
  const purge =
    store.dialect === 'postgres'
      ? setInterval(() => {
          sql`delete from ${sql.table(RATE_LIMIT_TABLE)} where expire < ${Date.now() - PURGE_AFTER_MS}`
            .execute(store.db)
            .catch((error: unknown) => logger.warn({ err: error }, 'purging expired rate-limit rows failed'));
        }, PURGE_EVERY_MS).unref()
      : undefined;

  return {
    async countSignInAttempt(attempt) {
      return (
        (await take(address, 'sign-in-address', hashKey(addressLimitKey(attempt.address)))) ??
        (await take(account, 'sign-in-account', accountKey(attempt.email)))
      );
    },
    async clearSignInAttempts(email) {
      await account.delete(accountKey(email));
    },
    async refundSignInAttempt(email) {
      await account.reward(accountKey(email), 1);
    },
    countLinkStart(sessionId) {
      return take(linkStart, 'link-start', hashKey(sessionId));
    },
    close() {
      clearInterval(purge);
    },
  };
}
