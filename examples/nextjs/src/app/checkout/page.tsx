/**
 * @module `/checkout`: the basket, and the delivery fee decided with a fresh membership verification
 * (the linking package's discount policy): $0 for an Instacart+ member, with the savings shown.
 * "Place order" posts the fee shown, which the order may not exceed.
 */
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { BASKET, DELIVERY_FEE_CENTS, formatCents } from '../../shop.js';
import { requireShopper } from '../../shop-server';
import { placeOrder } from '../actions';

/** The page's title. */
export const metadata: Metadata = { title: 'Checkout' };

const NO_DISCOUNT_MESSAGES: Record<string, ReactNode> = {
  'not-linked': (
    <>
      Instacart+ member? <a href="/account/profile">Link your Instacart account</a> to get $0 delivery.
    </>
  ),
  'not-member': 'Your Instacart account has no active Instacart+ membership, so delivery is charged.',
  'user-not-active': 'Instacart says your account is not active, so delivery is charged.',
  unverifiable: "We couldn't reach Instacart to verify your Instacart+ membership, so delivery is charged.",
};

const NOTICES: Record<string, string> = {
  'fee-changed': 'Your delivery fee changed since you opened checkout. Review it and place the order again.',
  expired: 'The form expired. Review your order and place it again.',
};

/** The checkout page. */
export default async function CheckoutPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { shop, session, shopper } = await requireShopper();
  const { notice } = await searchParams;
  const { decision, chargedCents } = await shop.decideDelivery(shopper.id);
  const noticeText = typeof notice === 'string' ? NOTICES[notice] : undefined;
  return (
    <>
      <h1>Checkout</h1>
      {noticeText === undefined ? null : <p role="alert">{noticeText}</p>}
      <p>
        {BASKET.description}: {formatCents(BASKET.subtotalCents)}
      </p>
      {decision.eligible ? (
        <>
          <p>
            Delivery: <s>{formatCents(DELIVERY_FEE_CENTS)}</s>{' '}
            <strong data-delivery-fee-cents={chargedCents}>{formatCents(chargedCents)}</strong>
          </p>
          <p>You saved {formatCents(decision.waivedCents)} with Instacart+.</p>
        </>
      ) : (
        <>
          <p>
            Delivery: <strong data-delivery-fee-cents={chargedCents}>{formatCents(chargedCents)}</strong>
          </p>
          <p>{NO_DISCOUNT_MESSAGES[decision.reason]}</p>
        </>
      )}
      <p>Total: {formatCents(BASKET.subtotalCents + chargedCents)}</p>
      <form action={placeOrder}>
        <input type="hidden" name="_csrf" value={session.csrfToken} />
        <input type="hidden" name="expected_fee_cents" value={chargedCents} />
        <button type="submit">Place order</button>
      </form>
    </>
  );
}
