/**
 * @module Link transactions: the state (and PKCE verifier) that ties an authorization request to the
 * session that made it. A transaction is created when the shopper presses "Link Instacart account"
 * (a POST, never a page load) and consumed, exactly once, when the shopper comes back with `code`
 * and `state`.
 * @see https://docs.instacart.com/connect (account linking how-to), "Authorization URL" (the CSRF
 *   prevention token)
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1 (and §4.7; RFC 6749 §10.12 on CSRF, RFC 7636 on PKCE)
 */
import {
  computeCodeChallenge,
  createAuthorizationUrl,
  encodeBase64Url,
  generateCodeVerifier,
  generateState,
} from '@cartlink/connect';
import type { LinkTransaction, LinkTransactionStore } from './storage/types.js';

/** Who is asking: the server-side session and the shop user it belongs to. Never taken from the browser. */
export interface LinkingSubject {
  /** The server-side session's id; a link transaction is bound to it. */
  sessionId: string;
  /** The shop's id of the signed-in user: the Connect `user_id`. */
  userId: string;
}

/** What {@link beginLinkTransaction} puts in the authorization URL, and how long the transaction lives. */
export interface AuthorizationRequestSettings {
  /** The authorization URL Instacart gave the retailer. */
  authorizationEndpoint: string;
  /**
   * The Connect OAuth application's client id. The transaction keeps it, so that the code is
   * exchanged with this application's credentials even if the shop has moved to another since.
   */
  clientId: string;
  /** The redirect URI registered with Instacart. */
  redirectUri: string;
  /** Send a PKCE challenge (S256) and keep its verifier in the transaction. */
  usePkce: boolean;
  /** How long a transaction may wait for the shopper's return. */
  ttlSeconds: number;
}

/** Why a returning `state` was refused. All of them end in the same `state-invalid` outcome. */
export type StateRejection = 'missing' | 'unknown' | 'other-session' | 'expired';

/** What {@link consumeLinkTransaction} found: the transaction, or why the state was refused. */
export type ConsumeResult =
  | {
      /** The state was valid for this subject and still fresh. */
      ok: true;
      /** The transaction, now removed from the store. */
      transaction: LinkTransaction;
    }
  | {
      /** The state was refused. */
      ok: false;
      /** Why. */
      rejection: StateRejection;
    };

/** base64url SHA-256 of a state value: what is stored and looked up instead of the state itself. */
export async function hashState(state: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(state));
  return encodeBase64Url(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their length, so that a mismatch does not tell
 * an attacker how many leading characters were right.
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let difference = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) {
    difference |= (left[index] ?? 0) ^ (right[index] ?? 0);
  }
  return difference === 0;
}

/**
 * Starts a link transaction for the subject and returns the authorization URL that carries its state.
 * The state is 256 random bits; only its hash is stored.
 */
export async function beginLinkTransaction(
  store: LinkTransactionStore,
  subject: LinkingSubject,
  settings: AuthorizationRequestSettings,
  now: Date,
): Promise<URL> {
  const state = generateState();
  const codeVerifier = settings.usePkce ? generateCodeVerifier() : null;
  await store.create({
    stateHash: await hashState(state),
    sessionId: subject.sessionId,
    userId: subject.userId,
    codeVerifier,
    redirectUri: settings.redirectUri,
    clientId: settings.clientId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + settings.ttlSeconds * 1000),
  });
  return createAuthorizationUrl({
    authorizationEndpoint: settings.authorizationEndpoint,
    clientId: settings.clientId,
    redirectUri: settings.redirectUri,
    state,
    ...(codeVerifier === null ? {} : { codeChallenge: await computeCodeChallenge(codeVerifier) }),
  });
}

/**
 * Consumes the transaction that `state` names, for this subject only. The transaction is removed
 * before anything else is checked, so a state is spent by its first use whatever the outcome: a
 * replay after success or failure finds nothing, and of two concurrent callbacks only one proceeds.
 */
export async function consumeLinkTransaction(
  store: LinkTransactionStore,
  subject: LinkingSubject,
  state: string | undefined,
  now: Date,
): Promise<ConsumeResult> {
  if (!state) return { ok: false, rejection: 'missing' };
  const stateHash = await hashState(state);
  const transaction = await store.consume(stateHash);
  if (transaction === null) return { ok: false, rejection: 'unknown' };
  const sameSession =
    timingSafeEqualStrings(transaction.sessionId, subject.sessionId) &&
    timingSafeEqualStrings(transaction.userId, subject.userId);
  if (!sameSession) return { ok: false, rejection: 'other-session' };
  if (transaction.expiresAt.getTime() <= now.getTime()) return { ok: false, rejection: 'expired' };
  return { ok: true, transaction };
}
