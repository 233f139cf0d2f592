/**
 * @module `/account/profile`, the redirect URI registered with Instacart. A server component: it
 * reads the shopper's status and renders `<cartlink-status>` with its shadow root in the HTML
 * (declarative shadow DOM), so that the card is painted before any script runs. On Instacart's
 * redirect back, whose address holds `code` and `state`, it renders the card `loading` and
 * `CartlinkLinkCallback` (a client component) takes the callback out of the address bar, posts it to
 * `/cartlink/link` once, shows the status it answers and opens the result dialog.
 */
import { CartlinkLinkCallback, CartlinkResultDialog } from '@cartlink/react';
import { CartlinkStatusServer } from '@cartlink/react/server';
import type { Metadata } from 'next';
import { PROFILE_PATH, requireShopper } from '../../../shop-server';

/** The page's title. */
export const metadata: Metadata = { title: 'Your account' };

const SHOP_NAME = 'Corner Shop';
const STATUS_ID = 'cartlink-status';
const DIALOG_ID = 'cartlink-result';

/** The profile page. */
export default async function ProfilePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { session, shopper, shop } = await requireShopper();
  const url = new URL(PROFILE_PATH, 'http://profile.invalid');
  for (const [name, value] of Object.entries(await searchParams)) {
    for (const one of [value ?? []].flat()) url.searchParams.append(name, one);
  }
  // null on Instacart's redirect back: the callback decides the status.
  const status = await shop.profileStatus(session, url);
  return (
    <>
      <h1>Your account</h1>
      <p>
        {shopper.firstName} {shopper.lastName}
      </p>
      <h2>Instacart</h2>
      <CartlinkStatusServer
        id={STATUS_ID}
        state={status?.state ?? 'loading'}
        expiredAt={status?.expiredAt}
        manageUrl={status?.manageUrl}
        joinUrl={status?.joinUrl}
        shopName={SHOP_NAME}
        csrfToken={session.csrfToken}
        authorizeEndpoint="/cartlink/authorize"
        // Not while the callback is completed: the element would fetch the status from it at the same
        // time, and an answer read before the link could arrive after it.
        statusSrc={status === null ? undefined : '/cartlink/status'}
        dialog={DIALOG_ID}
      />
      <CartlinkLinkCallback linkEndpoint="/cartlink/link" statusId={STATUS_ID} dialogId={DIALOG_ID} />
      <CartlinkResultDialog id={DIALOG_ID} shopName={SHOP_NAME} continueUrl="/checkout" />
    </>
  );
}
