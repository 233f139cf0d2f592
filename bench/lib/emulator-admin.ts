/**
 * @module The emulator's admin API as the runner uses it, and the Connect calls the bench emulator
 * counted (see `servers/emulator.ts`), sorted by kind.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectCall } from '../servers/emulator';
import { deleteRequest, postJson } from './http';
import type { ChildServer } from './processes';
import { round } from './stats';

/** Registers (or replaces) an OAuth application. */
export async function registerApp(
  emulatorUrl: string,
  app: { clientId: string; clientSecret: string; name: string },
  redirectUris: string[],
): Promise<void> {
  await postJson(`${emulatorUrl}/_emulator/apps`, {
    client_id: app.clientId,
    client_secret: app.clientSecret,
    name: app.name,
    redirect_uris: redirectUris,
  });
}

/** A new Instacart account with an active Instacart+ membership (a year, the emulator's default). */
export async function createInstacartMember(emulatorUrl: string): Promise<number> {
  const { id } = await postJson<{ id: number }>(`${emulatorUrl}/_emulator/instacart-users`, {
    email: `member-${randomUUID()}@instacart.test`,
    password: 'instacart',
    instacartplus_member: true,
  });
  return id;
}

/** Customer-service unlink of one application's user. */
export async function unlink(emulatorUrl: string, userId: string, clientId: string): Promise<void> {
  const status = await deleteRequest(
    `${emulatorUrl}/_emulator/links/${encodeURIComponent(userId)}?client_id=${encodeURIComponent(clientId)}`,
  );
  if (status !== 204) throw new Error(`unlink ${userId}: ${status}`);
}

/** An authorization code for `instacartUserId`, as if the shopper had pressed Allow. */
export async function authorize(
  emulator: ChildServer,
  input: { instacartUserId: number; clientId: string; redirectUri: string; codeChallenge?: string },
): Promise<string> {
  const { code } = await emulator.call<{ code: string }>('authorize', input);
  return code;
}

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
