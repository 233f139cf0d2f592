/**
 * @module The catalogue, the cart, checkout and orders. Checkout verifies the Instacart+ membership
 * with a fresh Connect call when the page is shown and again when the order is placed, and the order
 * is written with its delivery-discount ledger entry in one transaction.
 * @see https://docs.instacart.com/connect (account linking how-to), Best practices ("Verify ... when
 *   they checkout", "Show ... savings")
 */
import { createInstacartWebLinks } from '@cartlink/linking';
import type { Hono } from 'hono';
import { z } from 'zod';
import { DELIVERY_FEE_CENTS, findProduct, formatCents, MAX_QUANTITY, PRODUCTS } from '../catalogue.js';
import { integerField, parseFields } from '../form-fields.js';
import {
  type AppContext,
  type AppEnv,
  assertCsrf,
  HttpError,
  readForm,
  signInRedirectTarget,
} from '../http.js';
import { renderHtml, type StorefrontServices } from '../services.js';
import { addToCart, getCart, getOrder, listOrders, placeOrder, removeFromCart } from '../shop.js';
import type { User } from '../users.js';
import { errorView } from '../views/account-views.js';
import {
  type CheckoutModel,
  cartView,
  catalogueView,
  checkoutView,
  ordersView,
  orderView,
} from '../views/shop-views.js';

/** `POST /cart/items`: how many to add, 1 when the field is absent (the catalogue's button sends none). */
const addToCartSchema = z.object({
  quantity: integerField('quantity', { min: 1, max: MAX_QUANTITY }).optional(),
});

/**
 * `POST /checkout`: the delivery fee the page showed, which the order must not exceed. Required: the
 * checkout form always sends it, and a missing or malformed value must not place an order at a fee
 * the shopper never saw.
 */
const checkoutSchema = z.object({
  expected_fee_cents: integerField('expected delivery fee', { min: 0, max: 100_000 }),
});

/** The signed-in shopper, or a redirect to sign-in that comes back here. */
export function requireUser(c: AppContext): User | Response {
  const user = c.get('user');
  return user ?? c.redirect(signInRedirectTarget(new URL(c.req.url)), 303);
}

