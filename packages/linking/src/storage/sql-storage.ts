/**
 * @module The linking storage on SQL through Kysely: one implementation for SQLite and PostgreSQL,
 * using only what both engines do alike (`INSERT … ON CONFLICT`, `DELETE … RETURNING`, integer
 * arithmetic on epoch milliseconds).
 */
import {
  type Compilable,
  type CompiledQuery,
  type Kysely,
  type QueryResult,
  type Selectable,
  sql,
} from 'kysely';
import type {
  DeliveryDiscountTable,
  LinkingDatabase,
  LinkTransactionTable,
  MembershipVerificationTable,
} from './database.js';
import { DuplicateDiscountError } from './errors.js';
import type {
  BillingPeriod,
  DeliveryDiscount,
  DeliveryDiscountLedger,
  DiscountTotals,
  LinkingStorage,
  LinkRecordStore,
  LinkTransaction,
  LinkTransactionStore,
  MembershipVerification,
  MembershipVerificationStore,
} from './types.js';

const DAY_MILLIS = 86_400_000;

/**
 * The linking storage on a Kysely instance whose database has the linking tables (run
 * `migrateToLatest` first). The instance may carry the application's own tables too: `DB` is then
 * `LinkingDatabase & ItsOwnTables`.
 *
 * `transaction()` runs its work in a Kysely transaction, with every store bound to it. `close()`
 * destroys the Kysely instance (which is idempotent), so an application that shares the instance
 * closes either the storage or the instance, whichever it holds.
 *
 * @example
 * ```ts
 * const { db } = await openDatabase('sqlite:.data/cartlink.db'); // from @cartlink/linking/node
 * await migrateToLatest(db);
 * const storage = createSqlStorage(db);
 * ```
 */
export function createSqlStorage<DB extends LinkingDatabase = LinkingDatabase>(
  database: Kysely<DB>,
): LinkingStorage {
  // Kysely's type is invariant in its database type, so `Kysely<LinkingDatabase & ShopTables>` is not a
  // `Kysely<LinkingDatabase>` to the compiler, although every query below only touches the linking
  // tables that `DB extends LinkingDatabase` guarantees.
  const db = database as unknown as Kysely<LinkingDatabase>;
  return {
    ...createStores(db),
    transaction(work) {
      return db.transaction().execute((trx) => work(createStores(trx)));
    },
    async close() {
      await db.destroy();
    },
  };
}

function createStores(db: Kysely<LinkingDatabase>): Omit<LinkingStorage, 'transaction' | 'close'> {
  return {
    linkTransactions: createLinkTransactionStore(db),
    verifications: createMembershipVerificationStore(db),
    linkRecords: createLinkRecordStore(db),
    discounts: createDeliveryDiscountLedger(db),
  };
}

