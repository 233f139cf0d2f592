/**
 * @module The shopping pages: catalogue, cart, checkout and orders. Each function returns the page's
 * content; `renderPage` puts it in the frame.
 */
import type { DeliveryDiscountDecision } from '@cartlink/linking';
import { formatCents, type Product } from '../catalogue.js';
import type { Cart, Order } from '../shop.js';
import { html, type SafeHtml } from './html.js';
import { csrfField } from './layout.js';

/** The catalogue. Visitors get the same buttons, which take them to sign in first. */
export function catalogueView(products: readonly Product[], csrfToken: string | null): SafeHtml {
  const items = products.map((product) => {
    const nameId = `product-${product.id}`;
    const action = csrfToken
      ? html`<form method="post" action="/cart/items">
          ${csrfField(csrfToken)}
          <input type="hidden" name="product_id" value="${product.id}">
          <button type="submit" class="button" aria-describedby="${nameId}">Add to cart</button>
        </form>`
      : html`<form method="get" action="/signin">
          <input type="hidden" name="next" value="/">
          <button type="submit" class="button" aria-describedby="${nameId}">Add to cart</button>
        </form>`;
    return html`<li class="product">
      <div class="tile tone-${product.tone}" aria-hidden="true">${product.name.charAt(0)}</div>
      <h2 class="product-name" id="${nameId}">${product.name}</h2>
      <p class="unit">${product.unit}</p>
      <p class="price">${formatCents(product.priceCents)}</p>
      ${action}
    </li>`;
  });
  return html`<section class="hero">
      <h1>Fresh groceries, delivered today</h1>
      <p class="lead">Instacart+ members get $0 delivery on every order. <a href="/account/profile">Link your Instacart account</a> to get it.</p>
    </section>
    <ul class="products" aria-label="Products">${items}</ul>`;
}

/** The cart page. */
export function cartView(cart: Cart, csrfToken: string): SafeHtml {
  if (cart.lines.length === 0) {
    return html`<h1>Your cart</h1>
      <div class="card empty"><p>Your cart is empty.</p><p><a class="button" href="/">Browse the shop</a></p></div>`;
  }
  const rows = cart.lines.map(
    (line) => html`<tr>
      <th scope="row" id="line-${line.product.id}">${line.product.name} <span class="unit">${line.product.unit}</span></th>
      <td class="num">${line.quantity}</td>
      <td class="num">${formatCents(line.lineCents)}</td>
      <td class="actions">
        <form method="post" action="/cart/remove">
          ${csrfField(csrfToken)}
          <input type="hidden" name="product_id" value="${line.product.id}">
          <button type="submit" class="button button-quiet" aria-describedby="line-${line.product.id}">Remove</button>
        </form>
      </td>
    </tr>`,
  );
  return html`<h1>Your cart</h1>
    <div class="card">
      <table class="lines">
        <caption class="visually-hidden">Items in your cart</caption>
        <thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Price</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${rows}</tbody>
        <tfoot><tr><th scope="row">Subtotal</th><td></td><td class="num">${formatCents(cart.subtotalCents)}</td><td></td></tr></tfoot>
      </table>
      <p class="card-actions"><a class="button button-primary" href="/checkout">Go to checkout</a></p>
    </div>`;
}

/** What the checkout page shows. */
export interface CheckoutModel {
  cart: Cart;
  deliveryFeeCents: number;
  /** The decision taken for this page view (fresh); null when the cart is empty. */
  decision: DeliveryDiscountDecision | null;
  /** Where to buy Instacart+ (for linked shoppers without a membership). */
  joinUrl: string;
  now: Date;
  /** A message above the summary (e.g. "the fee changed, review and place again"). */
  notice?: string | undefined;
}

function minutesAgo(then: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - then.getTime()) / 60_000));
  if (minutes < 1) return 'less than a minute ago';
  return minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
}

/** The message under the delivery fee: savings, the grace rule, or why there is no discount. */
function deliveryMessage(model: CheckoutModel, decision: DeliveryDiscountDecision): SafeHtml {
  const fee = formatCents(model.deliveryFeeCents);
  if (decision.eligible) {
    const saved = html`<p class="savings">You saved ${formatCents(decision.waivedCents)} with Instacart+</p>`;
    if (decision.evidence.verification === 'fresh') return saved;
    return html`${saved}<p class="message message-warning">We couldn't reach Instacart just now, so your $0 delivery is based on your recent Instacart+ membership verification (${minutesAgo(decision.evidence.verifiedAt, model.now)}).</p>`;
  }
  switch (decision.reason) {
    case 'not-linked':
      return html`<p class="message message-promo"><a href="/account/profile">Instacart+ member? Link your account to get $0 delivery</a></p>`;
    case 'not-member':
      return html`<div class="message message-promo"><p>Your Instacart account is linked, but you don't have an active Instacart+ membership. Members get $0 delivery.</p>
        <p><a class="button" href="${model.joinUrl}">Join Instacart+</a></p></div>`;
    case 'user-not-active':
      return html`<p class="message message-warning">Instacart says your Instacart account isn't active, so the ${fee} delivery fee applies. Contact Instacart customer service for help.</p>`;
    case 'unverifiable':
      return html`<p class="message message-warning">We couldn't reach Instacart to verify your Instacart+ membership, so the standard ${fee} delivery fee applies. Try again in a few minutes.</p>`;
  }
}

