/**
 * @module The storage conformance suite: what any {@link LinkingStorage} must do, as Vitest tests. The
 * SQL implementation runs it on SQLite and PostgreSQL; a retailer that writes its own storage runs it
 * on theirs.
 *
 * It imports Vitest, so it is kept out of the storage index; import it by path.
 *
 * @example
 * ```ts
 * // my-storage.test.ts
 * import { runStorageConformance } from '@cartlink/linking/storage/conformance';
 * runStorageConformance('my storage', async () => {
 *   const storage = await openMyEmptyStorage();
 *   return { storage, cleanup: async () => {} };
 * });
 * ```
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateDiscountError } from './errors.js';
import type {
  DeliveryDiscount,
  LinkingStorage,
  LinkTransaction,
  MembershipVerification,
  MembershipVerificationResult,
} from './types.js';

/** A storage under test, and how to dispose of what was opened for it. */
export interface StorageUnderTest {
  /** A storage with no data in it. */
  storage: LinkingStorage;
  /** Called after `storage.close()`, to remove files, databases and the like. */
  cleanup(): Promise<void>;
}

/**
 * Declares the conformance tests in a `describe` block named `name`. `openStorage` is called before
 * each test and must return an empty storage; after each test the suite calls `storage.close()` and
 * then `cleanup()`.
 *
 * The concurrency test issues 20 `consume()` calls at once; give the storage several connections if it
 * has a pool, so that the race is real.
 */
