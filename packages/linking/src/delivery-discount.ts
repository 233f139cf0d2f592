/**
 * @module The delivery-discount policy and ledger: who gets $0 delivery at checkout, on what
 * evidence, and the record of every discount for billing reconciliation with Instacart.
 * @see https://docs.instacart.com/connect (account linking how-to), Prerequisites ("A billing reconciliation process is set up to
 *   handle delivery discounts") and Best practices ("Verify ... when they checkout")
 * @see docs/connect-api.md §6
 */
import type { Linking, Locale } from './linking.js';
import { isActiveMember } from './status.js';
import type {
  DeliveryDiscount,
  DeliveryDiscountLedger,
  DiscountVerification,
  MembershipVerification,
} from './storage/types.js';

/** Options of {@link createDeliveryDiscountPolicy}. */
export interface DeliveryDiscountPolicyOptions {
  /** The linking core whose membership verifications decide the discount. */
  linking: Linking;
  /**
   * When Connect cannot be reached at checkout, a verification younger than this (in seconds) still
   * counts (recorded as `grace`); 0 turns the grace rule off.
   * @default 900
   */
  graceSeconds?: number;
  /**
   * The clock.
   * @default linking.options.now
   */
  now?: () => Date;
  /**
   * Told of every decision, for metrics and logs (`@cartlink/linking/opentelemetry` counts the
   * discounts granted for orders from it). Never carries a secret; a throwing listener is ignored.
   */
  onDecision?: (event: DeliveryDiscountDecisionEvent) => void;
}

/**
 * What {@link DeliveryDiscountPolicyOptions.onDecision} is told after each
 * {@link DeliveryDiscountPolicy.decide}.
 */
export interface DeliveryDiscountDecisionEvent {
  /** The shopper's user id. */
  userId: string;
  /** What the decision was for: an order being placed, or a price shown before one. */
  purpose: DecisionPurpose;
  /** Whether the shopper gets $0 delivery. */
  eligible: boolean;
  /** The evidence a discount rests on (`fresh` or `grace`); null when there is no discount. */
  basis: DiscountVerification | null;
  /** The delivery fee waived, in the fee's minor unit (cents); 0 when there is no discount. */
  waivedCents: number;
  /** Why there is no discount; null when there is one. */
  reason: NoDiscountReason | null;
}

/**
 * What a decision is for. Only an `order` decision is a discount granted (the one the ledger records);
 * a `quote` prices a page (the checkout page before the order), and the order decides again.
 */
export type DecisionPurpose = 'order' | 'quote';

/** The membership evidence a discount rests on; it is what the ledger records. */
export interface MembershipEvidence {
  /** Connect's `instacartplus_member` in the verification relied on. */
  instacartplusMember: boolean;
  /** Connect's `expired_at` (the subscription's end) in that verification, or null. */
  expiredAt: Date | null;
  /** When Connect gave that answer. */
  verifiedAt: Date;
  /** Whether Connect confirmed it during this checkout (`fresh`) or the grace rule was used (`grace`). */
  verification: DiscountVerification;
}

/** Why a shopper gets no discount, so the checkout page can tell them. */
export type NoDiscountReason =
  /** Not linked (or no Connect user yet): the page offers linking. */
  | 'not-linked'
  /** Linked, but no active Instacart+ membership. */
  | 'not-member'
  /** Instacart says the shopper's Connect user is not active. */
  | 'user-not-active'
  /** Connect could not be reached and no verification within the grace window exists. */
  | 'unverifiable';

/** What {@link DeliveryDiscountPolicy.decide} answers: a discount with its evidence, or why there is none. */
export type DeliveryDiscountDecision =
  | {
      /** The shopper gets $0 delivery. */
      eligible: true;
      /** The delivery fee waived, in cents: all of it. */
      waivedCents: number;
      /** What the discount rests on; record it in the ledger with {@link toDeliveryDiscount}. */
      evidence: MembershipEvidence;
    }
  | {
      /** The shopper pays the delivery fee. */
      eligible: false;
      /** Why, for the checkout page to say. */
      reason: NoDiscountReason;
      /** Nothing is waived. */
      waivedCents: 0;
    };

/** The checkout's delivery-discount rule, made by {@link createDeliveryDiscountPolicy}. */
export interface DeliveryDiscountPolicy {
  /**
   * Verifies the membership with a fresh Connect call and decides the discount on a delivery fee.
   * Falls back to the grace rule when Connect cannot be reached.
   */
  decide(input: {
    userId: string;
    deliveryFeeCents: number;
    locale?: Locale;
    /**
     * What the decision is for, told to `onDecision` only: the decision itself is the same.
     * @default "order"
     */
    purpose?: DecisionPurpose;
  }): Promise<DeliveryDiscountDecision>;
}

/** The discount of the whole fee, resting on the verification it was decided on. */
function grantDiscount(
  deliveryFeeCents: number,
  verification: MembershipVerification,
  kind: DiscountVerification,
): Extract<DeliveryDiscountDecision, { eligible: true }> {
  return {
    eligible: true,
    waivedCents: deliveryFeeCents,
    evidence: {
      instacartplusMember: verification.instacartplusMember,
      expiredAt: verification.expiredAt,
      verifiedAt: verification.verifiedAt,
      verification: kind,
    },
  };
}