function createLinkTransactionStore(db: Kysely<LinkingDatabase>): LinkTransactionStore {
  return {
    async create(transaction) {
      await db
        .insertInto('cartlink_link_transactions')
        .values({
          state_hash: transaction.stateHash,
          session_id: transaction.sessionId,
          user_id: transaction.userId,
          code_verifier: transaction.codeVerifier,
          redirect_uri: transaction.redirectUri,
          client_id: transaction.clientId ?? null,
          created_at: toMillis(transaction.createdAt),
          expires_at: toMillis(transaction.expiresAt),
        })
        .execute();
    },
    async consume(stateHash) {
      // One statement that deletes and returns: the database's row lock decides which of two
      // concurrent callers deletes the row; the other deletes nothing and gets null. A select followed
      // by a delete would let both read it.
      const row = await db
        .deleteFrom('cartlink_link_transactions')
        .where('state_hash', '=', stateHash)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? null : toLinkTransaction(row);
    },
    async deleteExpired(now) {
      const result = await db
        .deleteFrom('cartlink_link_transactions')
        .where('expires_at', '<', toMillis(now))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function createMembershipVerificationStore(db: Kysely<LinkingDatabase>): MembershipVerificationStore {
  // Prepared: a status request reads one of these, and a verification saves one.
  const selectByUser = prepare(
    db,
    db.selectFrom('cartlink_membership_verifications').selectAll().where('user_id', '=', ''),
  );
  const upsert = prepare(
    db,
    db
      .insertInto('cartlink_membership_verifications')
      .values({ user_id: '', result: 'linked', instacartplus_member: 0, expired_at: null, verified_at: 0 })
      .onConflict((conflict) =>
        conflict.column('user_id').doUpdateSet((eb) => ({
          result: eb.ref('excluded.result'),
          instacartplus_member: eb.ref('excluded.instacartplus_member'),
          expired_at: eb.ref('excluded.expired_at'),
          verified_at: eb.ref('excluded.verified_at'),
        })),
      ),
  );
  return {
    async save(verification) {
      await upsert([
        verification.userId,
        verification.result,
        toFlag(verification.instacartplusMember),
        verification.expiredAt === null ? null : toMillis(verification.expiredAt),
        toMillis(verification.verifiedAt),
      ]);
    },
    async get(userId) {
      const row = (await selectByUser([userId])).rows[0];
      return row === undefined ? null : toMembershipVerification(row);
    },
  };
}

function createLinkRecordStore(db: Kysely<LinkingDatabase>): LinkRecordStore {
  // Prepared: every verification runs one of the two.
  const insertIfAbsent = prepare(
    db,
    db
      .insertInto('cartlink_link_records')
      .values({ user_id: '', linked_at: 0 })
      .onConflict((conflict) => conflict.column('user_id').doNothing()),
  );
  const deleteByUser = prepare(db, db.deleteFrom('cartlink_link_records').where('user_id', '=', ''));
  return {
    async markLinked(userId, linkedAt) {
      const linked_at = toMillis(linkedAt);
      await db
        .insertInto('cartlink_link_records')
        .values({ user_id: userId, linked_at })
        .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ linked_at }))
        .execute();
    },
    async confirmLinked(userId, linkedAt) {
      const result = await insertIfAbsent([userId, toMillis(linkedAt)]);
      return (result.numAffectedRows ?? 0n) > 0n;
    },
    async markUnlinked(userId) {
      // One statement: of concurrent calls, the one whose delete removed the row hears true.
      const result = await deleteByUser([userId]);
      return (result.numAffectedRows ?? 0n) > 0n;
    },
    async get(userId) {
      const row = await db
        .selectFrom('cartlink_link_records')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row === undefined ? null : { userId: row.user_id, linkedAt: fromMillis(row.linked_at) };
    },
    async list() {
      const rows = await db.selectFrom('cartlink_link_records').selectAll().orderBy('user_id').execute();
      return rows.map((row) => ({ userId: row.user_id, linkedAt: fromMillis(row.linked_at) }));
    },
  };
}

function createDeliveryDiscountLedger(db: Kysely<LinkingDatabase>): DeliveryDiscountLedger {
  return {
    async record(discount) {
      // ON CONFLICT DO NOTHING instead of catching the unique violation: no engine-specific error codes
      // to recognise, and on PostgreSQL a failed statement would abort the caller's whole transaction,
      // whereas this leaves it usable after the DuplicateDiscountError.
      const result = await db
        .insertInto('cartlink_delivery_discounts')
        .values({
          order_id: discount.orderId,
          user_id: discount.userId,
          placed_at: toMillis(discount.placedAt),
          waived_cents: discount.waivedCents,
          currency: discount.currency,
          instacartplus_member: toFlag(discount.instacartplusMember),
          expired_at: discount.expiredAt === null ? null : toMillis(discount.expiredAt),
          verified_at: toMillis(discount.verifiedAt),
          verification: discount.verification,
        })
        .onConflict((conflict) => conflict.column('order_id').doNothing())
        .executeTakeFirst();
      if (result.numInsertedOrUpdatedRows === 0n) {
        throw new DuplicateDiscountError(discount.orderId);
      }
    },
    async list(period) {
      const rows = await db
        .selectFrom('cartlink_delivery_discounts')
        .selectAll()
        .where('placed_at', '>=', toMillis(period.from))
        .where('placed_at', '<', toMillis(period.to))
        .orderBy('placed_at')
        .orderBy('order_id')
        .execute();
      return rows.map(toDeliveryDiscount);
    },
    totals(period) {
      return computeTotals(db, period);
    },
  };
}

/**
 * Totals are summed in SQL, grouped by UTC day and currency, so a long billing period does not load
 * every ledger row. The day is the start of the UTC day in epoch milliseconds, computed with integer
 * arithmetic that both engines evaluate alike; the floored modulo keeps it right even before 1970,
 * where `%` is negative. Order count and per-currency sums are then added up from those groups.
 */
