/**
 * @module The linking storage: its interfaces, the SQL implementation and its migrations. Web-standard
 * only; the engine factories that need Node.js are in `sqlite-node.ts` and `postgres-node.ts`, reached
 * through the package's `./sqlite`, `./postgres` and `./node` entry points.
 */
export type {
  DeliveryDiscountTable,
  EpochMillisColumn,
  FlagColumn,
  LinkingDatabase,
  LinkRecordTable,
  LinkTransactionTable,
  MembershipVerificationTable,
  NullableEpochMillisColumn,
} from './database.js';
export { LINKING_TABLES } from './database.js';
export { type DatabaseLocation, parseDatabaseUrl } from './database-url.js';
export { DatabaseUrlError, DuplicateDiscountError, MigrationFailedError } from './errors.js';
export {
  createLinkingMigrator,
  LINKING_MIGRATION_LOCK_TABLE,
  LINKING_MIGRATION_TABLE,
  linkingMigrationProvider,
  linkingMigrations,
  migrateToLatest,
} from './migrate.js';
export { createSqlStorage } from './sql-storage.js';
export type * from './types.js';
