/**
 * @module Storefront shoppers for the resilience run, each with an Instacart account of their own.
 *
 * The storefront has no sign-up route and seeds only the four demo accounts, so shoppers are
 * inserted into its `shop_users` table directly, with the storefront's own password hashing
 * (`apps/storefront/src/passwords.ts`, used read-only). One hash is computed and shared: scrypt at
 * N = 2^15 costs tens of milliseconds, and a per-row salt adds nothing to what is tested here.
 * A seeding hook in the storefront (or a sign-up route) would be the better way; see the README.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorAdmin } from '@cartlink/emulator/testing';
import type { StorefrontDatabase } from '@cartlink/storefront';
import { hashPassword } from '@cartlink/storefront';
import type { Kysely } from 'kysely';
import { mapLimit } from './scope';

/** The password of every resilience shopper. */
export const SHOPPER_PASSWORD = 'resilience-pass-1';

/** The password of their Instacart accounts (never typed: the sandbox authorize call stands in for the log-in). */
const INSTACART_PASSWORD = 'instacart';

/** A storefront shopper and the Instacart account that is theirs to link. */
export interface Shopper {
  /** The storefront user id, which is also the Connect `user_id`. */
  id: string;
  email: string;
  instacartUserId: number;
}

let sharedHash: Promise<string> | undefined;

/** Inserts `count` shoppers into the storefront's database and creates their Instacart accounts. */
export async function createShoppers(
  db: Kysely<StorefrontDatabase>,
  admin: EmulatorAdmin,
  count: number,
  tag: string,
  options: { instacartPlus?: boolean; withInstacartAccounts?: boolean } = {},
): Promise<Shopper[]> {
  sharedHash ??= hashPassword(SHOPPER_PASSWORD);
  const passwordHash = await sharedHash;
  const run = Math.random().toString(36).slice(2, 8);
  const rows = Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    email: `${tag}-${run}-${index}@resilience.test`,
    first_name: 'Shopper',
    last_name: `${tag} ${index}`,
    password_hash: passwordHash,
    role: 'shopper' as const,
    created_at: Date.now(),
  }));
  for (let start = 0; start < rows.length; start += 100) {
    await db
      .insertInto('shop_users')
      .values(rows.slice(start, start + 100))
      .execute();
  }
  // The emulator hashes each password synchronously: a few at a time keeps it responsive. Shoppers
  // who only sign in need no Instacart account (their `instacartUserId` is 0).
  const instacartIds =
    options.withInstacartAccounts === false
      ? rows.map(() => 0)
      : await mapLimit(rows, 4, async (row) => {
          const account = await admin.createInstacartUser({
            email: `ic-${row.email}`,
            password: INSTACART_PASSWORD,
            instacartplus_member: options.instacartPlus ?? true,
          });
          return account.id;
        });
  return rows.map((row, index) => ({
    id: row.id,
    email: row.email,
    instacartUserId: instacartIds[index] as number,
  }));
}
