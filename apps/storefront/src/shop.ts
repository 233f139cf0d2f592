/**
 * @module Carts and orders in the shop's database. Placing an order writes the order, its lines and,
 * for a waived delivery fee, the delivery-discount ledger entry in one database transaction: the
 * ledger never lists an order that does not exist, and no discounted order lacks its evidence.
 * @see README.md, "How it fits together" (order + ledger entry in one transaction)
 */
import { randomBytes } from 'node:crypto';
import { createSqlStorage, type DeliveryDiscountDecision, toDeliveryDiscount } from '@cartlink/linking';
import { type Kysely, sql } from 'kysely';
import { CURRENCY, findProduct, MAX_QUANTITY, PRODUCTS, type Product } from './catalogue.js';
import { fromMillis, type StorefrontDatabase, type StorefrontDb } from './db/schema.js';

/** One line of a cart, priced from the catalogue. */
export interface CartLine {
  product: Product;
  quantity: number;
  lineCents: number;
}

/** A cart with its subtotal. */
export interface Cart {
  lines: CartLine[];
  itemCount: number;
  subtotalCents: number;
}

/** A placed order as the order pages show it. */
export interface Order {
  id: string;
  userId: string;
  placedAt: Date;
  currency: string;
  subtotalCents: number;
  deliveryFeeCents: number;
  deliveryChargedCents: number;
  totalCents: number;
  discountVerification: 'fresh' | 'grace' | null;
  lines: Array<{ productId: string; name: string; unitPriceCents: number; quantity: number }>;
}

/**
 * Adds `quantity` (default 1) of a product to the shopper's cart; the line never holds more than
 * {@link MAX_QUANTITY}.
 * @throws {RangeError} for a quantity that is not an integer from 1 to {@link MAX_QUANTITY}: callers
 * validate input at the edge, this guards the database against a caller that did not.
 */
export async function addToCart(
  db: StorefrontDb,
  userId: string,
  productId: string,
  now: Date,
  quantity = 1,
): Promise<void> {
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw new RangeError(`Cart quantity must be an integer from 1 to ${MAX_QUANTITY}`);
  }
  // One statement, so two tabs (or two instances) adding at once both count.
  await db
    .insertInto('shop_cart_items')
    .values({ user_id: userId, product_id: productId, quantity, added_at: now.getTime() })
    .onConflict((conflict) =>
      conflict.columns(['user_id', 'product_id']).doUpdateSet({
        quantity: sql<number>`case when shop_cart_items.quantity + ${quantity} < ${MAX_QUANTITY} then shop_cart_items.quantity + ${quantity} else ${MAX_QUANTITY} end`,
      }),
    )
    .execute();
}

/** Removes a product from the shopper's cart. */
export async function removeFromCart(db: StorefrontDb, userId: string, productId: string): Promise<void> {
  await db
    .deleteFrom('shop_cart_items')
    .where('user_id', '=', userId)
    .where('product_id', '=', productId)
    .execute();
}

function toCart(rows: ReadonlyArray<{ product_id: string; quantity: number | string }>): Cart {
  const lines: CartLine[] = [];
  for (const row of rows) {
    // A product dropped from the catalogue since it was added is left out rather than sold.
    const product = findProduct(row.product_id);
    if (product === undefined) continue;
    const quantity = Number(row.quantity);
    lines.push({ product, quantity, lineCents: product.priceCents * quantity });
  }
  lines.sort((a, b) => a.product.name.localeCompare(b.product.name));
  return {
    lines,
    itemCount: lines.reduce((sum, line) => sum + line.quantity, 0),
    subtotalCents: lines.reduce((sum, line) => sum + line.lineCents, 0),
  };
}

/** The shopper's cart. */
export async function getCart(db: StorefrontDb, userId: string): Promise<Cart> {
  const rows = await db
    .selectFrom('shop_cart_items')
    .select(['product_id', 'quantity'])
    .where('user_id', '=', userId)
    .execute();
  return toCart(rows);
}

/** A new order id: `CM-` and 48 random bits in hex, short enough to read out on the phone. */
export function createOrderId(): string {
  return `CM-${randomBytes(6).toString('hex').toUpperCase()}`;
}

/** What {@link placeOrder} needs besides the database. */
export interface PlaceOrderInput {
  userId: string;
  deliveryFeeCents: number;
  /** The delivery-discount decision taken (fresh) for this order. */
  decision: DeliveryDiscountDecision;
  now: Date;
}

/**
 * Turns the shopper's cart into an order, in one transaction: the cart is emptied with
 * `DELETE … RETURNING` first, so of two concurrent submissions only one finds the items (the other
 * waits on the row locks and then finds none); then the order, its lines and (when the fee is waived)
 * the ledger entry are written. Returns null, writing nothing, when the cart is empty.
 */
