'use server';
/**
 * @module The shop's forms, as server actions: sign in (a stand-in), sign out, place the order.
 * Next.js refuses an action posted from another origin; the session's CSRF token is checked as well,
 * as in the other examples.
 */
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { findShopper, SESSION_COOKIE, sameSecret } from '../shop.js';
import { currentShopper, getShopServer, PROFILE_PATH } from '../shop-server';

/** The stand-in sign-in: the pressed button names the demo shopper. Starts a new session. */
export async function signIn(form: FormData): Promise<void> {
  const { shop, config } = await getShopServer();
  const shopper = findShopper(form.get('shopper'));
  if (shopper === undefined) redirect('/signin?error=unknown-shopper');
  const previous = shop.sessions.fromCookieHeader((await headers()).get('cookie'));
  if (previous !== null) shop.sessions.end(previous);
  // A new session at every sign-in, so that an id planted before it is worthless after.
  const { session } = shop.sessions.start(shopper.id);
  (await cookies()).set(SESSION_COOKIE, session.id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: new URL(config.publicUrl).protocol === 'https:',
  });
  redirect(PROFILE_PATH);
}

/** Ends the session. */
export async function signOut(form: FormData): Promise<void> {
  const current = await currentShopper();
  if (current !== null && sameSecret(form.get('_csrf'), current.session.csrfToken)) {
    const { shop } = await getShopServer();
    shop.sessions.end(current.session);
    (await cookies()).delete(SESSION_COOKIE);
  }
  redirect('/');
}

/**
 * Places the order. The fee the shopper saw is part of the form: the shop decides the fee again and
 * refuses to charge more than that; a waived fee is recorded in the delivery-discount ledger.
 */
export async function placeOrder(form: FormData): Promise<void> {
  const current = await currentShopper();
  if (current === null) redirect('/signin');
  if (!sameSecret(form.get('_csrf'), current.session.csrfToken)) redirect('/checkout?notice=expired');
  // A missing field is refused, not read as Number('') = 0.
  const field = form.get('expected_fee_cents');
  const expected = typeof field === 'string' && field !== '' ? Number(field) : Number.NaN;
  if (!Number.isInteger(expected) || expected < 0) redirect('/checkout?notice=expired');
  const { shop } = await getShopServer();
  const result = await shop.placeOrder(current.shopper.id, expected);
  if (!result.placed || result.order === undefined) redirect('/checkout?notice=fee-changed');
  redirect(`/orders/${result.order.id}`);
}
