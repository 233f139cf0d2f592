/**
 * @module Server-side sessions in the database, so that any instance of the shop can serve any
 * request. The cookie holds 256 random bits; the table holds only their SHA-256 digest, so reading the
 * table does not yield a usable session. Sessions end after a period of inactivity (idle expiry) and,
 * whatever the activity, after an absolute lifetime.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Selectable } from 'kysely';
import { fromMillis, type SessionTable, type StorefrontDb } from './db/schema.js';

/** A session as the app sees it. `idHash` is also the linking core's session id. */
export interface Session {
  idHash: string;
  userId: string | null;
  csrfToken: string;
  flash: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** How the session cookie is named and flagged, derived from the public URL. */
export interface SessionCookieSettings {
  name: string;
  secure: boolean;
}

/** A session lives at most this long, however active: a stolen cookie does not last forever. */
export const ABSOLUTE_LIFETIME_SECONDS = 7 * 86_400;

/** Extending the idle expiry on every request would write on every page view; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The cookie's name and flags. Over https the name takes the `__Host-` prefix, which browsers accept
 * only with `Secure`, `Path=/` and no `Domain`: the cookie cannot be set or shadowed by a subdomain.
 */
export function sessionCookieSettings(publicUrl: string): SessionCookieSettings {
  const secure = new URL(publicUrl).protocol === 'https:';
  return { name: secure ? '__Host-cm_session' : 'cm_session', secure };
}

/** A `Set-Cookie` value for the session cookie; `value: null` clears it. */
export function serializeSessionCookie(settings: SessionCookieSettings, value: string | null): string {
  const attributes = [
    `${settings.name}=${value ?? ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    ...(settings.secure ? ['Secure'] : []),
    // Without Max-Age the cookie ends with the browser session; the server's idle expiry decides before.
    ...(value === null ? ['Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT'] : []),
  ];
  return attributes.join('; ');
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index === -1) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** base64url SHA-256 of a session id: the table's key. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** 256 random bits, base64url: a session id or a CSRF token. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares a submitted CSRF token with the session's, in constant time. */
export function csrfTokenMatches(session: Session | null, submitted: unknown): boolean {
  if (session === null || typeof submitted !== 'string') return false;
  const expected = Buffer.from(session.csrfToken);
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface SessionStore {
  /** Starts a session (for a visitor when `userId` is null); returns the cookie value and the session. */
  create(userId: string | null, flash?: string | null): Promise<{ id: string; session: Session }>;
  /** The live session for a cookie value, extending its idle expiry; null when unknown or expired. */
  get(id: string | undefined): Promise<Session | null>;
  delete(idHash: string): Promise<void>;
  /**
   * Gives the live session of cookie value `id` a new id, keeping everything else: its user, CSRF
   * token (so the forms of the page already open keep working), flash and absolute lifetime. The old
   * id stops working at once. Returns the new cookie value and the session, or null when `id` names
   * no live session (expired, unknown, or already rotated by a concurrent request).
   */
  rotate(id: string | undefined): Promise<{ id: string; session: Session } | null>;
  /** Ends every session of a user (sign out everywhere); returns how many ended. */
  deleteAllForUser(userId: string): Promise<number>;
  /** Leaves a message for the next page the session sees. */
  setFlash(idHash: string, message: string): Promise<void>;
  /** Returns and clears the pending message. */
  takeFlash(session: Session): Promise<string | null>;
  /** Deletes expired sessions; returns how many. */
  deleteExpired(): Promise<number>;
}

function toSession(row: Selectable<SessionTable>): Session {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    flash: row.flash,
    createdAt: fromMillis(row.created_at),
    expiresAt: fromMillis(row.expires_at),
  };
}

/** Purge expired sessions after this many new ones, so the table stays small without a job. */
const PURGE_EVERY_N_SESSIONS = 200;

/** Creates the session store on the shop's database. */
export function createSessionStore(
  db: StorefrontDb,
  options: { idleSeconds: number; now: () => Date },
): SessionStore {
  const idleMs = options.idleSeconds * 1000;
  let createdSincePurge = 0;

  const store: SessionStore = {
    async create(userId, flash = null) {
      const id = randomToken();
      const now = options.now().getTime();
      const row = {
        id_hash: hashSessionId(id),
        user_id: userId,
        csrf_token: randomToken(),
        flash,
        created_at: now,
        last_seen_at: now,
        expires_at: now + idleMs,
      };
      await db.insertInto('shop_sessions').values(row).execute();
      if (++createdSincePurge >= PURGE_EVERY_N_SESSIONS) {
        createdSincePurge = 0;
        await store.deleteExpired();
      }
      return { id, session: toSession(row) };
    },

    async get(id) {
      if (id === undefined || !SESSION_ID_PATTERN.test(id)) return null;
      const row = await db
        .selectFrom('shop_sessions')
        .selectAll()
        .where('id_hash', '=', hashSessionId(id))
        .executeTakeFirst();
      if (row === undefined) return null;
      const session = toSession(row);
      const now = options.now().getTime();
      const absoluteEnd = session.createdAt.getTime() + ABSOLUTE_LIFETIME_SECONDS * 1000;
      if (session.expiresAt.getTime() <= now || absoluteEnd <= now) {
        await store.delete(session.idHash);
        return null;
      }
      if (now - Number(row.last_seen_at) >= TOUCH_INTERVAL_MS) {
        const expiresAt = now + idleMs;
        await db
          .updateTable('shop_sessions')
          .set({ last_seen_at: now, expires_at: expiresAt })
          .where('id_hash', '=', session.idHash)
          .execute();
        session.expiresAt = new Date(expiresAt);
      }
      return session;
    },

    async delete(idHash) {
      await db.deleteFrom('shop_sessions').where('id_hash', '=', idHash).execute();
    },

    async rotate(id) {
      if (id === undefined || !SESSION_ID_PATTERN.test(id)) return null;
      const newId = randomToken();
      const now = options.now().getTime();
      // One statement keyed on the old hash, which also checks that the session is live: of two
      // concurrent rotations only one finds the row, so a session never ends up with two live ids,
      // and the request that asks for a rotation (it has just read the session) reads it no second time.
      const row = await db
        .updateTable('shop_sessions')
        .set({ id_hash: hashSessionId(newId) })
        .where('id_hash', '=', hashSessionId(id))
        .where('expires_at', '>', now)
        .where('created_at', '>', now - ABSOLUTE_LIFETIME_SECONDS * 1000)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? null : { id: newId, session: toSession(row) };
    },

    async deleteAllForUser(userId) {
      const result = await db.deleteFrom('shop_sessions').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async setFlash(idHash, message) {
      await db.updateTable('shop_sessions').set({ flash: message }).where('id_hash', '=', idHash).execute();
    },

    async takeFlash(session) {
      if (session.flash === null) return null;
      await db
        .updateTable('shop_sessions')
        .set({ flash: null })
        .where('id_hash', '=', session.idHash)
        .execute();
      const message = session.flash;
      session.flash = null;
      return message;
    },

    async deleteExpired() {
      const result = await db
        .deleteFrom('shop_sessions')
        .where('expires_at', '<=', options.now().getTime())
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
  return store;
}
