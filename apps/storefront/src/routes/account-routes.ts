/**
 * @module The account profile page: the registered redirect URI, home of the status element and the
 * results dialog. A GET never changes state: with `code`/`state` in the URL the page renders the
 * element as `loading`, and the element takes them out of the address bar and posts them to
 * `/cartlink/link`.
 * @see seed-account-linking.txt, "Check for authorization" and "Update the status element"
 */
import { createInstacartWebLinks } from '@cartlink/linking';
import type { Hono } from 'hono';
import type { AppEnv } from '../http';
import { negotiateLocale } from '../locale';
import { renderHtml, type StorefrontServices } from '../services';
import { profileView } from '../views/account-views';
import { requireUser } from './shop-routes';

/** True when the URL is Instacart's redirect back: `state` with `code` or `error`, as the element reads it. */
export function isAuthorizationCallback(url: URL): boolean {
  const params = url.searchParams;
  return params.has('state') && (params.has('code') || params.has('error'));
}

/** Registers `/account/profile`. */
export function registerAccountRoutes(app: Hono<AppEnv>, services: StorefrontServices): void {
  const links = createInstacartWebLinks(services.config.instacartWebUrl);

  app.get('/account/profile', async (c) => {
    const user = requireUser(c);
    if (user instanceof Response) return user;
    const session = c.get('session');
    const url = new URL(c.req.url);
    const locale = negotiateLocale(c.req.header('accept-language'));
    // The status comes from the session's user only; nothing in the request chooses the subject. On a
    // callback no status is fetched: the element posts the callback and shows the status it gets back,
    // and fetching one here would start a link transaction that nobody uses.
    const status =
      isAuthorizationCallback(url) || session === null
        ? null
        : await services.linking.getStatus({ sessionId: session.idHash, userId: user.id }, { locale });
    // This page's URL may hold a single-use code: no Referer may carry it anywhere.
    c.header('Referrer-Policy', 'no-referrer');
    return renderHtml(
      c,
      services,
      { title: 'Your account', current: 'account', withElements: true },
      profileView({ user, status, locale, manageUrl: links.manageUrl, joinUrl: links.joinUrl }),
    );
  });
}
