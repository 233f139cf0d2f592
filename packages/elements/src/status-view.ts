/**
 * @module The JSON the elements receive from the retailer's server (the status view and the link
 * result) and the checks that turn untrusted JSON into those types. Anything that fails a check is
 * treated as if the server had not answered, never half-used.
 */

/** The states of `<cartlink-status>`; `loading` is the element's own, the rest come from the server. */
export type StatusState = 'loading' | 'linked-active' | 'linked-inactive' | 'unlinked' | 'unavailable';

/** The states a server may report in a {@link StatusView}. */
export type ServerStatusState = Exclude<StatusState, 'loading'>;

/**
 * What the server's status endpoint answers (and what it renders into the element's attributes).
 * It carries no authorization URL: "Link Instacart account" posts a form to the server's authorize
 * endpoint, which starts the link and redirects.
 */
export interface StatusView {
  state: ServerStatusState;
  /** ISO 8601 instant the Instacart+ membership expires (`expired_at`), or null. */
  expiredAt: string | null;
  manageUrl: string;
  joinUrl: string;
}

/** What linking came to, as the server's link endpoint reports it. */
export type LinkOutcome =
  | 'linked'
  | 'cancelled'
  | 'state-invalid'
  | 'already-linked'
  | 'user-not-active'
  | 'unavailable'
  /** The shopper started too many links; the server's authorize endpoint refused another for now. */
  | 'throttled'
  | 'failed';

/** Every {@link LinkOutcome} but success; each has its own message in the failure dialog. */
export type FailureOutcome = Exclude<LinkOutcome, 'linked'>;

/** The link endpoint's answer: the outcome and the status to show afterwards. */
export interface LinkResult {
  outcome: LinkOutcome;
  status: StatusView;
}

/** Every {@link StatusState}, for checking untrusted values. */
export const STATUS_STATES: readonly StatusState[] = [
  'loading',
  'linked-active',
  'linked-inactive',
  'unlinked',
  'unavailable',
];

/** Every {@link LinkOutcome}, for checking untrusted values. */
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

/** True when `value` is one of the element's states. */
export function isStatusState(value: unknown): value is StatusState {
  return STATUS_STATES.includes(value as StatusState);
}

/** True when `value` is one of the link outcomes. */
export function isLinkOutcome(value: unknown): value is LinkOutcome {
  return LINK_OUTCOMES.includes(value as LinkOutcome);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | null | false {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : false;
}

/**
 * Checks untrusted JSON against {@link StatusView}. Returns `undefined` when it does not match, which
 * the status element shows as `unavailable`. `manageUrl` and `joinUrl` may be missing (the element
 * keeps its defaults), but when present they must be strings.
 */
export function parseStatusView(json: unknown): StatusView | undefined {
  if (!isRecord(json)) return undefined;
  const { state } = json;
  if (!isStatusState(state) || state === 'loading') return undefined;
  const expiredAt = optionalString(json.expiredAt);
  const manageUrl = optionalString(json.manageUrl);
  const joinUrl = optionalString(json.joinUrl);
  if (expiredAt === false || manageUrl === false || joinUrl === false) return undefined;
  return { state, expiredAt, manageUrl: manageUrl ?? '', joinUrl: joinUrl ?? '' };
}

/** Checks untrusted JSON against {@link LinkResult}; `undefined` when it does not match. */
export function parseLinkResult(json: unknown): LinkResult | undefined {
  if (!isRecord(json) || !isLinkOutcome(json.outcome)) return undefined;
  const status = parseStatusView(json.status);
  return status ? { outcome: json.outcome, status } : undefined;
}
