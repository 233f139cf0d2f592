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
  /** base64url SHA-256 of the state; the primary key. */
  state_hash: string;
  /** The session that started the transaction. */
  session_id: string;
  /** The user it links. */
  user_id: string;
  /** The PKCE code verifier, or null when PKCE is off. */
  code_verifier: string | null;
  /** The redirect URI of the authorization request. */
  redirect_uri: string;
  /**
   * The client id the authorization URL carried, whose credentials exchange the code; null for a
   * transaction from before migration 0002.
   */
  client_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the link started. */
  created_at: EpochMillisColumn;
  /** When the transaction stops being accepted. */
  expires_at: EpochMillisColumn;
}

/** `cartlink_membership_verifications`: the latest verification per user. */
export interface MembershipVerificationTable {
  /** The user; the primary key. */
  user_id: string;
  /** What Connect said (see `MembershipVerificationResult`). */
  result: 'linked' | 'not-linked' | 'user-not-found' | 'user-not-active';
  /** Connect's `instacartplus_member`. */
  instacartplus_member: FlagColumn;
  /** Connect's `expired_at`, or null. */
  expired_at: NullableEpochMillisColumn;
  /** When Connect answered. */
  verified_at: EpochMillisColumn;
}

/** `cartlink_link_records`: the retailer's record of which users are linked. */
export interface LinkRecordTable {
  /** The linked user; the primary key. */
  user_id: string;
  /** When the link completed. */
  linked_at: EpochMillisColumn;
}

/** `cartlink_delivery_discounts`: the delivery-discount ledger, one row per order. */
export interface DeliveryDiscountTable {
  /** The order; the primary key (one order, one entry). */
  order_id: string;
  /** The shopper who placed it. */
  user_id: string;
  /** When the order was placed. */
  placed_at: EpochMillisColumn;
  /** The delivery fee waived, in cents. */
  waived_cents: number;
  /** ISO 4217 currency code, upper case. */
  currency: string;
  /** `instacartplus_member` of the verification relied on. */
  instacartplus_member: FlagColumn;
  /** `expired_at` of that verification, or null. */
  expired_at: NullableEpochMillisColumn;
  /** When Connect gave that verification. */
  verified_at: EpochMillisColumn;
  /** `fresh` (confirmed at checkout) or `grace` (Connect unreachable, a recent verification used). */
  verification: 'fresh' | 'grace';
}

/**
 * The tables of the linking storage. An application that keeps its own tables in the same database
 * intersects this type with its own and uses one Kysely instance for both.
 *
 * @example
 * ```ts
 * interface ShopDatabase { shop_orders: { id: string; total_cents: number } }
 * const { db } = await openDatabase<LinkingDatabase & ShopDatabase>(process.env.DATABASE_URL!); // @cartlink/linking/node
 * const storage = createSqlStorage(db);
 * await db.selectFrom('shop_orders').selectAll().execute();
 * ```
 */
export interface LinkingDatabase {
  /** Outstanding authorization requests. */
  cartlink_link_transactions: LinkTransactionTable;
  /** The latest membership verification per user. */
  cartlink_membership_verifications: MembershipVerificationTable;
  /** The retailer's record of linked users. */
  cartlink_link_records: LinkRecordTable;
  /** The delivery-discount ledger. */
  cartlink_delivery_discounts: DeliveryDiscountTable;
}

/** The names of the linking tables, e.g. for an application that empties them between tests. */
export const LINKING_TABLES = Object.freeze([
  'cartlink_link_transactions',
  'cartlink_membership_verifications',
  'cartlink_link_records',
  'cartlink_delivery_discounts',
] as const satisfies ReadonlyArray<keyof LinkingDatabase>);
