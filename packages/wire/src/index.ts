/**
 * @module `@cartlink/wire`: the JSON and the query values that pass between the linking handler of
 * `@cartlink/linking` (the retailer's server) and the elements of `@cartlink/elements` (the shopper's
 * browser), declared once. Both sides are typed against these declarations, so a change here that one
 * side does not follow fails the type check.
 *
 * Types only: import them with `import type`, and nothing of this package exists at run time.
 *
 * | where                                    | type             |
 * | ---------------------------------------- | ---------------- |
 * | `GET {basePath}/status` answer           | {@link StatusView} |
 * | `POST {basePath}/link` answer            | {@link LinkResult} |
 * | `?cartlink_outcome=` on the profile page | {@link ReportedOutcome} |
 *
 * @example
 * ```ts
 * import type { StatusView } from '@cartlink/wire';
 *
 * function describeStatus(view: StatusView): string {
 *   return view.state === 'linked-active' ? `Instacart+ until ${view.expiredAt}` : view.state;
 * }
 * ```
 * @see https://docs.instacart.com/connect (account linking how-to), "Status element" and "Account linking results dialog window"
 */

/**
 * The states of the status element that a server reports: linked with an active Instacart+
 * membership, linked without one, not linked, or Instacart could not be reached. (The element adds its
 * own `loading` while it waits; a server never sends it.)
 */
export type LinkState = 'linked-active' | 'linked-inactive' | 'unlinked' | 'unavailable';

/**
 * Why a shopper is `unlinked` or `unavailable`, for pages that want to say more than the state; `null`
 * for the linked states.
 */
export type LinkStateReason =
  /** Connect has no user for this shopper yet (the first link creates one). */
  | 'user-not-found'
  /** Connect has the user, but no Instacart account is linked to it. */
  | 'not-linked'
  /** Connect says the shopper's Connect user is not active. */
  | 'user-not-active'
  /** Connect could not be reached, and no earlier verification says otherwise. */
  | 'connect-unreachable'
  | null;

/**
 * The answer of `GET {basePath}/status`, and the `status` in the answer of `POST {basePath}/link`:
 * what the status element shows. It carries no authorization URL: a link starts only with the Link
 * form's `POST {basePath}/authorize`, which answers 303 to Instacart.
 */
export interface StatusView {
  /** The state to show. */
  state: LinkState;
  /** Why the shopper is `unlinked` or `unavailable`; `null` when linked. */
  reason: LinkStateReason;
  /** The end of the Instacart+ subscription (ISO 8601, Connect's `expired_at`), when linked and Connect sent one; otherwise `null`. */
  expiredAt: string | null;
  /** Where a member manages Instacart+ ("Manage Instacart+"). */
  manageUrl: string;
  /** Where a shopper buys Instacart+ ("Join Instacart+"). */
  joinUrl: string;
  /** When Connect last answered for this shopper (ISO 8601), or `null` when it never has. */
  verifiedAt: string | null;
}

/** How a link attempt ended. Only `linked` is a success; each other outcome has its own message in the failure dialog. */
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
   * The shopper started too many links in a short time: the server refused another link start for now.
   * Reported on the page the link started from (`cartlink_outcome=throttled`), never by `POST {basePath}/link`.
   */
  | 'throttled'
  /** Anything else: a refused code, a wrong issuer, an unexpected answer, a stale Link form. */
  | 'failed';

/** Every {@link LinkOutcome} but success: the outcomes of the failure dialog. */
export type FailureOutcome = Exclude<LinkOutcome, 'linked'>;

/** The answer of `POST {basePath}/link` (the authorization callback): how the link ended and the status to show afterwards. */
export interface LinkResult {
  /** How the link ended; the results dialog shows it. */
  outcome: LinkOutcome;
  /** The shopper's status after the attempt; the status element shows it. */
  status: StatusView;
}

/** The name of the query parameter that carries a {@link ReportedOutcome} back to the profile page. */
export type LinkOutcomeParam = 'cartlink_outcome';

/**
 * The outcomes a server reports in the profile page's address bar (`?cartlink_outcome=`) when it
 * refused the Link form: `throttled` (too many link starts) or `failed` (a form that outlived its
 * session's CSRF token). No other value is ever sent, and the element ignores any other: a link that
 * anyone can send must not make the page claim more.
 */
export type ReportedOutcome = Extract<FailureOutcome, 'throttled' | 'failed'>;
