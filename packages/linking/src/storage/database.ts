/**
 * @module The Kysely table types of the linking storage. Every table is prefixed `cartlink_` because the
 * retailer's own application usually shares the database.
 *
 * Timestamps are UTC epoch milliseconds in a `bigint` column on both engines: a `Date` round-trips
 * exactly (millisecond precision, no time zone), ordering and period filters are plain integer
 * comparisons, and a UTC day is integer arithmetic that no session time zone can shift.
 * Flags are `boolean` columns, written as 0/1 (SQLite cannot bind a JavaScript boolean; PostgreSQL
 * reads an untyped `1`/`0` parameter for a boolean column as true/false).
 */
import type { ColumnType } from 'kysely';

/**
 * A UTC epoch-millisecond timestamp. It is written as a number; it reads back as a number from SQLite
 * and as a string from PostgreSQL, because `pg` returns `bigint` as text to avoid losing precision
 * (and as a `bigint` from a better-sqlite3 database opened with `safeIntegers`).
 */
export type EpochMillisColumn = ColumnType<number | string | bigint, number, number>;

/** A nullable {@link EpochMillisColumn}. */
export type NullableEpochMillisColumn = ColumnType<
  number | string | bigint | null,
  number | null,
  number | null
>;

/** A flag, written as 0 or 1; PostgreSQL reads back a boolean, SQLite 0 or 1. */
export type FlagColumn = ColumnType<boolean | number | bigint, number, number>;

/** `cartlink_link_transactions`: one row per outstanding authorization request. */
export interface LinkTransactionTable {
  state_hash: string;
  session_id: string;
  user_id: string;
  code_verifier: string | null;
  redirect_uri: string;
  created_at: EpochMillisColumn;
  expires_at: EpochMillisColumn;
}

/** `cartlink_membership_verifications`: the latest verification per user. */
export interface MembershipVerificationTable {
  user_id: string;
  result: 'linked' | 'not-linked' | 'user-not-found' | 'user-not-active';
  instacartplus_member: FlagColumn;
  expired_at: NullableEpochMillisColumn;
  verified_at: EpochMillisColumn;
}

/** `cartlink_link_records`: the retailer's record of which users are linked. */
export interface LinkRecordTable {
  user_id: string;
  linked_at: EpochMillisColumn;
}

/** `cartlink_delivery_discounts`: the delivery-discount ledger, one row per order. */
export interface DeliveryDiscountTable {
  order_id: string;
  user_id: string;
  placed_at: EpochMillisColumn;
  waived_cents: number;
  currency: string;
  instacartplus_member: FlagColumn;
  expired_at: NullableEpochMillisColumn;
  verified_at: EpochMillisColumn;
  verification: 'fresh' | 'grace';
}

/**
 * The tables of the linking storage. An application that keeps its own tables in the same database
 * intersects this type with its own and uses one Kysely instance for both.
 *
 * @example
 * ```ts
 * interface ShopDatabase { shop_orders: { id: string; total_cents: number } }
 * const { db } = openDatabase<LinkingDatabase & ShopDatabase>(process.env.DATABASE_URL);
 * const storage = createSqlStorage(db);
 * await db.selectFrom('shop_orders').selectAll().execute();
 * ```
 */
export interface LinkingDatabase {
  cartlink_link_transactions: LinkTransactionTable;
  cartlink_membership_verifications: MembershipVerificationTable;
  cartlink_link_records: LinkRecordTable;
  cartlink_delivery_discounts: DeliveryDiscountTable;
}

/** The names of the linking tables, e.g. for an application that empties them between tests. */
export const LINKING_TABLES = Object.freeze([
  'cartlink_link_transactions',
  'cartlink_membership_verifications',
  'cartlink_link_records',
  'cartlink_delivery_discounts',
] as const satisfies ReadonlyArray<keyof LinkingDatabase>);
