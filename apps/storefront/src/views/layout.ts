/**
 * @module The page frame every storefront page shares: head (stylesheet, scripts with the response's
 * CSP nonce), header with the shop's name and navigation, the flash message, and the footer.
 */
import { html, type SafeHtml } from './html.js';

/** The shop's name, as shoppers (and the Instacart consent page) see it. */
export const SHOP_NAME = 'Corner Market';

/** URLs of the hashed static assets. */
export interface AssetUrls {
  css: string;
  icon: string;
  /** The `<cartlink-status>` and `<cartlink-result-dialog>` bundle. */
  elements: string;
  /** The shop's own small script (profile page only). */
  script: string;
}

/** Which navigation item is the current page. */
export type NavItem = 'shop' | 'cart' | 'orders' | 'account' | 'report' | 'signin' | null;

/** The signed-in shopper as the header shows them. */
export interface Viewer {
  firstName: string;
  isAdmin: boolean;
  cartCount: number;
}

/** What the frame needs besides the page's own content. */
export interface PageFrame {
  title: string;
  nonce: string;
  assets: AssetUrls;
  viewer: Viewer | null;
  /** The session's CSRF token, for the sign-out form; null for visitors. */
  csrfToken: string | null;
  current: NavItem;
  flash?: string | null | undefined;
  /** Load the linking elements (and the shop script that follows their state). */
  withElements?: boolean;
}

function navLink(href: string, label: string | SafeHtml, item: NavItem, current: NavItem): SafeHtml {
  return html`<li><a href="${href}"${item === current ? html` aria-current="page"` : ''}>${label}</a></li>`;
}

/** A hidden CSRF field for a form. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** Renders a whole page. */
export function renderPage(frame: PageFrame, content: SafeHtml): string {
  const { viewer, current } = frame;
  const nav = viewer
    ? [
        navLink('/', 'Shop', 'shop', current),
        navLink('/cart', html`Cart <span class="count">(${viewer.cartCount})</span>`, 'cart', current),
        navLink('/orders', 'Orders', 'orders', current),
        navLink('/account/profile', 'Account', 'account', current),
        viewer.isAdmin ? navLink('/admin/reconciliation', 'Report', 'report', current) : null,
      ]
    : [navLink('/', 'Shop', 'shop', current), navLink('/signin', 'Sign in', 'signin', current)];
  const account =
    viewer && frame.csrfToken
      ? html`<div class="account">
          <span class="greeting">Hi, ${viewer.firstName}</span>
          <form method="post" action="/signout" class="signout">
            ${csrfField(frame.csrfToken)}
            <button type="submit" class="button button-quiet">Sign out</button>
          </form>
        </div>`
      : null;
  // The first thing the profile page runs: it takes the OAuth callback (code, state, ...) out of the
  // address bar before any other resource loads, and stashes it where <cartlink-status> looks for it
  // (its CALLBACK_STASH_ATTRIBUTE), so the single-use code never lingers in history or a Referer.
  const stripCallback = frame.withElements
    ? html`<script nonce="${frame.nonce}">(()=>{const u=new URL(location.href);if(!u.searchParams.has('state'))return;document.documentElement.setAttribute('data-cartlink-callback',u.search);for(const k of['code','state','iss','error','error_description'])u.searchParams.delete(k);history.replaceState(history.state,'',u.pathname+u.search+u.hash)})()</script>`
    : null;
  const scripts = frame.withElements
    ? html`<script type="module" src="${frame.assets.elements}" nonce="${frame.nonce}"></script>
    <script type="module" src="${frame.assets.script}" nonce="${frame.nonce}"></script>`
    : null;
  return html`<!doctype html>
<html lang="en-US">
<head>
  <meta charset="utf-8">
  ${stripCallback}
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${frame.title} · ${SHOP_NAME}</title>
  <link rel="icon" href="${frame.assets.icon}" type="image/svg+xml">
  <link rel="stylesheet" href="${frame.assets.css}">
  ${scripts}
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="site-header">
    <div class="wrap header-row">
      <a class="brand" href="/"><span class="brand-mark" aria-hidden="true">CM</span>${SHOP_NAME}</a>
      <nav aria-label="Main"><ul class="nav">${nav}</ul></nav>
      ${account}
    </div>
  </header>
  <main id="main" class="wrap">
    ${frame.flash ? html`<div class="flash" role="status">${frame.flash}</div>` : null}
    ${content}
  </main>
  <footer class="site-footer">
    <div class="wrap">${SHOP_NAME} is a demo shop for Cartlink. Prices in US dollars.</div>
  </footer>
</body>
</html>
`.value;
}
