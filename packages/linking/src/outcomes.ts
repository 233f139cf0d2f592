/**
 * @module The outcomes of completing a link, typed so that the results dialog can say what happened
 * and what the shopper can do about it.
 */
import type { LinkOutcome } from '@cartlink/wire';

// The outcomes are declared once, in `@cartlink/wire`: the handler's `POST {basePath}/link` answers
// them and `@cartlink/elements` reads them against the same declaration.
export type { FailureOutcome, LinkOutcome, ReportedOutcome } from '@cartlink/wire';

const LINK_OUTCOME_LIST = [
  'linked',
  'cancelled',
  'state-invalid',
  'already-linked',
  'user-not-active',
  'unavailable',
  'throttled',
  'failed',
] as const satisfies readonly LinkOutcome[];

/** Every {@link LinkOutcome}, in the order of the type. */
export const LINK_OUTCOMES: readonly LinkOutcome[] = LINK_OUTCOME_LIST;

/** Compiles only when `Missing` is `never`; otherwise the error names what is missing. */
type NoneMissing<Missing extends never> = Missing;
// `satisfies` above refuses a value that is not an outcome; this refuses an outcome left out.
type _EveryOutcomeListed = NoneMissing<Exclude<LinkOutcome, (typeof LINK_OUTCOME_LIST)[number]>>;

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
