/**
 * @module The status model: what the profile page's status element shows, derived from the latest
 * membership verification.
 * @see https://docs.instacart.com/connect (account linking how-to), "Status element" and "Update the status element"
 */
import type { StatusView } from '@cartlink/wire';
import type { MembershipVerification } from './storage/types.js';

// The status JSON is declared once, in `@cartlink/wire`, and read by `@cartlink/elements` against the
// same declaration: the handler's `GET {basePath}/status` answers a `StatusView`.
export type { LinkState, LinkStateReason, StatusView } from '@cartlink/wire';

/** The Instacart web pages the status element links to. */
export interface InstacartWebLinks {
  /** Where a member manages their Instacart+ subscription (the status element's Manage link). */
  manageUrl: string;
  /** Where a shopper without Instacart+ signs up (the status element's Join link). */
  joinUrl: string;
}

/**
 * Builds the manage and join URLs from the base of Instacart's website.
 * @see https://docs.instacart.com/connect (account linking how-to): `https://www.instacart.com/store/account/instacart-plus` and
 *   `https://www.instacart.com/signup?next=%2Fstore%2Faccount%2Finstacart-plus`
 */
export function createInstacartWebLinks(instacartWebUrl: string): InstacartWebLinks {
  const base = instacartWebUrl.replace(/\/+$/, '');
  return {
    manageUrl: `${base}/store/account/instacart-plus`,
    joinUrl: `${base}/signup?next=${encodeURIComponent('/store/account/instacart-plus')}`,
  };
}

/**
 * True when the verification shows an active Instacart+ membership at `now`. Connect's
 * `instacartplus_member` decides; an `expired_at` already in the past overrides it, so that a
 * verification kept for a while never outlives the subscription it saw.
 */
export function isActiveMember(verification: MembershipVerification, now: Date): boolean {
  if (verification.result !== 'linked' || !verification.instacartplusMember) return false;
  return verification.expiredAt === null || verification.expiredAt.getTime() > now.getTime();
}

/** Maps a verification to the element state and the reason behind it. */
export function deriveLinkState(
  verification: MembershipVerification,
  now: Date,
): Pick<StatusView, 'state' | 'reason'> {
  switch (verification.result) {
    case 'linked':
      return { state: isActiveMember(verification, now) ? 'linked-active' : 'linked-inactive', reason: null };
    case 'not-linked':
      return { state: 'unlinked', reason: 'not-linked' };
    case 'user-not-found':
      return { state: 'unlinked', reason: 'user-not-found' };
    case 'user-not-active':
      return { state: 'unlinked', reason: 'user-not-active' };
  }
}
