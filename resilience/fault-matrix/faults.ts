/**
 * @module What section 1 puts on the wire: the kinds of fault (each made by the emulator, on
 * Instacart's side of the wire) and the Connect calls of the storefront they go on, with what the
 * storefront should make of each pair.
 */
import type { FaultInput } from '@cartlink/emulator/testing';

/** The storefront's Connect timeout in this section (CONNECT_TIMEOUT_MS; the minimum is 100). */
export const CONNECT_TIMEOUT_MS = 500;
/** A delay well past that timeout: every attempt of the client times out. */
export const TIMEOUT_DELAY_MS = 1_500;
/** `SIGN_IN_VERIFICATION_DEADLINE_MS` in apps/storefront/src/routes/auth-routes.ts. */
export const SIGN_IN_DEADLINE_MS = 3_000;
/**
 * How long a page may wait for a Connect that hangs before answering "unavailable": twice the
 * documented per-call timeout (env.ts: "Longest wait for one Connect call, so that sign-in and
 * checkout never hang on Instacart"), generous on a loaded machine.
 */
export const PAGE_LIMIT_MS = 10_000;

/** A fault kind: how it is made, and what the storefront should make of it. */
export interface FaultKind {
  id: string;
  label: string;
  /** Made by the emulator's own fault injection. */
  emulator: Omit<FaultInput, 'method' | 'path'>;
  /** Fires once: a retryable call absorbs it. */
  once?: boolean;
  /** The answer breaks the contract (not transient): a link attempt ends `failed`, not `unavailable`. */
  contractBreak?: boolean;
}

export const KINDS: FaultKind[] = [
  { id: '500', label: 'HTTP 500', emulator: { status: 500 } },
  { id: '503', label: 'HTTP 503', emulator: { status: 503 } },
  {
    id: '503x1',
    label: 'one HTTP 503 then normal (times=1)',
    emulator: { status: 503, times: 1 },
    once: true,
  },
  { id: '429', label: 'HTTP 429 without Retry-After', emulator: { status: 429 } },
  {
    id: '429ra1',
    label: 'HTTP 429 with Retry-After: 1',
    emulator: { status: 429, headers: { 'retry-after': '1' } },
  },
  {
    id: '429ra120',
    label: 'HTTP 429 with Retry-After: 120',
    emulator: { status: 429, headers: { 'retry-after': '120' } },
  },
  {
    id: 'timeout',
    label: `delay ${TIMEOUT_DELAY_MS} ms > client timeout ${CONNECT_TIMEOUT_MS} ms`,
    emulator: { delay_ms: TIMEOUT_DELAY_MS },
  },
  { id: 'drop', label: 'dropped connection', emulator: { drop: true } },
  {
    id: 'malformed',
    label: '200 with a non-JSON body (truncated JSON)',
    emulator: {
      status: 200,
      raw_body: '{"access_token": "tok", "instacartplus_member": tru',
      headers: { 'content-type': 'application/json' },
    },
    contractBreak: true,
  },
  {
    id: 'shape',
    label: '200 JSON of the wrong shape {"unexpected":"shape"}',
    emulator: { status: 200, body: { unexpected: 'shape' } },
    contractBreak: true,
  },
];

/** The kinds `--quick` keeps. */
export const QUICK_KINDS: ReadonlySet<string> = new Set([
  '500',
  '503x1',
  '429ra1',
  'timeout',
  'drop',
  'malformed',
  'shape',
]);

/** The kind with this id. */
export function kind(id: string): FaultKind {
  const found = KINDS.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no fault kind ${id}`);
  return found;
}

/** Where a fault goes: one Connect route. */
export interface FaultedRoute {
  method: 'GET' | 'POST';
  /** Emulator fault path (`*` = one segment). */
  path: string;
}

/** `GET /v2/fulfillment/users/{id}/link`, the status call, which the rows after the matrix fault. */
export const GET_LINK: FaultedRoute = { method: 'GET', path: '/v2/fulfillment/users/*/link' };

/** A Connect call of the storefront and how a shopper reaches it. */
export interface ConnectCall extends FaultedRoute {
  id: string;
  label: string;
  /** `status`: profile page and checkout; `link`: POST /cartlink/link. */
  scenario: 'status' | 'link';
  /** docs/connect-api.md §5: GETs, the client-credentials grant and the link call are retried. */
  retryable: boolean;
}

export const CALLS: ConnectCall[] = [
  {
    id: 'token-cc',
    label: 'POST /v2/oauth/token (client_credentials)',
    method: 'POST',
    path: '/v2/oauth/token',
    scenario: 'status',
    retryable: true,
  },
  {
    id: 'token-code',
    label: 'POST /v2/oauth/token (authorization_code exchange)',
    method: 'POST',
    path: '/v2/oauth/token',
    scenario: 'link',
    retryable: false,
  },
  {
    id: 'get-link',
    label: 'GET /v2/fulfillment/users/{id}/link',
    ...GET_LINK,
    scenario: 'status',
    retryable: true,
  },
  {
    id: 'post-link',
    label: 'POST /v2/fulfillment/users/{id}/link',
    method: 'POST',
    path: '/v2/fulfillment/users/*/link',
    scenario: 'link',
    retryable: true,
  },
  {
    id: 'post-users',
    label: 'POST /v2/fulfillment/users',
    method: 'POST',
    path: '/v2/fulfillment/users',
    scenario: 'link',
    retryable: false,
  },
];

/** The dialog outcome a link attempt should end with under a fault of this kind on this call. */
export function expectedLinkOutcome(call: ConnectCall, kind: FaultKind): string {
  if (kind.once) return call.retryable ? 'linked' : 'unavailable';
  return kind.contractBreak ? 'failed' : 'unavailable';
}