export async function placeOrder(
  db: Kysely<StorefrontDatabase>,
  input: PlaceOrderInput,
): Promise<Order | null> {
  return db.transaction().execute(async (trx) => {
    const taken = await trx
      .deleteFrom('shop_cart_items')
      .where('user_id', '=', input.userId)
      .returning(['product_id', 'quantity'])
      .execute();
    const cart = toCart(taken);
    if (cart.lines.length === 0) return null;

    const { decision } = input;
    const deliveryChargedCents = decision.eligible
      ? input.deliveryFeeCents - decision.waivedCents
      : input.deliveryFeeCents;
    const order: Order = {
      id: createOrderId(),
      userId: input.userId,
      placedAt: input.now,
      currency: CURRENCY,
      subtotalCents: cart.subtotalCents,
      deliveryFeeCents: input.deliveryFeeCents,
      deliveryChargedCents,
      totalCents: cart.subtotalCents + deliveryChargedCents,
      discountVerification: decision.eligible ? decision.evidence.verification : null,
      lines: cart.lines.map((line) => ({
        productId: line.product.id,
        name: line.product.name,
        unitPriceCents: line.product.priceCents,
        quantity: line.quantity,
      })),
    };
    await trx
      .insertInto('shop_orders')
      .values({
        id: order.id,
        user_id: order.userId,
        placed_at: order.placedAt.getTime(),
        currency: order.currency,
        subtotal_cents: order.subtotalCents,
        delivery_fee_cents: order.deliveryFeeCents,
        delivery_charged_cents: order.deliveryChargedCents,
        total_cents: order.totalCents,
        discount_verification: order.discountVerification,
      })
      .execute();
    await trx
      .insertInto('shop_order_items')
      .values(
        order.lines.map((line, index) => ({
          order_id: order.id,
          line: index + 1,
          product_id: line.productId,
          name: line.name,
          unit_price_cents: line.unitPriceCents,
          quantity: line.quantity,
        })),
      )
      .execute();
    if (decision.eligible) {
      // The ledger's stores bound to this same transaction: the entry commits with the order or not at all.
      const ledger = createSqlStorage<StorefrontDatabase>(trx).discounts;
      await ledger.record(
        toDeliveryDiscount({
          orderId: order.id,
          userId: order.userId,
          placedAt: order.placedAt,
          currency: order.currency,
          decision,
        }),
      );
    }
    return order;
  });
}

/** The shopper's orders, newest first, without their lines. */
export async function listOrders(db: StorefrontDb, userId: string): Promise<Omit<Order, 'lines'>[]> {
  const rows = await db
    .selectFrom('shop_orders')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('placed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    placedAt: fromMillis(row.placed_at),
    currency: row.currency,
    subtotalCents: Number(row.subtotal_cents),
    deliveryFeeCents: Number(row.delivery_fee_cents),
    deliveryChargedCents: Number(row.delivery_charged_cents),
    totalCents: Number(row.total_cents),
    discountVerification: row.discount_verification,
  }));
}

/** One of the shopper's orders with its lines; undefined for an unknown id or another shopper's order. */
export async function getOrder(
  db: StorefrontDb,
  userId: string,
  orderId: string,
): Promise<Order | undefined> {
  const row = await db
    .selectFrom('shop_orders')
    .selectAll()
    .where('id', '=', orderId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const lines = await db
    .selectFrom('shop_order_items')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('line')
    .execute();
  return {
    id: row.id,
    userId: row.user_id,
    placedAt: fromMillis(row.placed_at),
    currency: row.currency,
    subtotalCents: Number(row.subtotal_cents),
    deliveryFeeCents: Number(row.delivery_fee_cents),
    deliveryChargedCents: Number(row.delivery_charged_cents),
    totalCents: Number(row.total_cents),
    discountVerification: row.discount_verification,
    lines: lines.map((line) => ({
      productId: line.product_id,
      name: line.name,
      unitPriceCents: Number(line.unit_price_cents),
      quantity: Number(line.quantity),
    })),
  };
}

const CATALOGUE_IDS = PRODUCTS.map((product) => product.id);

/**
 * Number of items in the cart, for the header's "Cart (n)": the same items the cart page lists, so a
 * line whose product has left the catalogue (which {@link getCart} leaves out) is not counted either.
 */
export async function countCartItems(db: StorefrontDb, userId: string): Promise<number> {
  const row = await db
    .selectFrom('shop_cart_items')
    .select((eb) => eb.fn.sum<number | string | null>('quantity').as('count'))
    .where('user_id', '=', userId)
    .where('product_id', 'in', CATALOGUE_IDS)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}