async function computeTotals(db: Kysely<LinkingDatabase>, period: BillingPeriod): Promise<DiscountTotals> {
  const day = sql.lit(DAY_MILLIS);
  const placedAt = sql.ref('placed_at');
  // Literals rather than parameters: PostgreSQL only matches a GROUP BY expression with the selected one
  // when they are textually the same, and two parameters ($1, $2) are not.
  const dayStart = sql<number | string | bigint>`${placedAt} - ((${placedAt} % ${day}) + ${day}) % ${day}`;
  const groups = await db
    .selectFrom('cartlink_delivery_discounts')
    .select((eb) => [
      dayStart.as('day_start'),
      'currency',
      eb.fn.countAll().as('orders'),
      eb.fn.sum('waived_cents').as('waived_cents'),
    ])
    .where('placed_at', '>=', toMillis(period.from))
    .where('placed_at', '<', toMillis(period.to))
    .groupBy([dayStart, 'currency'])
    .orderBy(dayStart)
    .orderBy('currency')
    .execute();

  const totals: DiscountTotals = { orders: 0, waivedCentsByCurrency: {}, byDay: [] };
  for (const group of groups) {
    // COUNT and SUM are bigint or numeric on PostgreSQL, which `pg` returns as strings.
    const orders = Number(group.orders);
    const waivedCents = Number(group.waived_cents);
    totals.orders += orders;
    totals.waivedCentsByCurrency[group.currency] =
      (totals.waivedCentsByCurrency[group.currency] ?? 0) + waivedCents;
    totals.byDay.push({
      day: new Date(Number(group.day_start)).toISOString().slice(0, 10),
      currency: group.currency,
      orders,
      waivedCents,
    });
  }
  return totals;
}

/**
 * A statement built and compiled once, then run with each call's values, in the order its SQL takes
 * them (the values compiled in are placeholders). Building and compiling Kysely's query tree costs
 * about a third of a primary-key statement on SQLite, and the status paths run these on every request
 * (profiled in bench/). Kysely's `log` sees each run as it would a built query.
 */
function prepare<Row>(
  db: Kysely<LinkingDatabase>,
  query: Compilable<Row>,
): (parameters: readonly unknown[]) => Promise<QueryResult<Row>> {
  const compiled: CompiledQuery<Row> = query.compile();
  return (parameters) => db.executeQuery({ ...compiled, parameters });
}

function toLinkTransaction(row: Selectable<LinkTransactionTable>): LinkTransaction {
  return {
    stateHash: row.state_hash,
    sessionId: row.session_id,
    userId: row.user_id,
    codeVerifier: row.code_verifier,
    redirectUri: row.redirect_uri,
    clientId: row.client_id ?? null,
    createdAt: fromMillis(row.created_at),
    expiresAt: fromMillis(row.expires_at),
  };
}

function toMembershipVerification(row: Selectable<MembershipVerificationTable>): MembershipVerification {
  return {
    userId: row.user_id,
    result: row.result,
    instacartplusMember: fromFlag(row.instacartplus_member),
    expiredAt: row.expired_at === null ? null : fromMillis(row.expired_at),
    verifiedAt: fromMillis(row.verified_at),
  };
}

function toDeliveryDiscount(row: Selectable<DeliveryDiscountTable>): DeliveryDiscount {
  return {
    orderId: row.order_id,
    userId: row.user_id,
    placedAt: fromMillis(row.placed_at),
    waivedCents: Number(row.waived_cents),
    currency: row.currency,
    instacartplusMember: fromFlag(row.instacartplus_member),
    expiredAt: row.expired_at === null ? null : fromMillis(row.expired_at),
    verifiedAt: fromMillis(row.verified_at),
    verification: row.verification,
  };
}

function toMillis(date: Date): number {
  const millis = date.getTime();
  // An Invalid Date would be stored as NULL or NaN and surface much later as a wrong report.
  if (!Number.isFinite(millis)) {
    throw new RangeError('Cannot store an Invalid Date');
  }
  return millis;
}

function fromMillis(value: number | string | bigint): Date {
  return new Date(Number(value));
}

function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

function fromFlag(value: boolean | number | bigint): boolean {
  // true from PostgreSQL's boolean, 1 (or 1n) from SQLite's integer storage.
  return value === true || value === 1 || value === 1n;
}