export function runStorageConformance(name: string, openStorage: () => Promise<StorageUnderTest>): void {
  describe(name, () => {
    let opened: StorageUnderTest | undefined;
    let storage: LinkingStorage;

    beforeEach(async () => {
      opened = await openStorage();
      storage = opened.storage;
    });

    afterEach(async () => {
      const current = opened;
      opened = undefined;
      if (current !== undefined) {
        try {
          // Every test closes its storage: close() failing fails the test.
          await current.storage.close();
        } finally {
          await current.cleanup();
        }
      }
    });

    describe('link transactions', () => {
      it('round-trips every field, to the millisecond', async () => {
        const transaction = linkTransaction({ stateHash: 'state-a', codeVerifier: 'verifier-a' });
        await storage.linkTransactions.create(transaction);
        expect(await storage.linkTransactions.consume('state-a')).toEqual(transaction);
      });

      it('round-trips a null code verifier (PKCE off)', async () => {
        const transaction = linkTransaction({ stateHash: 'state-b', codeVerifier: null });
        await storage.linkTransactions.create(transaction);
        const consumed = await storage.linkTransactions.consume('state-b');
        expect(consumed).toEqual(transaction);
        expect(consumed?.codeVerifier).toBeNull();
      });

      it('keeps the client id of each transaction: two applications during a credential rotation', async () => {
        await storage.linkTransactions.create(
          linkTransaction({ stateHash: 'state-old', clientId: 'app-old' }),
        );
        await storage.linkTransactions.create(
          linkTransaction({ stateHash: 'state-new', clientId: 'app-new' }),
        );
        expect((await storage.linkTransactions.consume('state-new'))?.clientId).toBe('app-new');
        expect((await storage.linkTransactions.consume('state-old'))?.clientId).toBe('app-old');
      });

      it('gives back a null client id for a transaction created without one', async () => {
        const { clientId: _none, ...withoutClientId } = linkTransaction({ stateHash: 'state-no-client' });
        await storage.linkTransactions.create(withoutClientId);
        expect(await storage.linkTransactions.consume('state-no-client')).toEqual({
          ...withoutClientId,
          clientId: null,
        });
        await storage.linkTransactions.create(
          linkTransaction({ stateHash: 'state-null-client', clientId: null }),
        );
        expect((await storage.linkTransactions.consume('state-null-client'))?.clientId).toBeNull();
      });

      it('gives a transaction out once: a second consume finds nothing', async () => {
        await storage.linkTransactions.create(linkTransaction({ stateHash: 'state-c' }));
        expect(await storage.linkTransactions.consume('state-c')).not.toBeNull();
        expect(await storage.linkTransactions.consume('state-c')).toBeNull();
      });

      it('returns null for a state it never saw, and leaves the others alone', async () => {
        await storage.linkTransactions.create(linkTransaction({ stateHash: 'state-d' }));
        expect(await storage.linkTransactions.consume('state-unknown')).toBeNull();
        expect(await storage.linkTransactions.consume('state-d')).not.toBeNull();
      });

      it('rejects a second transaction with the same state hash', async () => {
        await storage.linkTransactions.create(linkTransaction({ stateHash: 'state-e', userId: 'user-1' }));
        await expect(
          storage.linkTransactions.create(linkTransaction({ stateHash: 'state-e', userId: 'user-2' })),
        ).rejects.toThrow();
        expect((await storage.linkTransactions.consume('state-e'))?.userId).toBe('user-1');
      });

      it('hands a state to exactly one of 20 concurrent consumers', async () => {
        const transaction = linkTransaction({ stateHash: 'state-race' });
        await storage.linkTransactions.create(transaction);
        const results = await Promise.all(
          Array.from({ length: 20 }, () => storage.linkTransactions.consume('state-race')),
        );
        const winners = results.filter((result) => result !== null);
        expect(winners).toEqual([transaction]);
      });

      it('deletes the transactions that expired before now, and counts them', async () => {
        const now = new Date('2025-06-01T12:00:00.000Z');
        await storage.linkTransactions.create(
          linkTransaction({ stateHash: 'long-gone', expiresAt: new Date('2025-05-01T00:00:00.000Z') }),
        );
        await storage.linkTransactions.create(
          linkTransaction({ stateHash: 'just-gone', expiresAt: new Date(now.getTime() - 1) }),
        );
        await storage.linkTransactions.create(linkTransaction({ stateHash: 'expires-now', expiresAt: now }));
        await storage.linkTransactions.create(
          linkTransaction({ stateHash: 'still-valid', expiresAt: new Date(now.getTime() + 1) }),
        );

        expect(await storage.linkTransactions.deleteExpired(now)).toBe(2);
        expect(await storage.linkTransactions.consume('long-gone')).toBeNull();
        expect(await storage.linkTransactions.consume('just-gone')).toBeNull();
        // Expiring exactly at `now` is not "before now".
        expect(await storage.linkTransactions.consume('expires-now')).not.toBeNull();
        expect(await storage.linkTransactions.consume('still-valid')).not.toBeNull();
        expect(await storage.linkTransactions.deleteExpired(now)).toBe(0);
      });
    });

    describe('membership verifications', () => {
      it('returns null for a user never verified', async () => {
        expect(await storage.verifications.get('user-unknown')).toBeNull();
      });

      it('round-trips every result and field, to the millisecond', async () => {
        const results: MembershipVerificationResult[] = [
          'linked',
          'not-linked',
          'user-not-found',
          'user-not-active',
        ];
        const saved = results.map((result, index) =>
          membershipVerification({
            userId: `user-${result}`,
            result,
            instacartplusMember: result === 'linked',
            expiredAt: result === 'linked' ? new Date(`2026-0${index + 1}-15T08:30:45.123Z`) : null,
            verifiedAt: new Date(`2025-0${index + 1}-02T03:04:05.00${index + 6}Z`),
          }),
        );
        for (const verification of saved) {
          await storage.verifications.save(verification);
        }
        for (const verification of saved) {
          expect(await storage.verifications.get(verification.userId)).toEqual(verification);
        }
      });

      it('keeps a linked non-member with a past expiry as it was told', async () => {
        const lapsed = membershipVerification({
          userId: 'user-lapsed',
          result: 'linked',
          instacartplusMember: false,
          expiredAt: new Date('2024-12-31T23:59:59.999Z'),
        });
        await storage.verifications.save(lapsed);
        expect(await storage.verifications.get('user-lapsed')).toEqual(lapsed);
      });

      it("replaces the user's verification, and only that user's", async () => {
        const other = membershipVerification({ userId: 'user-other' });
        await storage.verifications.save(other);
        await storage.verifications.save(
          membershipVerification({
            userId: 'user-1',
            result: 'linked',
            instacartplusMember: true,
            expiredAt: new Date('2026-01-01T00:00:00.000Z'),
            verifiedAt: new Date('2025-01-01T00:00:00.000Z'),
          }),
        );
        const latest = membershipVerification({
          userId: 'user-1',
          result: 'user-not-active',
          instacartplusMember: false,
          expiredAt: null,
          verifiedAt: new Date('2025-02-01T00:00:00.001Z'),
        });
        await storage.verifications.save(latest);
        expect(await storage.verifications.get('user-1')).toEqual(latest);
        expect(await storage.verifications.get('user-other')).toEqual(other);
      });
    });

    describe('link records', () => {
      it('returns null and an empty list before anything is linked', async () => {
        expect(await storage.linkRecords.get('user-1')).toBeNull();
        expect(await storage.linkRecords.list()).toEqual([]);
      });

      it('records a link, to the millisecond', async () => {
        const linkedAt = new Date('2025-03-04T05:06:07.089Z');
        await storage.linkRecords.markLinked('user-1', linkedAt);
        expect(await storage.linkRecords.get('user-1')).toEqual({ userId: 'user-1', linkedAt });
      });

      it('updates linkedAt when the user links again, keeping one record', async () => {
        await storage.linkRecords.markLinked('user-1', new Date('2025-01-01T00:00:00.000Z'));
        const relinkedAt = new Date('2025-02-01T00:00:00.500Z');
        await storage.linkRecords.markLinked('user-1', relinkedAt);
        expect(await storage.linkRecords.get('user-1')).toEqual({ userId: 'user-1', linkedAt: relinkedAt });
        expect(await storage.linkRecords.list()).toEqual([{ userId: 'user-1', linkedAt: relinkedAt }]);
      });

      it('forgets a link and says whether there was one', async () => {
        await storage.linkRecords.markLinked('user-1', new Date('2025-01-01T00:00:00.000Z'));
        await storage.linkRecords.markLinked('user-2', new Date('2025-01-02T00:00:00.000Z'));
        expect(await storage.linkRecords.markUnlinked('user-1')).toBe(true);
        expect(await storage.linkRecords.markUnlinked('user-1')).toBe(false);
        expect(await storage.linkRecords.markUnlinked('user-never-linked')).toBe(false);
        expect(await storage.linkRecords.get('user-1')).toBeNull();
        expect(await storage.linkRecords.get('user-2')).not.toBeNull();
      });

      it('confirms a link by creating the record only when there is none, keeping the first linkedAt', async () => {
        const firstAt = new Date('2025-01-01T00:00:00.001Z');
        expect(await storage.linkRecords.confirmLinked('user-1', firstAt)).toBe(true);
        expect(await storage.linkRecords.confirmLinked('user-1', new Date('2025-02-01T00:00:00.000Z'))).toBe(
          false,
        );
        expect(await storage.linkRecords.list()).toEqual([{ userId: 'user-1', linkedAt: firstAt }]);
        // A link completed since (markLinked) is kept as it is too.
        const relinkedAt = new Date('2025-03-01T00:00:00.000Z');
        await storage.linkRecords.markLinked('user-1', relinkedAt);
        expect(await storage.linkRecords.confirmLinked('user-1', new Date('2025-04-01T00:00:00.000Z'))).toBe(
          false,
        );
        expect(await storage.linkRecords.get('user-1')).toEqual({ userId: 'user-1', linkedAt: relinkedAt });
      });

      // The linking core writes the record without a transaction: one statement per verification, which
      // must stay right however verifications of one user interleave.
      it('creates one record from 20 concurrent confirmations, and says so to exactly one', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            storage.linkRecords.confirmLinked('user-1', new Date(Date.UTC(2025, 0, 1, 0, 0, 0, index))),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await storage.linkRecords.list()).toHaveLength(1);
      });

      it('tells exactly one of 20 concurrent unlinks that it removed the record', async () => {
        await storage.linkRecords.markLinked('user-1', new Date('2025-01-01T00:00:00.000Z'));
        const results = await Promise.all(
          Array.from({ length: 20 }, () => storage.linkRecords.markUnlinked('user-1')),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await storage.linkRecords.get('user-1')).toBeNull();
      });

      it('lists every linked user', async () => {
        const records = [
          { userId: 'user-c', linkedAt: new Date('2025-01-03T00:00:00.003Z') },
          { userId: 'user-a', linkedAt: new Date('2025-01-01T00:00:00.001Z') },
          { userId: 'user-b', linkedAt: new Date('2025-01-02T00:00:00.002Z') },
        ];
        for (const record of records) {
          await storage.linkRecords.markLinked(record.userId, record.linkedAt);
        }
        await storage.linkRecords.markUnlinked('user-b');
        // The interface promises no order; compare sorted.
        const listed = (await storage.linkRecords.list()).sort((a, b) => a.userId.localeCompare(b.userId));
        expect(listed).toEqual([records[1], records[0]]);
      });
    });

    describe('delivery-discount ledger', () => {
      it('round-trips every field of an entry, to the millisecond', async () => {
        const fresh = deliveryDiscount({
          orderId: 'order-1',
          userId: 'user-1',
          placedAt: new Date('2025-04-10T10:11:12.345Z'),
          waivedCents: 599,
          currency: 'USD',
          instacartplusMember: true,
          expiredAt: new Date('2026-04-10T00:00:00.678Z'),
          verifiedAt: new Date('2025-04-10T10:11:10.001Z'),
          verification: 'fresh',
        });
        const grace = deliveryDiscount({
          orderId: 'order-2',
          userId: 'user-2',
          placedAt: new Date('2025-04-10T11:00:00.999Z'),
          waivedCents: 0,
          currency: 'CAD',
          instacartplusMember: true,
          expiredAt: null,
          verifiedAt: new Date('2025-04-10T09:00:00.002Z'),
          verification: 'grace',
        });
        await storage.discounts.record(fresh);
        await storage.discounts.record(grace);
        expect(await storage.discounts.list(wholeApril)).toEqual([fresh, grace]);
      });

      it('rejects a second entry for the same order with DuplicateDiscountError, keeping the first', async () => {
        const first = deliveryDiscount({ orderId: 'order-1', waivedCents: 499 });
        await storage.discounts.record(first);
        const second = storage.discounts.record(deliveryDiscount({ orderId: 'order-1', waivedCents: 999 }));
        await expect(second).rejects.toBeInstanceOf(DuplicateDiscountError);
        await expect(second).rejects.toMatchObject({ code: 'duplicate_discount', orderId: 'order-1' });
        expect(await storage.discounts.list(wholeApril)).toEqual([first]);
      });

      it('lists a period oldest first, from inclusive and to exclusive', async () => {
        const from = new Date('2025-04-01T00:00:00.000Z');
        const to = new Date('2025-05-01T00:00:00.000Z');
        const placed = {
          'before-from': new Date(from.getTime() - 1),
          'at-from': from,
          'mid-period': new Date('2025-04-15T12:00:00.000Z'),
          'last-millisecond': new Date(to.getTime() - 1),
          'at-to': to,
        };
        // Recorded out of order, so that "oldest first" cannot come from insertion order.
        for (const orderId of [
          'mid-period',
          'at-to',
          'last-millisecond',
          'before-from',
          'at-from',
        ] as const) {
          await storage.discounts.record(deliveryDiscount({ orderId, placedAt: placed[orderId] }));
        }
        const listed = await storage.discounts.list({ from, to });
        expect(listed.map((discount) => discount.orderId)).toEqual([
          'at-from',
          'mid-period',
          'last-millisecond',
        ]);
        expect(
          await storage.discounts.list({ from: to, to: new Date('2025-06-01T00:00:00.000Z') }),
        ).toHaveLength(1);
      });

      it('totals nothing for an empty period', async () => {
        await storage.discounts.record(deliveryDiscount({ placedAt: new Date('2025-03-31T23:59:59.999Z') }));
        expect(await storage.discounts.totals(wholeApril)).toEqual({
          orders: 0,
          waivedCentsByCurrency: {},
          byDay: [],
        });
      });

      it('totals a period by currency and by UTC day, split exactly at midnight UTC', async () => {
        const entries: Array<Partial<DeliveryDiscount>> = [
          {
            orderId: 'o1',
            placedAt: new Date('2025-04-01T00:00:00.000Z'),
            waivedCents: 100,
            currency: 'USD',
          },
          {
            orderId: 'o2',
            placedAt: new Date('2025-04-01T23:59:59.999Z'),
            waivedCents: 250,
            currency: 'USD',
          },
          {
            orderId: 'o3',
            placedAt: new Date('2025-04-01T12:00:00.000Z'),
            waivedCents: 300,
            currency: 'CAD',
          },
          {
            orderId: 'o4',
            placedAt: new Date('2025-04-02T00:00:00.000Z'),
            waivedCents: 400,
            currency: 'USD',
          },
          { orderId: 'o5', placedAt: new Date('2025-04-30T23:59:59.999Z'), waivedCents: 50, currency: 'CAD' },
          // Outside the period on either side: must count nowhere.
          {
            orderId: 'o6',
            placedAt: new Date('2025-03-31T23:59:59.999Z'),
            waivedCents: 7000,
            currency: 'USD',
          },
          {
            orderId: 'o7',
            placedAt: new Date('2025-05-01T00:00:00.000Z'),
            waivedCents: 8000,
            currency: 'CAD',
          },
        ];
        for (const entry of entries) {
          await storage.discounts.record(deliveryDiscount(entry));
        }
        expect(await storage.discounts.totals(wholeApril)).toEqual({
          orders: 5,
          waivedCentsByCurrency: { USD: 750, CAD: 350 },
          byDay: [
            { day: '2025-04-01', currency: 'CAD', orders: 1, waivedCents: 300 },
            { day: '2025-04-01', currency: 'USD', orders: 2, waivedCents: 350 },
            { day: '2025-04-02', currency: 'USD', orders: 1, waivedCents: 400 },
            { day: '2025-04-30', currency: 'CAD', orders: 1, waivedCents: 50 },
          ],
        });
      });

      it('puts 23:59:59.999Z and the next 00:00:00.000Z on different days', async () => {
        await storage.discounts.record(
          deliveryDiscount({
            orderId: 'late',
            placedAt: new Date('2025-04-09T23:59:59.999Z'),
            waivedCents: 1,
          }),
        );
        await storage.discounts.record(
          deliveryDiscount({
            orderId: 'early',
            placedAt: new Date('2025-04-10T00:00:00.000Z'),
            waivedCents: 2,
          }),
        );
        const { byDay } = await storage.discounts.totals(wholeApril);
        expect(byDay).toEqual([
          { day: '2025-04-09', currency: 'USD', orders: 1, waivedCents: 1 },
          { day: '2025-04-10', currency: 'USD', orders: 1, waivedCents: 2 },
        ]);
      });
    });

    describe('transactions', () => {
      it('commits every write of the work and returns its value', async () => {
        const result = await storage.transaction(async (inner) => {
          await inner.linkTransactions.create(linkTransaction({ stateHash: 'state-tx' }));
          await inner.verifications.save(membershipVerification({ userId: 'user-tx' }));
          await inner.linkRecords.markLinked('user-tx', new Date('2025-04-01T00:00:00.000Z'));
          await inner.discounts.record(deliveryDiscount({ orderId: 'order-tx' }));
          // Reads inside the transaction see its own writes.
          expect(await inner.linkRecords.get('user-tx')).not.toBeNull();
          return 'done';
        });
        expect(result).toBe('done');
        expect(await storage.linkTransactions.consume('state-tx')).not.toBeNull();
        expect(await storage.verifications.get('user-tx')).not.toBeNull();
        expect(await storage.linkRecords.get('user-tx')).not.toBeNull();
        expect((await storage.discounts.list(wholeApril)).map((discount) => discount.orderId)).toEqual([
          'order-tx',
        ]);
      });

      it('leaves no write behind when the work throws, and rethrows its error', async () => {
        const before = membershipVerification({ userId: 'user-kept', result: 'not-linked' });
        await storage.verifications.save(before);
        await storage.linkRecords.markLinked('user-kept', new Date('2025-01-01T00:00:00.000Z'));
        await storage.linkTransactions.create(linkTransaction({ stateHash: 'state-kept' }));
        const failure = new Error('work failed');

        const attempt = storage.transaction(async (inner) => {
          await inner.linkTransactions.create(linkTransaction({ stateHash: 'state-rolled-back' }));
          expect(await inner.linkTransactions.consume('state-kept')).not.toBeNull();
          await inner.verifications.save(membershipVerification({ userId: 'user-kept', result: 'linked' }));
          await inner.verifications.save(membershipVerification({ userId: 'user-new' }));
          await inner.linkRecords.markUnlinked('user-kept');
          await inner.linkRecords.markLinked('user-new', new Date('2025-04-01T00:00:00.000Z'));
          await inner.discounts.record(deliveryDiscount({ orderId: 'order-rolled-back' }));
          throw failure;
        });
        await expect(attempt).rejects.toBe(failure);

        expect(await storage.linkTransactions.consume('state-rolled-back')).toBeNull();
        expect(await storage.linkTransactions.consume('state-kept')).not.toBeNull();
        expect(await storage.verifications.get('user-kept')).toEqual(before);
        expect(await storage.verifications.get('user-new')).toBeNull();
        expect(await storage.linkRecords.list()).toEqual([
          { userId: 'user-kept', linkedAt: new Date('2025-01-01T00:00:00.000Z') },
        ]);
        expect(await storage.discounts.list(wholeApril)).toEqual([]);
      });

      it('rolls back when a ledger entry inside is a duplicate and the work lets the error through', async () => {
        await storage.discounts.record(deliveryDiscount({ orderId: 'order-1' }));
        const attempt = storage.transaction(async (inner) => {
          await inner.linkRecords.markLinked('user-1', new Date('2025-04-01T00:00:00.000Z'));
          await inner.discounts.record(deliveryDiscount({ orderId: 'order-1' }));
        });
        await expect(attempt).rejects.toBeInstanceOf(DuplicateDiscountError);
        expect(await storage.linkRecords.get('user-1')).toBeNull();
      });

      it('stays usable after a duplicate ledger entry is caught inside it, and commits', async () => {
        // On PostgreSQL a plain INSERT hitting the primary key would abort the whole transaction
        // ("current transaction is aborted"), and the next write in it would fail.
        await storage.discounts.record(deliveryDiscount({ orderId: 'order-1' }));
        await storage.transaction(async (inner) => {
          await expect(
            inner.discounts.record(deliveryDiscount({ orderId: 'order-1' })),
          ).rejects.toBeInstanceOf(DuplicateDiscountError);
          await inner.linkRecords.markLinked('user-1', new Date('2025-04-01T12:00:00.000Z'));
        });
        expect(await storage.linkRecords.get('user-1')).not.toBeNull();
      });
    });
  });
}

