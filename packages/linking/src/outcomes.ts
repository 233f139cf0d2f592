/**
 * @module The outcomes of completing a link, typed so that the results dialog can say what happened
 * and what the shopper can do about it.
 */

/** How a link attempt ended. Only `linked` is a success. */
export type LinkOutcome =
  /** Both accounts are linked. */
  | 'linked'
  /** The shopper chose Deny on Instacart's consent page (`error=access_denied`). */
  | 'cancelled'
  /** The `state` was missing, unknown, used before, expired, or from another session. */
  | 'state-invalid'
  /** This Instacart account is already linked to another shopper of this retailer. */
  | 'already-linked'
  /** Instacart says the shopper's Connect user is not active. */
  | 'user-not-active'
  /** Instacart could not be reached (network, timeout, 5xx, rate limit). */
  | 'unavailable'
  /**
   * The shopper started too many links in a short time: `POST {basePath}/authorize` was refused by the
   * host's `limitLinkStart`. Reported on the page the link started from (`cartlink_outcome=throttled`),
   * never by `Linking.completeLink`.
   */
  | 'throttled'
  /** Anything else: a refused code, a wrong issuer, an unexpected answer. */
  | 'failed';

export const LINK_OUTCOMES: readonly LinkOutcome[] = [
  'linked',
  'cancelled',
  'state-invalid',
  'already-linked',
  'user-not-active',
  'unavailable',
  'throttled',
  'failed',
];

/**
 * Detail for logs and tests: which check or call decided a non-`linked` outcome. Never contains a
 * code, state, token or secret.
 */
export type LinkFailureDetail =
  | 'state-missing'
  | 'state-unknown'
  | 'state-other-session'
  | 'state-expired'
  | 'issuer-mismatch'
  | 'issuer-missing'
  | 'access-denied'
  | 'authorization-error'
  | 'code-missing'
  | 'code-rejected'
  | 'client-rejected'
  | 'linking-token-rejected'
  | 'already-linked'
  | 'user-not-active'
  | 'connect-unreachable'
  | 'unexpected-response';
