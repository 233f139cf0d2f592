/**
 * @module Sign-in and the account profile page, which is also the registered redirect URI and hosts the
 * linking elements.
 * @see https://docs.instacart.com/connect (account linking how-to), "Components" and "Check for
 *   authorization"
 */
import { renderCartlinkStatus } from '@cartlink/elements/ssr';
import type { Locale, StatusView } from '@cartlink/linking';
import type { User } from '../users.js';
import { html, type SafeHtml, trusted } from './html.js';
import { csrfField, SHOP_NAME } from './layout.js';

/** The sign-in form. `error` is shown above it; the email is kept, the password never. */
export function signInView(options: {
  csrfToken: string;
  next: string | null;
  email?: string | undefined;
  error?: string | undefined;
}): SafeHtml {
  return html`<div class="narrow">
    <h1>Sign in</h1>
    ${options.error ? html`<p class="flash flash-error" role="alert" id="signin-error">${options.error}</p>` : null}
    <form method="post" action="/signin" class="card form"${options.error ? html` aria-describedby="signin-error"` : ''}>
      ${csrfField(options.csrfToken)}
      ${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : null}
      <div class="field">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="${options.email ?? ''}">
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
      </div>
      <button type="submit" class="button button-primary button-wide">Sign in</button>
    </form>
    <aside class="demo-hint" aria-labelledby="demo-title">
      <h2 id="demo-title">Demo accounts</h2>
      <p>Shoppers <code>alex@example.com</code>, <code>blair@example.com</code>, <code>casey@example.com</code>; staff <code>admin@example.com</code>. Password <code>cartlink-demo</code>.</p>
    </aside>
  </div>`;
}

/** What the profile page shows about linking. */
export interface ProfileModel {
  user: User;
  /** The status rendered on the server, or null while a callback is being completed by the element. */
  status: StatusView | null;
  /** The shopper's locale for the elements (dates, wording), from `Accept-Language`. */
  locale: Locale;
  /** Base of the Instacart website, for the element's default links. */
  manageUrl: string;
  joinUrl: string;
  /** The session's CSRF token, which the element's Link form posts to `/cartlink/authorize`. */
  csrfToken: string;
}

/**
 * The account profile page. The status element is rendered on the server, its shadow root included
 * (`@cartlink/elements/ssr`, declarative shadow DOM), so the first paint shows the right card, with or
 * without JavaScript, and the element hydrates it without a request; with a callback in the URL it
 * is `loading`, and the element posts `code`/`state` itself. "Link Instacart account" is the
 * element's form: it posts the CSRF token to `/cartlink/authorize`, which starts the link and
 * redirects to Instacart (or back here with `cartlink_outcome=throttled`), JavaScript or not.
 */
export function profileView(model: ProfileModel): SafeHtml {
  const { status, user } = model;
  const linked = status?.state === 'linked-active' || status?.state === 'linked-inactive';
  return html`<h1>Your account</h1>
    <div class="profile">
      <section class="card" aria-labelledby="details-title">
        <h2 id="details-title">Account details</h2>
        <dl class="details">
          <div><dt>Name</dt><dd>${user.firstName} ${user.lastName}</dd></div>
          <div><dt>Email</dt><dd>${user.email}</dd></div>
        </dl>
        <p><a href="/orders">Your orders</a></p>
      </section>
      <section class="instacart" aria-labelledby="instacart-title">
        <div class="section-head">
          <h2 id="instacart-title">Instacart+</h2>
          <p class="badge badge-linked" data-linked-indicator${linked ? '' : html` hidden`}><span aria-hidden="true">✓</span> Linked to Instacart</p>
        </div>
        ${statusCard(model)}
        <p class="hint">Linking lets ${SHOP_NAME} check your Instacart+ membership, so members get $0 delivery here.${
          // Once linked, the status element itself says how to unlink; before that, the page does.
          linked ? null : ' To unlink your accounts later, contact Instacart customer service.'
        }</p>
      </section>
    </div>
    <cartlink-result-dialog id="cartlink-dialog" locale="${model.locale}" shop-name="${SHOP_NAME}" continue-url="/" account-url="/account/profile"></cartlink-result-dialog>`;
}

/**
 * `<cartlink-status>` with its shadow root, as the server paints it; Lit escapes every value. Its
 * `<style>` is allowed by hash (`security.ts`), so the markup carries no nonce.
 */
function statusCard(model: ProfileModel): SafeHtml {
  const { status } = model;
  return trusted(
    renderCartlinkStatus({
      state: status?.state ?? 'loading',
      expiredAt: status?.expiredAt || null,
      authorizeEndpoint: '/cartlink/authorize',
      csrfToken: model.csrfToken,
      manageUrl: status?.manageUrl ?? model.manageUrl,
      joinUrl: status?.joinUrl ?? model.joinUrl,
      locale: model.locale,
      shopName: SHOP_NAME,
      statusSrc: '/cartlink/status',
      linkEndpoint: '/cartlink/link',
      dialog: 'cartlink-dialog',
    }),
  );
}

/** A short page for an error status: what happened and where to go. Never a stack trace. */
export function errorView(
  title: string,
  message: string,
  link: { href: string; label: string } = { href: '/', label: 'Back to the shop' },
): SafeHtml {
  return html`<div class="narrow">
    <h1>${title}</h1>
    <p>${message}</p>
    <p><a class="button" href="${link.href}">${link.label}</a></p>
  </div>`;
}

/**
 * The profile page's "Sign out everywhere" form: a CSRF-protected POST that ends every session of the
 * account, for a shopper who signed in on a shared computer or fears a stolen cookie.
 */
export function signOutEverywhereView(csrfToken: string): SafeHtml {
  return html`<section class="card" aria-labelledby="sessions-title">
    <h2 id="sessions-title">Where you're signed in</h2>
    <p>Signed in on a computer you no longer use? Sign out everywhere ends every session of your account, this one included.</p>
    <form method="post" action="/signout/everywhere">
      ${csrfField(csrfToken)}
      <button type="submit" class="button">Sign out everywhere</button>
    </form>
  </section>`;
}
