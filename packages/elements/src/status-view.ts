/**
 * @module The JSON the elements receive from the retailer's server (the status view and the link
 * result, declared in `@cartlink/wire`) and the checks that turn untrusted JSON into those types.
 * Anything that fails a check is treated as if the server had not answered, never half-used.
 */

import type {
  FailureOutcome,
  LinkOutcome,
  LinkResult,
  LinkState,
  LinkStateReason,
  ReportedOutcome,
  StatusView,
} from '@cartlink/wire';

// The JSON is declared once, in `@cartlink/wire`, and written by `@cartlink/linking` against the same
// declarations. Type-only: nothing of it reaches the bundle.
export type {
  FailureOutcome,
  LinkOutcome,
  LinkResult,
  LinkState,
  LinkStateReason,
  ReportedOutcome,
  StatusView,
};

/** The states of `<cartlink-status>`: the server's {@link LinkState}s and the element's own `loading`. */
export type StatusState = 'loading' | LinkState;

/** The states a server may report in a {@link StatusView}: another name for {@link LinkState}. */
export type ServerStatusState = LinkState;

/**
 * Compiles only when `Missing` is `never`, and the error names what is missing. With `satisfies
 * readonly T[]` on a list (which refuses a value that is not a `T`),
 * `NoneMissing<Exclude<T, (typeof list)[number]>>` proves that the list holds every `T`: the runtime
 * lists below follow the wire types, or the type check fails.
 */
export type NoneMissing<Missing extends never> = Missing;

/** Every {@link StatusState}, for checking untrusted values. */
export const STATUS_STATES = [
  'loading',
  'linked-active',
  'linked-inactive',
  'unlinked',
  'unavailable',
] as const satisfies readonly StatusState[];
type _EveryStatusStateListed = NoneMissing<Exclude<StatusState, (typeof STATUS_STATES)[number]>>;

/** Every {@link LinkOutcome}, for checking untrusted values. */
export const LINK_OUTCOMES = [
  'linked',
  'cancelled',
  'state-invalid',
  'already-linked',
  'user-not-active',
  'unavailable',
  'throttled',
  'failed',
] as const satisfies readonly LinkOutcome[];
type _EveryLinkOutcomeListed = NoneMissing<Exclude<LinkOutcome, (typeof LINK_OUTCOMES)[number]>>;

/** Every {@link ReportedOutcome}: the only values of `cartlink_outcome` the element acts on. */
export const REPORTED_OUTCOMES = ['throttled', 'failed'] as const satisfies readonly ReportedOutcome[];
type _EveryReportedOutcomeListed = NoneMissing<Exclude<ReportedOutcome, (typeof REPORTED_OUTCOMES)[number]>>;

const REASONS = [
  null,
  'user-not-found',
  'not-linked',
  'user-not-active',
  'connect-unreachable',
] as const satisfies readonly LinkStateReason[];
type _EveryReasonListed = NoneMissing<Exclude<LinkStateReason, (typeof REASONS)[number]>>;

/** True when `value` is one of the element's states. */
export function isStatusState(value: unknown): value is StatusState {
  return STATUS_STATES.includes(value as StatusState);
}

/** True when `value` is one of the link outcomes. */
export function isLinkOutcome(value: unknown): value is LinkOutcome {
  return LINK_OUTCOMES.includes(value as LinkOutcome);
}

function isLinkStateReason(value: unknown): value is LinkStateReason {
  return REASONS.includes(value as LinkStateReason);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/**
 * Checks untrusted JSON against {@link StatusView}. Returns `undefined` when it does not match, which
 * the status element shows as `unavailable`. The fields the element can do without may be missing or
 * null (`reason`, `expiredAt` and `verifiedAt` become `null`; `manageUrl` and `joinUrl` become empty,
 * and the element keeps its defaults), but a field that is present must have the right type. A
 * `reason` this version does not know reads as `null`: the element shows the state, not the reason,
 * so a bundle cached by a browser keeps working when a newer server adds one.
 */
export function parseStatusView(json: unknown): StatusView | undefined {
  if (!isRecord(json)) return undefined;
  const { state, expiredAt = null, verifiedAt = null } = json;
  const reason = isLinkStateReason(json.reason) ? json.reason : null;
  const manageUrl = json.manageUrl ?? '';
  const joinUrl = json.joinUrl ?? '';
  if (
    isStatusState(state) &&
    state !== 'loading' &&
    isStringOrNull(expiredAt) &&
    isStringOrNull(verifiedAt) &&
    typeof manageUrl === 'string' &&
    typeof joinUrl === 'string'
  ) {
    return { state, reason, expiredAt, manageUrl, joinUrl, verifiedAt };
  }
  return undefined;
}

/** Checks untrusted JSON against {@link LinkResult}; `undefined` when it does not match. */
export function parseLinkResult(json: unknown): LinkResult | undefined {
  if (!isRecord(json) || !isLinkOutcome(json.outcome)) return undefined;
  const status = parseStatusView(json.status);
  return status ? { outcome: json.outcome, status } : undefined;
}
