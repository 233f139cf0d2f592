/**
 * @module Errors of the storage layer, told apart by `instanceof` and a stable `code`.
 */

/** A delivery discount was recorded for an order that already has one: one order, one ledger entry. */
export class DuplicateDiscountError extends Error {
  /** Stable code of the class. */
  readonly code = 'duplicate_discount';
  /** The order that already has a ledger entry. */
  readonly orderId: string;

  constructor(orderId: string) {
    super(`A delivery discount is already recorded for order ${orderId}`);
    this.name = 'DuplicateDiscountError';
    this.orderId = orderId;
  }
}

/**
 * A database URL that names no supported engine, or a malformed one. A configuration error: the
 * message is one line meant to stop start-up, and it never repeats credentials.
 */
export class DatabaseUrlError extends Error {
  /** Stable code of the class. */
  readonly code = 'invalid_database_url';

  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUrlError';
  }
}

/** A migration of the linking tables failed; the database is left at the last migration that succeeded. */
export class MigrationFailedError extends Error {
  /** Stable code of the class. */
  readonly code = 'migration_failed';
  /** The migration that failed, or null when the failure came before any migration ran (e.g. no connection). */
  readonly migrationName: string | null;

  constructor(migrationName: string | null, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      migrationName === null
        ? `Migrating the cartlink tables failed before any migration ran: ${reason}`
        : `Migration "${migrationName}" of the cartlink tables failed: ${reason}`,
      { cause },
    );
    this.name = 'MigrationFailedError';
    this.migrationName = migrationName;
  }
}
