'use client';
/**
 * @module `@cartlink/react`: React 19 components for the Cartlink web components (`<CartlinkStatus>`,
 * `<CartlinkResultDialog>`), and the profile page's callback step (`useLinkCallback`,
 * `<CartlinkLinkCallback>`), for client components. A client module (`'use client'`): a server
 * component may render these components, and the elements register in the browser only. To paint the
 * status from the server's HTML, render `CartlinkStatusServer` of `@cartlink/react/server`.
 *
 * The directive comes before this comment so that the built `dist/index.js` begins with it (TypeDoc
 * then leaves this comment out of the documentation; the package's README stands for it).
 *
 * @example
 * ```tsx
 * // app/account/profile/page.tsx (a server component)
 * import { CartlinkLinkCallback, CartlinkResultDialog } from '@cartlink/react';
 * import { CartlinkStatusServer } from '@cartlink/react/server';
 *
 * export default async function Profile({ searchParams }) {
 *   const callback = (await searchParams).state !== undefined;
 *   const status = callback ? { state: 'loading' as const } : await statusFor(session);
 *   return (
 *     <>
 *       <CartlinkStatusServer id="cartlink-status" {...status} csrfToken={session.csrfToken}
 *         authorizeEndpoint="/cartlink/authorize" statusSrc="/cartlink/status" dialog="cartlink-result" />
 *       <CartlinkLinkCallback linkEndpoint="/cartlink/link" statusId="cartlink-status" dialogId="cartlink-result" />
 *       <CartlinkResultDialog id="cartlink-result" shopName="Corner Market" />
 *     </>
 *   );
 * }
 * ```
 */
export type {
  DialogCloseDetail,
  FailedDetail,
  LinkAttempt,
  LinkedDetail,
  LinkOutcome,
  LinkResult,
  StateChangeDetail,
  StatusState,
  StatusView,
} from '@cartlink/elements';
export { CartlinkResultDialog, type CartlinkResultDialogProps } from './cartlink-result-dialog.js';
export { CartlinkStatus, type CartlinkStatusProps } from './cartlink-status.js';
export {
  CartlinkLinkCallback,
  type CartlinkLinkCallbackProps,
  type LinkCallbackOptions,
  type LinkCallbackPhase,
  type LinkCallbackState,
  useLinkCallback,
} from './use-link-callback.js';