/** Registers the shopping routes. */
export function registerShopRoutes(app: Hono<AppEnv>, services: StorefrontServices): void {
  const { audit, config, db, discountPolicy, logger, sessions } = services;
  const { joinUrl } = createInstacartWebLinks(config.instacartWebUrl);

  app.get('/', async (c) => {
    const session = c.get('session');
    const token = c.get('user') && session ? session.csrfToken : null;
    return renderHtml(c, services, { title: 'Shop', current: 'shop' }, catalogueView(PRODUCTS, token));
  });

  app.post('/cart/items', async (c) => {
    const fields = await readForm(c, config.publicUrl);
    const user = requireUser(c);
    if (user instanceof Response) return c.redirect('/signin?next=%2F', 303);
    assertCsrf(c, fields);
    const { quantity } = parseFields(addToCartSchema, fields);
    const product = findProduct(fields.product_id ?? '');
    if (product === undefined)
      throw new HttpError(400, 'Unknown product', 'That product is not in the shop.');
    await addToCart(db, user.id, product.id, services.now(), quantity);
    const session = c.get('session');
    if (session) await sessions.setFlash(session.idHash, `Added ${product.name} to your cart.`);
    return c.redirect('/', 303);
  });

  app.post('/cart/remove', async (c) => {
    const fields = await readForm(c, config.publicUrl);
    const user = requireUser(c);
    if (user instanceof Response) return c.redirect('/signin?next=%2Fcart', 303);
    assertCsrf(c, fields);
    await removeFromCart(db, user.id, fields.product_id ?? '');
    return c.redirect('/cart', 303);
  });

  app.get('/cart', async (c) => {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    const cart = await getCart(db, user.id);
    return renderHtml(
      c,
      services,
      { title: 'Cart', current: 'cart' },
      cartView(cart, c.get('session')?.csrfToken ?? ''),
    );
  });

  /** Renders checkout with a fresh delivery-discount decision (none for an empty cart). */
  async function showCheckout(
    c: AppContext,
    user: User,
    notice?: string,
    status: 200 | 409 = 200,
  ): Promise<Response> {
    const cart = await getCart(db, user.id);
    const decision =
      cart.lines.length === 0
        ? null
        : await discountPolicy.decide({
            userId: user.id,
            deliveryFeeCents: DELIVERY_FEE_CENTS,
            locale: 'en-US',
            // Prices the page; the order decides again, and only that decision grants the discount.
            purpose: 'quote',
          });
    const model: CheckoutModel = {
      cart,
      deliveryFeeCents: DELIVERY_FEE_CENTS,
      decision,
      joinUrl,
      now: services.now(),
      notice,
    };
    return renderHtml(
      c,
      services,
      { title: 'Checkout', current: 'cart', status },
      checkoutView(model, c.get('session')?.csrfToken ?? ''),
    );
  }

  app.get('/checkout', async (c) => {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    return showCheckout(c, user);
  });

  app.post('/checkout', async (c) => {
    const fields = await readForm(c, config.publicUrl);
    const user = requireUser(c);
    if (user instanceof Response) return c.redirect('/signin?next=%2Fcheckout', 303);
    assertCsrf(c, fields);
    // Before anything is decided or written: a malformed fee is refused, never read as "no limit".
    const { expected_fee_cents: expected } = parseFields(checkoutSchema, fields);
    // Decided again, fresh, at order time: the page may have been open while the membership changed.
    const decision = await discountPolicy.decide({
      userId: user.id,
      deliveryFeeCents: DELIVERY_FEE_CENTS,
      locale: 'en-US',
    });
    const charged = decision.eligible ? DELIVERY_FEE_CENTS - decision.waivedCents : DELIVERY_FEE_CENTS;
    if (charged > expected) {
      // Never charge more than the page showed: show the new fee and let the shopper decide.
      return showCheckout(
        c,
        user,
        `Your delivery fee changed to ${formatCents(charged)} since you opened checkout. Review your order and place it again.`,
        409,
      );
    }
    const order = await placeOrder(db, {
      userId: user.id,
      deliveryFeeCents: DELIVERY_FEE_CENTS,
      decision,
      now: services.now(),
    });
    if (order === null) return showCheckout(c, user, 'Your cart is empty, so no order was placed.', 409);
    logger.info(
      {
        orderId: order.id,
        userId: user.id,
        waivedCents: order.deliveryFeeCents - order.deliveryChargedCents,
        verification: order.discountVerification,
      },
      'order placed',
    );
    if (order.discountVerification !== null) {
      audit.record({
        event: 'discount-granted',
        userId: user.id,
        orderId: order.id,
        waivedCents: order.deliveryFeeCents - order.deliveryChargedCents,
        verification: order.discountVerification,
      });
    }
    const session = c.get('session');
    if (session) await sessions.setFlash(session.idHash, `Thank you! Your order ${order.id} is placed.`);
    return c.redirect(`/orders/${encodeURIComponent(order.id)}`, 303);
  });

  app.get('/orders', async (c) => {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    const orders = await listOrders(db, user.id);
    return renderHtml(c, services, { title: 'Orders', current: 'orders' }, ordersView(orders));
  });

  app.get('/orders/:id', async (c) => {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    const order = await getOrder(db, user.id, c.req.param('id'));
    if (order === undefined) {
      return renderHtml(
        c,
        services,
        { title: 'Order not found', current: 'orders', status: 404 },
        errorView('Order not found', 'There is no order with that number in your account.', {
          href: '/orders',
          label: 'Your orders',
        }),
      );
    }
    return renderHtml(c, services, { title: `Order ${order.id}`, current: 'orders' }, orderView(order));
  });
}
