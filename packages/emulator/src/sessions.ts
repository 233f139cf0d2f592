/**
 * Browser-side state of the authorization page, kept in memory only: the emulator session (the
 * Instacart log-in, carried by a cookie, with its CSRF token) and pending authorization requests
 * (validated parameters stored server-side, so the forms carry only an id that cannot be swapped
 * for another request's).
 */
import { createRandomToken } from './random.js';

/**
 * The session cookie. Cookies are not isolated by port and the storefront runs on another port
 * of the same host, so the name must be one no storefront would choose.
 */
export const SESSION_COOKIE = 'instacart_emulator_session';

/**
 * The session cookie's name for a page served over `https:` or not: over https it carries the
 * `__Host-` prefix, so the browser only accepts it with `Secure`, `Path=/` and no `Domain`.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
const PENDING_LIFETIME_MS = 10 * 60 * 1000;
const MAX_ENTRIES = 10_000;

/** An emulator session. */
export interface BrowserSession {
  id: string;
  /** Every form of this session carries it; compared in constant time. */
  csrfToken: string;
  /** The Instacart account logged in, or `null`. */
  instacartUserId: number | null;
  expiresAt: number;
}

/** An authorization request that passed validation, waiting for log-in or consent. */
export interface PendingAuthorization {
  id: string;
  sessionId: string;
  clientId: string;
  redirectUri: string;
  state: string | null;
  codeChallenge: string | null;
  /** The original query string, to come back to `/oauth/authorize` after logging in or out. */
  query: string;
  expiresAt: number;
}

function boundedSet<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  // Maps iterate in insertion order: the first key is the oldest entry.
  while (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}

/** Sessions and pending authorizations. */
export class SessionStore {
  private sessions = new Map<string, BrowserSession>();
  private pending = new Map<string, PendingAuthorization>();

  /** Starts an anonymous session. */
  create(nowMs: number): BrowserSession {
    const session: BrowserSession = {
      id: createRandomToken(32),
      csrfToken: createRandomToken(32),
      instacartUserId: null,
      expiresAt: nowMs + SESSION_LIFETIME_MS,
    };
    boundedSet(this.sessions, session.id, session);
    return session;
  }

  /** The live session with this id. */
  get(id: string | undefined, nowMs: number): BrowserSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= nowMs) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /**
   * Replaces a session by a fresh one (new id, new CSRF token) for `instacartUserId`: done at every
   * log-in and log-out so that a session id planted before log-in is worthless after it.
   */
  rotate(old: BrowserSession, instacartUserId: number | null, nowMs: number): BrowserSession {
    this.sessions.delete(old.id);
    const session = this.create(nowMs);
    session.instacartUserId = instacartUserId;
    for (const request of this.pending.values()) {
      if (request.sessionId === old.id) request.sessionId = session.id;
    }
    return session;
  }

  /** Stores a validated authorization request for this session. */
  addPending(input: Omit<PendingAuthorization, 'id' | 'expiresAt'>, nowMs: number): PendingAuthorization {
    const request: PendingAuthorization = {
      ...input,
      id: createRandomToken(24),
      expiresAt: nowMs + PENDING_LIFETIME_MS,
    };
    boundedSet(this.pending, request.id, request);
    return request;
  }

  /** The pending request `id` if it belongs to `sessionId` and has not expired. */
  getPending(id: string | undefined, sessionId: string, nowMs: number): PendingAuthorization | undefined {
    if (!id) return undefined;
    const request = this.pending.get(id);
    if (!request || request.sessionId !== sessionId || request.expiresAt <= nowMs) return undefined;
    return request;
  }

  /** Consumes a pending request (consent is single use). */
  deletePending(id: string): void {
    this.pending.delete(id);
  }

  /** Forgets everything (reset). */
  clear(): void {
    this.sessions.clear();
    this.pending.clear();
  }
}