/** The checkout page: items, subtotal, the delivery fee it will charge, and "Place order". */
export function checkoutView(model: CheckoutModel, csrfToken: string): SafeHtml {
  const notice = model.notice ? html`<p class="flash flash-warning" role="alert">${model.notice}</p>` : null;
  const { cart, decision } = model;
  if (cart.lines.length === 0 || decision === null) {
    return html`<h1>Checkout</h1>${notice}
      <div class="card empty"><p>Your cart is empty, so there is nothing to order yet.</p><p><a class="button" href="/">Browse the shop</a></p></div>`;
  }
  const charged = decision.eligible ? model.deliveryFeeCents - decision.waivedCents : model.deliveryFeeCents;
  const feeCell = decision.eligible
    ? html`<s><span class="visually-hidden">Regular fee </span>${formatCents(model.deliveryFeeCents)}</s> <strong>${formatCents(charged)}</strong>`
    : html`${formatCents(charged)}`;
  const rows = cart.lines.map(
    (line) =>
      html`<tr><th scope="row">${line.product.name} <span class="unit">× ${line.quantity}</span></th><td class="num">${formatCents(line.lineCents)}</td></tr>`,
  );
  return html`<h1>Checkout</h1>${notice}
    <div class="checkout">
      <section class="card summary" aria-labelledby="summary-title">
        <h2 id="summary-title">Order summary</h2>
        <table class="lines">
          <caption class="visually-hidden">Items in this order</caption>
          <thead><tr><th scope="col">Item</th><th scope="col" class="num">Price</th></tr></thead>
          <tbody>${rows}</tbody>
        </table>
        <dl class="totals">
          <div><dt>Subtotal</dt><dd>${formatCents(cart.subtotalCents)}</dd></div>
          <div class="delivery"><dt>Delivery</dt><dd data-delivery-fee-cents="${charged}">${feeCell}</dd></div>
          <div class="total"><dt>Total</dt><dd>${formatCents(cart.subtotalCents + charged)}</dd></div>
        </dl>
        ${deliveryMessage(model, decision)}
        <form method="post" action="/checkout" class="place-order">
          ${csrfField(csrfToken)}
          <input type="hidden" name="expected_fee_cents" value="${charged}">
          <button type="submit" class="button button-primary button-wide">Place order</button>
        </form>
      </section>
    </div>`;
}

const dateTime = new Intl.DateTimeFormat('en-US', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** A date and time for order pages, in UTC (the shop has no shopper time zone to go by). */
export function formatDateTime(date: Date): string {
  return `${dateTime.format(date)} UTC`;
}

function deliveryCell(order: Omit<Order, 'lines'>): SafeHtml {
  if (order.deliveryChargedCents < order.deliveryFeeCents) {
    return html`<s><span class="visually-hidden">Regular fee </span>${formatCents(order.deliveryFeeCents)}</s> ${formatCents(order.deliveryChargedCents)} <span class="tag">Instacart+</span>`;
  }
  return html`${formatCents(order.deliveryChargedCents)}`;
}

/** Order history. */
export function ordersView(orders: ReadonlyArray<Omit<Order, 'lines'>>): SafeHtml {
  if (orders.length === 0) {
    return html`<h1>Your orders</h1><div class="card empty"><p>You haven't placed an order yet.</p><p><a class="button" href="/">Start shopping</a></p></div>`;
  }
  const rows = orders.map(
    (order) => html`<tr>
      <th scope="row"><a href="/orders/${order.id}">${order.id}</a></th>
      <td>${formatDateTime(order.placedAt)}</td>
      <td class="num">${deliveryCell(order)}</td>
      <td class="num">${formatCents(order.totalCents)}</td>
    </tr>`,
  );
  return html`<h1>Your orders</h1>
    <div class="card">
      <table class="lines">
        <caption class="visually-hidden">Your orders, newest first</caption>
        <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col" class="num">Delivery</th><th scope="col" class="num">Total</th></tr></thead>
        <tbody>${rows}</tbody>
      </table>
    </div>`;
}

/** One order. */
export function orderView(order: Order): SafeHtml {
  const rows = order.lines.map(
    (line) =>
      html`<tr><th scope="row">${line.name} <span class="unit">× ${line.quantity}</span></th><td class="num">${formatCents(line.unitPriceCents * line.quantity)}</td></tr>`,
  );
  const saved = order.deliveryFeeCents - order.deliveryChargedCents;
  return html`<h1>Order ${order.id}</h1>
    <p class="muted">Placed ${formatDateTime(order.placedAt)}</p>
    <section class="card summary" aria-labelledby="order-summary">
      <h2 id="order-summary">Summary</h2>
      <table class="lines">
        <caption class="visually-hidden">Items in order ${order.id}</caption>
        <thead><tr><th scope="col">Item</th><th scope="col" class="num">Price</th></tr></thead>
        <tbody>${rows}</tbody>
      </table>
      <dl class="totals">
        <div><dt>Subtotal</dt><dd>${formatCents(order.subtotalCents)}</dd></div>
        <div class="delivery"><dt>Delivery</dt><dd>${deliveryCell(order)}</dd></div>
        <div class="total"><dt>Total</dt><dd>${formatCents(order.totalCents)}</dd></div>
      </dl>
      ${saved > 0 ? html`<p class="savings">You saved ${formatCents(saved)} with Instacart+</p>` : null}
    </section>
    <p><a href="/orders">All orders</a></p>`;
}