function refuseDiscount(reason: NoDiscountReason): Extract<DeliveryDiscountDecision, { eligible: false }> {
  return { eligible: false, reason, waivedCents: 0 };
}

/**
 * Creates the checkout's discount policy.
 * @example
 * const decision = await policy.decide({ userId, deliveryFeeCents: 399 });
 * if (decision.eligible) await ledger.record(toDeliveryDiscount({ orderId, userId, placedAt, currency: 'USD', decision }));
 */
export function createDeliveryDiscountPolicy(options: DeliveryDiscountPolicyOptions): DeliveryDiscountPolicy {
  const graceMs = (options.graceSeconds ?? 900) * 1000;
  const now = options.now ?? options.linking.options.now;
  const { onDecision } = options;

  /** The decision itself: a fresh verification, the grace rule when Connect cannot be reached. */
  async function decideOnVerification(input: {
    userId: string;
    deliveryFeeCents: number;
    locale?: Locale;
  }): Promise<DeliveryDiscountDecision> {
    const { userId, deliveryFeeCents, locale } = input;
    const { verification, reachable } = await options.linking.getVerification(userId, {
      fresh: true,
      ...(locale ? { locale } : {}),
    });
    const at = now();
    if (!reachable) {
      const withinGrace =
        verification !== null &&
        at.getTime() - verification.verifiedAt.getTime() <= graceMs &&
        isActiveMember(verification, at);
      return withinGrace
        ? grantDiscount(deliveryFeeCents, verification, 'grace')
        : refuseDiscount('unverifiable');
    }
    if (verification === null) return refuseDiscount('unverifiable');
    switch (verification.result) {
      case 'user-not-found':
      case 'not-linked':
        return refuseDiscount('not-linked');
      case 'user-not-active':
        return refuseDiscount('user-not-active');
      case 'linked':
        return isActiveMember(verification, at)
          ? grantDiscount(deliveryFeeCents, verification, 'fresh')
          : refuseDiscount('not-member');
    }
  }

  return {
    async decide(input) {
      if (!Number.isInteger(input.deliveryFeeCents) || input.deliveryFeeCents < 0) {
        throw new RangeError('deliveryFeeCents must be a non-negative integer');
      }
      const decision = await decideOnVerification(input);
      if (onDecision) {
        try {
          onDecision({
            userId: input.userId,
            purpose: input.purpose ?? 'order',
            eligible: decision.eligible,
            basis: decision.eligible ? decision.evidence.verification : null,
            waivedCents: decision.waivedCents,
            reason: decision.eligible ? null : decision.reason,
          });
        } catch {
          // A faulty listener must not cost the shopper their checkout.
        }
      }
      return decision;
    },
  };
}

/** Builds the ledger entry for an order placed with an eligible decision. */
export function toDeliveryDiscount(input: {
  orderId: string;
  userId: string;
  placedAt: Date;
  currency: string;
  decision: Extract<DeliveryDiscountDecision, { eligible: true }>;
}): DeliveryDiscount {
  const { decision } = input;
  return {
    orderId: input.orderId,
    userId: input.userId,
    placedAt: input.placedAt,
    waivedCents: decision.waivedCents,
    currency: input.currency.toUpperCase(),
    instacartplusMember: decision.evidence.instacartplusMember,
    expiredAt: decision.evidence.expiredAt,
    verifiedAt: decision.evidence.verifiedAt,
    verification: decision.evidence.verification,
  };
}

/** The reconciliation CSV's columns, in order (part of Cartlink's external contract). */
export const RECONCILIATION_CSV_HEADER = [
  'order_id',
  'placed_at',
  'user_id',
  'waived_cents',
  'currency',
  'instacartplus_member',
  'expired_at',
  'verified_at',
  'verification',
] as const;

/**
 * Quotes a CSV field (RFC 4180) and defuses spreadsheet formulas: a field that starts with `=`, `+`,
 * `-`, `@`, tab or carriage return gets a leading apostrophe, since finance opens this file in a
 * spreadsheet and ids come from outside.
 */
function toCsvField(value: string): string {
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}

/** Renders ledger entries as the reconciliation CSV, header first, lines ending in CRLF (RFC 4180). */
export function formatReconciliationCsv(discounts: readonly DeliveryDiscount[]): string {
  const lines = [RECONCILIATION_CSV_HEADER.join(',')];
  for (const discount of discounts) {
    lines.push(
      [
        discount.orderId,
        discount.placedAt.toISOString(),
        discount.userId,
        String(discount.waivedCents),
        discount.currency,
        String(discount.instacartplusMember),
        discount.expiredAt?.toISOString() ?? '',
        discount.verifiedAt.toISOString(),
        discount.verification,
      ]
        .map(toCsvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export type { DeliveryDiscountLedger };
