/**
 * @module The shop's pages as HTML strings. Every value from outside goes through {@link escapeHtml}.
 * Shared word for word by the Express and Hono examples.
 */
import { BASKET, DELIVERY_FEE_CENTS, formatCents, SHOPPERS } from './shop.js';

/** Where the elements' bundle is served. */
export const ELEMENTS_PATH = '/assets/cartlink-elements.js';

const SHOP_NAME = 'Corner Shop';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * The page's Content-Security-Policy: scripts only from the shop, forms to the shop plus
 * `formActionOrigins`. The profile page adds Instacart's authorization origin, because its Link form
 * posts to `/cartlink/authorize`, which answers 303 there, and browsers check redirects of a form
 * against `form-action` too.
 */
export function contentSecurityPolicy(formActionOrigins = []) {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action 'self' ${formActionOrigins.join(' ')}`.trim(),
  ].join('; ');
}

function layout(title, shopper, csrfToken, body, { elements = false } = {}) {
  const nav = shopper
    ? `<a href="/">Home</a> · <a href="/account/profile">Account</a> · <a href="/checkout">Checkout</a>
  <form method="post" action="/signout"><input type="hidden" name="_csrf" value="${escapeHtml(csrfToken)}"><button type="submit">Sign out</button></form>
  <span>Signed in as ${escapeHtml(shopper.firstName)}</span>`
    : '<a href="/">Home</a> · <a href="/signin">Sign in</a>';
  return `<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${SHOP_NAME}</title>
${elements ? `<script type="module" src="${ELEMENTS_PATH}"></script>` : ''}
</head>
<body>
<header><strong>${SHOP_NAME}</strong> <nav>${nav}</nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** `/`: what the example shows. */
export function homePage(shopper, csrfToken) {
  return layout(
    'Home',
    shopper,
    csrfToken,
    `<h1>${SHOP_NAME}</h1>
<p>Link your Instacart account on your <a href="/account/profile">account page</a>: Instacart+ members get $0 delivery at <a href="/checkout">checkout</a>.</p>`,
  );
}

/** `/signin`: the stand-in sign-in, one button per demo shopper. */
export function signInPage() {
  const buttons = SHOPPERS.map(
    (shopper) =>
      `<li><button type="submit" name="shopper" value="${escapeHtml(shopper.id)}">${escapeHtml(shopper.firstName)} ${escapeHtml(shopper.lastName)}${shopper.admin ? ' (finance: reconciliation report)' : ''}</button></li>`,
  ).join('\n');
  return layout(
    'Sign in',
    null,
    '',
    `<h1>Sign in</h1>
<p><strong>A stand-in:</strong> pick a demo shopper; there are no passwords. Your shop signs people in its own way.</p>
<form method="post" action="/signin"><ul>
${buttons}
</ul></form>`,
  );
}

/**
 * `/account/profile`, the redirect URI: the status element, rendered with the status the server read
 * (or `loading` on Instacart's redirect back, whose `code` and `state` the element posts to
 * `/cartlink/link`), and the results dialog it opens.
 */
export function profilePage(shopper, csrfToken, status) {
  const attributes = [
    `state="${escapeHtml(status?.state ?? 'loading')}"`,
    status?.expiredAt ? `expired-at="${escapeHtml(status.expiredAt)}"` : '',
    status ? `manage-url="${escapeHtml(status.manageUrl)}" join-url="${escapeHtml(status.joinUrl)}"` : '',
    `shop-name="${SHOP_NAME}"`,
    'status-src="/cartlink/status"',
    'link-endpoint="/cartlink/link"',
    'authorize-endpoint="/cartlink/authorize"',
    `csrf-token="${escapeHtml(csrfToken)}"`,
    'dialog="cartlink-dialog"',
  ].filter((attribute) => attribute !== '');
  return layout(
    'Your account',
    shopper,
    csrfToken,
    `<h1>Your account</h1>
<p>${escapeHtml(shopper.firstName)} ${escapeHtml(shopper.lastName)}</p>
<h2>Instacart</h2>
<cartlink-status ${attributes.join(' ')}></cartlink-status>
<cartlink-result-dialog id="cartlink-dialog" shop-name="${SHOP_NAME}" continue-url="/checkout"></cartlink-result-dialog>`,
    { elements: true },
  );
}

const NO_DISCOUNT_MESSAGES = {
  'not-linked':
    'Instacart+ member? <a href="/account/profile">Link your Instacart account</a> to get $0 delivery.',
  'not-member': 'Your Instacart account has no active Instacart+ membership, so delivery is charged.',
  'user-not-active': 'Instacart says your account is not active, so delivery is charged.',
  unverifiable: "We couldn't reach Instacart to verify your Instacart+ membership, so delivery is charged.",
};

/** `/checkout`: the basket, the delivery fee decided with a fresh verification, "Place order". */
export function checkoutPage(shopper, csrfToken, { decision, chargedCents }, notice) {
  const fee = decision.eligible
    ? `<s>${formatCents(DELIVERY_FEE_CENTS)}</s> <strong data-delivery-fee-cents="${chargedCents}">${formatCents(chargedCents)}</strong>
<p>You saved ${formatCents(decision.waivedCents)} with Instacart+.</p>`
    : `<strong data-delivery-fee-cents="${chargedCents}">${formatCents(chargedCents)}</strong>
<p>${NO_DISCOUNT_MESSAGES[decision.reason]}</p>`;
  return layout(
    'Checkout',
    shopper,
    csrfToken,
    `<h1>Checkout</h1>
${notice ? `<p role="alert">${escapeHtml(notice)}</p>` : ''}
<p>${escapeHtml(BASKET.description)}: ${formatCents(BASKET.subtotalCents)}</p>
<p>Delivery: ${fee}</p>
<p>Total: ${formatCents(BASKET.subtotalCents + chargedCents)}</p>
<form method="post" action="/checkout">
<input type="hidden" name="_csrf" value="${escapeHtml(csrfToken)}">
<input type="hidden" name="expected_fee_cents" value="${chargedCents}">
<button type="submit">Place order</button>
</form>`,
  );
}

/** `/orders/:id`: what was charged, and whether the delivery fee was waived. */
export function orderPage(shopper, csrfToken, order) {
  const waived = order.deliveryFeeCents - order.deliveryChargedCents;
  return layout(
    `Order ${order.id}`,
    shopper,
    csrfToken,
    `<h1>Thank you!</h1>
<p>Order <code data-order-id="${escapeHtml(order.id)}">${escapeHtml(order.id)}</code> is placed.</p>
<p>Delivery charged: <strong data-delivery-charged-cents="${order.deliveryChargedCents}">${formatCents(order.deliveryChargedCents)}</strong>${
      waived > 0
        ? ` (${formatCents(waived)} waived for Instacart+, recorded for reconciliation with Instacart)`
        : ''
    }</p>
<p>Total: ${formatCents(order.subtotalCents + order.deliveryChargedCents)}</p>`,
  );
}

/** A short page for an error status. */
export function errorPage(shopper, csrfToken, title, message) {
  return layout(title, shopper, csrfToken, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
