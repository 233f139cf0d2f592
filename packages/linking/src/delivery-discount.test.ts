import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDeliveryDiscountPolicy,
  type DeliveryDiscountPolicy,
  formatReconciliationCsv,
  RECONCILIATION_CSV_HEADER,
  toDeliveryDiscount,
} from './delivery-discount.js';
import type { DeliveryDiscount } from './storage/types.js';
import { createLinkingFixture, type LinkingFixture } from './test-support/fake-connect.js';

const alex = { sessionId: 'session-alex', userId: 'user-alex' };
let f: LinkingFixture;
let policy: DeliveryDiscountPolicy;

function connectDown(): void {
  f.fake.overrides.set('status', () => {
    throw new TypeError('fetch failed');
  });
}

beforeEach(async () => {
  f = await createLinkingFixture();
  policy = createDeliveryDiscountPolicy({ linking: f.linking, graceSeconds: 900 });
});
afterEach(async () => {
  await f.close();
});

describe('the delivery-discount decision', () => {
  it('waives the fee for an active member, verified fresh at checkout', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.getStatus(alex);
    const decision = await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 });
    expect(decision).toEqual({
      eligible: true,
      waivedCents: 399,
      evidence: {
        instacartplusMember: true,
        expiredAt: new Date('2099-01-31T00:00:00Z'),
        verifiedAt: f.clock.now,
        verification: 'fresh',
      },
    });
    // A fresh call even though a recent verification existed.
    expect(f.fake.count('status')).toBe(2);
  });

  it('charges a linked shopper without Instacart+', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 2, active: true });
    expect(await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).toEqual({
      eligible: false,
      reason: 'not-member',
      waivedCents: 0,
    });
  });

  it.each([
    ['without a Connect user', undefined],
    ['not linked', { linkedTo: null, active: true }],
  ])('charges a shopper %s and says linking would help', async (_name, user) => {
    if (user) f.fake.users.set(alex.userId, user);
    expect(await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).toMatchObject({
      eligible: false,
      reason: 'not-linked',
    });
  });

  it('charges a shopper whose Connect user is not active', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: false });
    expect(await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).toMatchObject({
      eligible: false,
      reason: 'user-not-active',
    });
  });

  it('keeps the discount within the grace window when Connect is down, recorded as grace', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.verifyMembership(alex);
    const verifiedAt = f.clock.now;
    f.clock.advance(600);
    connectDown();
    expect(await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).toEqual({
      eligible: true,
      waivedCents: 399,
      evidence: {
        instacartplusMember: true,
        expiredAt: new Date('2099-01-31T00:00:00Z'),
        verifiedAt,
        verification: 'grace',
      },
    });
  });

  it('refuses the discount when the last verification is older than the grace window', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.verifyMembership(alex);
    f.clock.advance(901);
    connectDown();
    expect(await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).toMatchObject({
      eligible: false,
      reason: 'unverifiable',
    });
  });

  it('refuses the grace discount when the subscription ended since the verification', async () => {
    f.fake.accounts.set(3, { instacartplusMember: true, expiredAt: '2026-06-01T12:05:00Z' });
    f.fake.users.set(alex.userId, { linkedTo: 3, active: true });
    await f.linking.verifyMembership(alex);
    f.clock.advance(600);
    connectDown();
    expect((await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).eligible).toBe(false);
  });

  it('refuses the grace discount when the last verification was not a membership', async () => {
    f.fake.users.set(alex.userId, { linkedTo: 2, active: true });
    await f.linking.verifyMembership(alex);
    connectDown();
    expect((await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).eligible).toBe(false);
  });

  it('has no grace at all when the window is 0', async () => {
    policy = createDeliveryDiscountPolicy({ linking: f.linking, graceSeconds: 0 });
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await f.linking.verifyMembership(alex);
    f.clock.advance(1);
    connectDown();
    expect((await policy.decide({ userId: alex.userId, deliveryFeeCents: 399 })).eligible).toBe(false);
  });

  it('refuses a negative or fractional fee', async () => {
    await expect(policy.decide({ userId: alex.userId, deliveryFeeCents: -1 })).rejects.toThrow(RangeError);
    await expect(policy.decide({ userId: alex.userId, deliveryFeeCents: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('onDecision', () => {
  it('tells each decision with its purpose, basis and cents, and survives a throwing listener', async () => {
    const events: unknown[] = [];
    const told = createDeliveryDiscountPolicy({
      linking: f.linking,
      graceSeconds: 900,
      onDecision: (event) => {
        events.push(event);
        throw new Error('listener bug');
      },
    });
    f.fake.users.set(alex.userId, { linkedTo: 1, active: true });
    await told.decide({ userId: alex.userId, deliveryFeeCents: 399, purpose: 'quote' });
    connectDown();
    expect(await told.decide({ userId: alex.userId, deliveryFeeCents: 399 })).toMatchObject({
      eligible: true,
    });
    f.clock.advance(901);
    await told.decide({ userId: alex.userId, deliveryFeeCents: 399 });
    expect(events).toEqual([
      {
        userId: alex.userId,
        purpose: 'quote',
        eligible: true,
        basis: 'fresh',
        waivedCents: 399,
        reason: null,
      },
      {
        userId: alex.userId,
        purpose: 'order',
        eligible: true,
        basis: 'grace',
        waivedCents: 399,
        reason: null,
      },
      {
        userId: alex.userId,
        purpose: 'order',
        eligible: false,
        basis: null,
        waivedCents: 0,
        reason: 'unverifiable',
      },
    ]);
  });
});

describe('the ledger entry and the reconciliation CSV', () => {
  const entry: DeliveryDiscount = {
    orderId: 'order-1',
    userId: 'user-alex',
    placedAt: new Date('2026-06-01T12:00:00.000Z'),
    waivedCents: 399,
    currency: 'USD',
    instacartplusMember: true,
    expiredAt: new Date('2027-06-01T00:00:00.000Z'),
    verifiedAt: new Date('2026-06-01T11:59:59.000Z'),
    verification: 'fresh',
  };

  it('builds the entry from the decision, with the evidence', () => {
    const built = toDeliveryDiscount({
      orderId: 'order-1',
      userId: 'user-alex',
      placedAt: entry.placedAt,
      currency: 'usd',
      decision: {
        eligible: true,
        waivedCents: 399,
        evidence: {
          instacartplusMember: true,
          expiredAt: entry.expiredAt,
          verifiedAt: entry.verifiedAt,
          verification: 'fresh',
        },
      },
    });
    expect(built).toEqual(entry);
  });

  it('writes the reconciliation header and one line per discount, CRLF-terminated', () => {
    const csv = formatReconciliationCsv([
      entry,
      { ...entry, orderId: 'order-2', expiredAt: null, verification: 'grace' },
    ]);
    expect(csv.split('\r\n')).toEqual([
      'order_id,placed_at,user_id,waived_cents,currency,instacartplus_member,expired_at,verified_at,verification',
      'order-1,2026-06-01T12:00:00.000Z,user-alex,399,USD,true,2027-06-01T00:00:00.000Z,2026-06-01T11:59:59.000Z,fresh',
      'order-2,2026-06-01T12:00:00.000Z,user-alex,399,USD,true,,2026-06-01T11:59:59.000Z,grace',
      '',
    ]);
    expect(RECONCILIATION_CSV_HEADER).toHaveLength(9);
  });

  it('quotes commas and quotes, and defuses spreadsheet formulas in ids', () => {
    const csv = formatReconciliationCsv([{ ...entry, orderId: '=HYPERLINK("x")', userId: 'a,b' }]);
    expect(csv.split('\r\n')[1]).toMatch(/^"'=HYPERLINK\(""x""\)",2026-06-01T12:00:00.000Z,"a,b",/);
  });

  it('writes only the header for an empty period', () => {
    expect(formatReconciliationCsv([])).toBe(`${RECONCILIATION_CSV_HEADER.join(',')}\r\n`);
  });
});
