/**
 * @module The layout of every page: the shop's header, with who is signed in and "Sign out".
 */
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { currentShopper } from '../shop-server';
import { signOut } from './actions';

/**
 * Every page is rendered for its request: each reads the session, and each carries the nonce of its
 * Content-Security-Policy (see `proxy.ts`).
 */
export const dynamic = 'force-dynamic';

/** The title of each page, followed by the shop's name. */
export const metadata: Metadata = { title: { template: '%s · Corner Shop', default: 'Corner Shop' } };

/** The document around every page. */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const current = await currentShopper();
  return (
    <html lang="en-US">
      <body>
        <header>
          <strong>Corner Shop</strong>{' '}
          <nav>
            <a href="/">Home</a>
            {current === null ? (
              <>
                {' · '}
                <a href="/signin">Sign in</a>
              </>
            ) : (
              <>
                {' · '}
                <a href="/account/profile">Account</a>
                {' · '}
                <a href="/checkout">Checkout</a>
                <form action={signOut}>
                  <input type="hidden" name="_csrf" value={current.session.csrfToken} />
                  <button type="submit">Sign out</button>
                </form>
                <span>Signed in as {current.shopper.firstName}</span>
              </>
            )}
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
