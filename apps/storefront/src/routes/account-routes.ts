/**
 * @module The account profile page: the registered redirect URI, home of the status element and the
 * results dialog. A GET never changes state: it reads the status (no link transaction is written; the
 * element's "Link Instacart account" form POSTs to `/cartlink/authorize` for that), and with
 * `code`/`state` in the URL it renders the element as `loading`, and the element takes them out of
 * the address bar and posts them to `/cartlink/link`.
 * @see https://docs.instacart.com/connect (account linking how-to), "Check for authorization" and
 *   "Update the status element"
 */
import { createInstacartWebLinks } from '@cartlink/linking';
import type { Hono } from 'hono';
import type { AppEnv } from '../http.js';
import { negotiateLocale } from '../locale.js';
import { contentSecurityPolicy } from '../security.js';
import { renderHtml, type StorefrontServices } from '../services.js';
import { profileView, signOutEverywhereView } from '../views/account-views.js';
import { html } from '../views/html.js';
import { requireUser } from './shop-routes.js';

/** True when the URL is Instacart's redirect back: `state` with `code` or `error`, as the element reads it. */
export function isAuthorizationCallback(url: URL): boolean {
  const params = url.searchParams;
  return params.has('state') && (params.has('code') || params.has('error'));
}

/** Registers `/account/profile`. */
export function registerAccountRoutes(app: Hono<AppEnv>, services: StorefrontServices): void {
  const links = createInstacartWebLinks(services.config.instacartWebUrl);
  // The Link form's 303 leads to the authorization server: this page's form-action must allow it.
  const authorizationOrigin = new URL(services.config.connect.authUrl).origin;

  app.get('/account/profile', async (c) => {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    const session = c.get('session');
    const url = new URL(c.req.url);
    const locale = negotiateLocale(c.req.header('accept-language'));
    // The status comes from the session's user only; nothing in the request chooses the subject. It is
    // read-only: no link transaction is written. On a callback no status is fetched: the element posts
    // the callback and shows the status it gets back, so a Connect call here would be wasted.
    const status =
      isAuthorizationCallback(url) || session === null
        ? null
        : await services.linking.getStatus({ sessionId: session.idHash, userId: user.id }, { locale });
    // This page's URL may hold a single-use code: no Referer may carry it anywhere.
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', contentSecurityPolicy(c.get('nonce'), [authorizationOrigin]));
    return renderHtml(
      c,
      services,
      { title: 'Your account', current: 'account', withElements: true },
      html`${profileView({
        user,
        status,
        locale,
        manageUrl: links.manageUrl,
        joinUrl: links.joinUrl,
        csrfToken: session?.csrfToken ?? '',
      })}${session ? signOutEverywhereView(session.csrfToken) : null}`,
    );
  });
}
