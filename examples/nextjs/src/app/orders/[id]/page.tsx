/**
 * @module `/orders/:id`: what was charged, and whether the delivery fee was waived.
 */
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { formatCents } from '../../../shop.js';
import { requireShopper } from '../../../shop-server';

/** The page's title. */
export const metadata: Metadata = { title: 'Your order' };

/** The order page; only the shopper's own orders. */
export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const { shop, shopper } = await requireShopper();
  const order = shop.findOrder(shopper.id, (await params).id);
  if (order === undefined) notFound();
  const waived = order.deliveryFeeCents - order.deliveryChargedCents;
  return (
    <>
      <h1>Thank you!</h1>
      <p>
        Order <code data-order-id={order.id}>{order.id}</code> is placed.
      </p>
      <p>
        Delivery charged:{' '}
        <strong data-delivery-charged-cents={order.deliveryChargedCents}>
          {formatCents(order.deliveryChargedCents)}
        </strong>
        {waived > 0
          ? ` (${formatCents(waived)} waived for Instacart+, recorded for reconciliation with Instacart)`
          : ''}
      </p>
      <p>Total: {formatCents(order.subtotalCents + order.deliveryChargedCents)}</p>
    </>
  );
}
