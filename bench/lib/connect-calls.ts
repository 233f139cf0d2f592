/**
 * @module The Connect calls the bench's emulator counted (see `servers/emulator.ts`: it keeps every
 * call it answers and tells the token endpoint's two uses apart), read and cleared over its IPC
 * channel, and sorted by kind. The emulator's own request log cannot do this: it keeps no bodies and
 * only the last 1,000 entries.
 */
import type { ChildServer } from '../../testing/processes';
import type { ConnectCall } from '../servers/emulator';
import { round } from './stats';

/** Connect calls by kind. `calls` excludes fulfillment-token requests, as the issue counts them. */
export interface CallCounts {
  /** Exchanges, user creations and link posts: the link sequence. */
  linkCalls: number;
  exchanges: number;
  creates: number;
  linkPosts: number;
  /** Get-account-information calls (the status). */
  statusGets: number;
  /** Client-credentials grants: fulfillment tokens. */
  tokenRequests: number;
  /** Every Connect request, tokens included. */
  total: number;
  /**
   * The calls in order: when each arrived (ms after the first), how long the emulator took (L
   * included). The gaps between one call's end and the next one's arrival are the caller's own time.
   */
  timeline: { call: string; atMs: number; durationMs: number }[];
}

/** Sorts calls by kind. */
export function countCalls(calls: readonly ConnectCall[]): CallCounts {
  const count = (predicate: (call: ConnectCall) => boolean) => calls.filter(predicate).length;
  const exchanges = count((c) => c.route === '/v2/oauth/token' && c.grant === 'authorization_code');
  const creates = count((c) => c.method === 'POST' && c.route === '/v2/fulfillment/users');
  const linkPosts = count((c) => c.method === 'POST' && c.route === '/v2/fulfillment/users/{user_id}/link');
  return {
    linkCalls: exchanges + creates + linkPosts,
    exchanges,
    creates,
    linkPosts,
    statusGets: count((c) => c.method === 'GET' && c.route === '/v2/fulfillment/users/{user_id}/link'),
    tokenRequests: count((c) => c.route === '/v2/oauth/token' && c.grant === 'client_credentials'),
    total: calls.length,
    timeline: calls.map((c) => ({
      call: `${c.method} ${c.route}${c.grant ? ` (${c.grant})` : ''} ${c.status}`,
      atMs: round(c.at - (calls[0]?.at ?? 0)),
      durationMs: round(c.durationMs),
    })),
  };
}

/** Clears the emulator's call counter. */
export async function resetCalls(emulator: ChildServer): Promise<void> {
  await emulator.call('reset-calls');
}

/** The calls counted since the last reset, by kind. */
export async function readCalls(emulator: ChildServer): Promise<CallCounts> {
  return countCalls(await emulator.call<ConnectCall[]>('calls'));
}
