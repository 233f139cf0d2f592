/**
 * @module The storefront's own tables, kept in the same database as the linking tables (one Kysely
 * instance for both) and prefixed `shop_` so the two never collide. Timestamps follow the linking
 * tables' convention: UTC epoch milliseconds in a `bigint` column, which `pg` returns as a string.
 */

import type { EpochMillisColumn, LinkingDatabase } from '@cartlink/linking';
import type { ColumnType, Kysely, Transaction } from 'kysely';

/** `shop_users`: the shop's customer accounts (and its admin). */
export interface UserTable {
  id: string;
  /** Lower-cased; unique. */
  email: string;
  first_name: string;
  last_name: string;
  /** `scrypt$N$r$p$salt$hash`, see `passwords.ts`. */
  password_hash: string;
  role: 'shopper' | 'admin';
  created_at: EpochMillisColumn;
}

/** `shop_sessions`: server-side sessions. Only a SHA-256 digest of the cookie value is stored. */
export interface SessionTable {
  id_hash: string;
  /** Null for a visitor who has not signed in (their session carries the sign-in form's CSRF token). */
  user_id: string | null;
  csrf_token: string;
  /** A one-time message for the next page (e.g. "your order is placed"). */
  flash: string | null;
  created_at: EpochMillisColumn;
  last_seen_at: EpochMillisColumn;
  /** Idle expiry: pushed forward as the session is used. */
  expires_at: EpochMillisColumn;
}

/** `shop_cart_items`: one row per product in a shopper's cart. */
export interface CartItemTable {
  user_id: string;
  product_id: string;
  quantity: number;
  added_at: EpochMillisColumn;
}

/** `shop_orders`: placed orders, with what was charged for delivery. */
export interface OrderTable {
  id: string;
  user_id: string;
  placed_at: EpochMillisColumn;
  currency: string;
  subtotal_cents: number;
  /** The shop's delivery fee before any discount. */
  delivery_fee_cents: number;
  /** What the shopper paid for delivery: 0 when Instacart+ waived it. */
  delivery_charged_cents: number;
  total_cents: number;
  /** How the membership behind a waived fee was verified; null when the fee was charged. */
  discount_verification: 'fresh' | 'grace' | null;
}

/** `shop_order_items`: the lines of an order, priced as they were when it was placed. */
export interface OrderItemTable {
  order_id: string;
  line: number;
  product_id: string;
  name: string;
  unit_price_cents: number;
  quantity: number;
}

/** The storefront's tables. */
export interface ShopTables {
  shop_users: UserTable;
  shop_sessions: SessionTable;
  shop_cart_items: CartItemTable;
  shop_orders: OrderTable;
  shop_order_items: OrderItemTable;
}

/** Every table in the storefront's database: the linking tables and the shop's own. */
export type StorefrontDatabase = LinkingDatabase & ShopTables;

/** The Kysely instance the storefront uses, or a transaction on it. */
export type StorefrontDb = Kysely<StorefrontDatabase> | Transaction<StorefrontDatabase>;

/** Reads an epoch-millisecond column, whichever type the driver returned it as. */
export function fromMillis(value: number | string | bigint): Date {
  return new Date(Number(value));
}

/** A count or sum column: `pg` returns bigint/numeric aggregates as strings. */
export type NumericResult = ColumnType<number | string | bigint>;
