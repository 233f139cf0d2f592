/**
 * @module The status model: what the profile page's status element shows, derived from the latest
 * membership verification.
 * @see https://docs.instacart.com/connect (account linking how-to), "Status element" and "Update the status element"
 */
import type { MembershipVerification } from './storage/types.js';

/** The states of the status element (part of Cartlink's external contract; see the README). */
export type LinkState = 'linked-active' | 'linked-inactive' | 'unlinked' | 'unavailable';

/** Why a shopper is `unlinked` or `unavailable`, for pages that want to say more than the state. */
export type LinkStateReason =
  | 'user-not-found'
  | 'not-linked'
  | 'user-not-active'
  | 'connect-unreachable'
  | null;

/**
 * What the status endpoint answers and the `<cartlink-status>` element renders. It carries no
 * authorization URL: a link starts only with `POST {basePath}/authorize` (see `createLinkingHandler`).
 */
export interface StatusView {
  state: LinkState;
  reason: LinkStateReason;
  /** The Instacart+ subscription's end (ISO 8601), when linked and Connect sent one. */
  expiredAt: string | null;
  /** Where a member manages Instacart+. */
  manageUrl: string;
  /** Where a shopper buys Instacart+. */
  joinUrl: string;
  /** When Connect last answered for this shopper (ISO 8601), or null. */
  verifiedAt: string | null;
}

/** The Instacart web pages the status element links to. */
export interface InstacartWebLinks {
  manageUrl: string;
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
): { state: LinkState; reason: LinkStateReason } {
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
