/**
 * @module The shop's customer accounts: lookup, and the demo accounts of docs/product.md, seeded on every
 * start without ever duplicating or overwriting them.
 */
import type { Selectable } from 'kysely';
import type { StorefrontDb, UserTable } from './db/schema.js';
import { hashPassword } from './passwords.js';

/** A shop account, without its password hash. */
export interface User {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'shopper' | 'admin';
}

/** The password of every demo account (docs/product.md, "Demo logins"). */
export const DEMO_PASSWORD = 'cartlink-demo';

/**
 * The demo accounts. Their ids are fixed so that a restart (or a second instance) refers to the same
 * shopper, and so the Connect `user_id` Instacart knows them by stays the same.
 */
export const DEMO_USERS: readonly (User & { id: string })[] = Object.freeze([
  {
    id: '5d1f0c3e-8a4b-4c6e-9f21-a1e0c0de0001',
    email: 'alex@example.com',
    firstName: 'Alex',
    lastName: 'Rivera',
    role: 'shopper',
  },
  {
    id: '5d1f0c3e-8a4b-4c6e-9f21-b1a1e0de0002',
    email: 'blair@example.com',
    firstName: 'Blair',
    lastName: 'Chen',
    role: 'shopper',
  },
  {
    id: '5d1f0c3e-8a4b-4c6e-9f21-ca5e70de0003',
    email: 'casey@example.com',
    firstName: 'Casey',
    lastName: 'Morgan',
    role: 'shopper',
  },
  {
    id: '5d1f0c3e-8a4b-4c6e-9f21-ad0170de0004',
    email: 'admin@example.com',
    firstName: 'Admin',
    lastName: 'Corner Market',
    role: 'admin',
  },
]);

function toUser(row: Selectable<UserTable>): User {
  return { id: row.id, email: row.email, firstName: row.first_name, lastName: row.last_name, role: row.role };
}

/** Normalises an email address for lookup: accounts are matched case-insensitively. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates the demo accounts that are missing. Idempotent, and safe when several instances start at
 * once: an account another instance inserted first is left as it is (`ON CONFLICT DO NOTHING`).
 * Only missing accounts are hashed, since each scrypt hash costs tens of milliseconds.
 */
export async function seedDemoUsers(db: StorefrontDb, now: Date): Promise<number> {
  const existing = new Set(
    (await db.selectFrom('shop_users').select('email').execute()).map((row) => row.email),
  );
  let created = 0;
  for (const user of DEMO_USERS) {
    if (existing.has(user.email)) continue;
    const result = await db
      .insertInto('shop_users')
      .values({
        id: user.id,
        email: user.email,
        first_name: user.firstName,
        last_name: user.lastName,
        role: user.role,
        password_hash: await hashPassword(DEMO_PASSWORD),
        created_at: now.getTime(),
      })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    created += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return created;
}

/** The account and its password hash, for sign-in; undefined when no account has this email. */
export async function findUserForSignIn(
  db: StorefrontDb,
  email: string,
): Promise<{ user: User; passwordHash: string } | undefined> {
  const row = await db
    .selectFrom('shop_users')
    .selectAll()
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row === undefined ? undefined : { user: toUser(row), passwordHash: row.password_hash };
}

/** The account with this id, or undefined. */
export async function findUserById(db: StorefrontDb, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('shop_users').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

/** Email addresses by user id, for the reconciliation report. */
export async function findEmails(db: StorefrontDb, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('shop_users')
    .select(['id', 'email'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.email]));
}