/** April 2025, UTC: the billing period most ledger tests use. */
const wholeApril = {
  from: new Date('2025-04-01T00:00:00.000Z'),
  to: new Date('2025-05-01T00:00:00.000Z'),
};

function linkTransaction(overrides: Partial<LinkTransaction> = {}): LinkTransaction {
  return {
    stateHash: 'state',
    sessionId: 'session-1',
    userId: 'user-1',
    codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    redirectUri: 'http://localhost:3000/account/profile',
    clientId: 'cartlink-demo',
    createdAt: new Date('2025-04-01T10:00:00.123Z'),
    expiresAt: new Date('2025-04-01T10:10:00.456Z'),
    ...overrides,
  };
}

function membershipVerification(overrides: Partial<MembershipVerification> = {}): MembershipVerification {
  return {
    userId: 'user-1',
    result: 'linked',
    instacartplusMember: true,
    expiredAt: new Date('2026-04-01T00:00:00.000Z'),
    verifiedAt: new Date('2025-04-01T10:00:00.789Z'),
    ...overrides,
  };
}

function deliveryDiscount(overrides: Partial<DeliveryDiscount> = {}): DeliveryDiscount {
  return {
    orderId: 'order',
    userId: 'user-1',
    placedAt: new Date('2025-04-15T12:00:00.000Z'),
    waivedCents: 599,
    currency: 'USD',
    instacartplusMember: true,
    expiredAt: new Date('2026-04-01T00:00:00.000Z'),
    verifiedAt: new Date('2025-04-15T11:59:58.500Z'),
    verification: 'fresh',
    ...overrides,
  };
}
