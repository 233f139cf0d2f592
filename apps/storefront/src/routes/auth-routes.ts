/**
 * @module Sign-in and sign-out. Sign-in rotates the session id (no session fixation), and verifies the
 * shopper's Instacart+ membership with a fresh Connect call, as the seed's best practices ask; that
 * call never blocks or fails a sign-in. Attempts are throttled per account and per client address
 * (429, see `rate-limits.ts`), and password checks run with bounded concurrency: one that cannot
 * start within the queue deadline is answered 503 (see `load-shedding.ts`).
 * @see https://docs.instacart.com/connect (account linking how-to), Best practices ("Verify ... when
 *   they sign in")
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { readRemoteAddress } from '../client-address.js';
import { type AppContext, type AppEnv, HttpError, readForm } from '../http.js';
import { OverloadedError } from '../load-shedding.js';
import { negotiateLocale } from '../locale.js';
import { verifyPassword } from '../passwords.js';
import { safeNextPath } from '../security.js';
import { renderHtml, type StorefrontServices } from '../services.js';
import { csrfTokenMatches, type Session, serializeSessionCookie } from '../sessions.js';
import { findUserForSignIn } from '../users.js';
import { signInView } from '../views/account-views.js';
import { SHOP_NAME } from '../views/layout.js';
import { type RefusalKind, renderRefusalPage } from '../views/refusal-views.js';

/** How long sign-in waits for Instacart before going ahead; the verification still completes later. */
export const SIGN_IN_VERIFICATION_DEADLINE_MS = 3000;

const signInSchema = z.object({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(1024),
});

/** Returns the visitor's session, starting one (and setting its cookie) when there is none. */
export async function ensureSession(c: AppContext, services: StorefrontServices): Promise<Session> {
  const existing = c.get('session');
  if (existing) return existing;
  const { id, session } = await services.sessions.create(null);
  c.header('Set-Cookie', serializeSessionCookie(services.cookie, id), { append: true });
  c.set('session', session);
  return session;
}

/** Resolves with the promise's value, or with `undefined` once `ms` have passed, whichever is first. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asks Connect for the shopper's membership now. Returns a message for the next page when this call
 * is how the shop learns that the accounts were unlinked at Instacart (there is no webhook): its
 * verification removed the link record (`unlinkNoticed`), so no read of the record beforehand.
 *
 * `linking.getVerification({ fresh: true })` rather than `verifyMembership`: the latter builds a status
 * view, which for an unlinked shopper starts a link transaction that nobody would use.
 */
async function verifyAtSignIn(services: StorefrontServices, userId: string): Promise<string | null> {
  const work = (async () => {
    const { unlinkNoticed } = await services.linking.getVerification(userId, {
      fresh: true,
      locale: 'en-US',
    });
    return unlinkNoticed
      ? `Your ${SHOP_NAME} account is no longer linked to Instacart. Link it again on your account page to get $0 delivery.`
      : null;
  })();
  // A failure is logged, never shown: Instacart being down must not keep anyone from shopping.
  work.catch((error: unknown) =>
    services.logger.warn({ err: error }, 'membership verification at sign-in failed'),
  );
  try {
    return (await withDeadline(work, SIGN_IN_VERIFICATION_DEADLINE_MS)) ?? null;
  } catch {
    return null;
  }
}

/**
 * Answers a sign-in that was not checked: 429 after too many attempts, 503 when password checks are
 * overloaded. Both carry `Retry-After` and a page in the shopper's language, rendered without the
 * database; the same page whichever limit refused, and whether or not the account exists.
 */
function refuseSignIn(
  c: AppContext,
  services: StorefrontServices,
  kind: RefusalKind,
  retryAfterSeconds: number,
  next: string,
): Response {
  const locale = negotiateLocale(c.req.header('accept-language'));
  c.header('Retry-After', String(retryAfterSeconds));
  c.header('Cache-Control', 'no-store');
  c.header('Content-Language', locale);
  const page = renderRefusalPage({
    kind,
    locale,
    retryAfterSeconds,
    assets: services.assets.urls,
    backHref: next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`,
  });
  return c.html(page, kind === 'throttled' ? 429 : 503);
}

/** Registers `/signin`, `/signout` and `/signout/everywhere`. */
export function registerAuthRoutes(app: Hono<AppEnv>, services: StorefrontServices): void {
  const { config, sessions, cookie } = services;

  app.get('/signin', async (c) => {
    const next = safeNextPath(c.req.query('next'));
    if (c.get('user')) return c.redirect(next, 303);
    const session = await ensureSession(c, services);
    return renderHtml(
      c,
      services,
      { title: 'Sign in', current: 'signin' },
      signInView({ csrfToken: session.csrfToken, next: next === '/' ? null : next }),
    );
  });

  app.post('/signin', async (c) => {
    const fields = await readForm(c, config.publicUrl);
    const next = safeNextPath(fields.next);
    const submittedEmail = fields.email?.slice(0, 254);
    const session = c.get('session');
    const again = async (status: 400 | 401 | 403, error: string) => {
      const current = await ensureSession(c, services);
      return renderHtml(
        c,
        services,
        { title: 'Sign in', current: 'signin', status },
        signInView({
          csrfToken: current.csrfToken,
          next: next === '/' ? null : next,
          email: submittedEmail,
          error,
        }),
      );
    };
    // A stale form is answered with a fresh one rather than an error page: it is the common case of a
    // sign-in page left open past the session's idle expiry.
    if (!csrfTokenMatches(session, fields._csrf)) {
      return again(403, 'Your sign-in form expired. Please try again.');
    }
    const parsed = signInSchema.safeParse(fields);
    if (!parsed.success) return again(400, 'Enter your email and password.');

    const { email, password } = parsed.data;

    // Counted before the password is checked, so that guesses sent in parallel count too; an unknown
    // email is counted (and refused) exactly like a known one.
    const address = services.clientAddress(readRemoteAddress(c.env), c.req.header('x-forwarded-for') ?? null);
    const throttle = await services.rateLimits.countSignInAttempt({ email, address });
    if (throttle !== null) {
      const known = await findUserForSignIn(services.db, email);
      services.audit.record({
        event: 'throttled',
        userId: known?.user.id ?? null,
        limit: throttle.limit,
        retryAfterSeconds: throttle.retryAfterSeconds,
      });
      return refuseSignIn(c, services, 'throttled', throttle.retryAfterSeconds, next);
    }

    const found = await findUserForSignIn(services.db, email);
    let passwordOk: boolean;
    try {
      // An unknown email is checked against a dummy hash so both failures take the same time.
      passwordOk = await services.passwordHashing.run(() =>
        verifyPassword(password, found?.passwordHash ?? services.dummyPasswordHash),
      );
    } catch (error) {
      if (!(error instanceof OverloadedError)) throw error;
      // No password was checked, so the attempt does not count against the account.
      await services.rateLimits.refundSignInAttempt(email);
      return refuseSignIn(c, services, 'overloaded', error.retryAfterSeconds, next);
    }
    if (found === undefined || !passwordOk) {
      // The user id only when the account exists; never the email typed (it may be someone's password).
      services.audit.record({
        event: 'sign-in-failed',
        userId: found?.user.id ?? null,
        reason: found === undefined ? 'unknown-account' : 'wrong-password',
      });
      return again(401, 'That email and password combination is not right. Check them and try again.');
    }

    await services.rateLimits.clearSignInAttempts(email);
    const flash = await verifyAtSignIn(services, found.user.id);
    // Rotate: the pre-sign-in session (and its id, which a fixation attack could have planted) ends here.
    if (session) await sessions.delete(session.idHash);
    const { id } = await sessions.create(found.user.id, flash);
    c.header('Set-Cookie', serializeSessionCookie(cookie, id), { append: true });
    services.audit.record({ event: 'sign-in-succeeded', userId: found.user.id });
    return c.redirect(next, 303);
  });

  app.post('/signout', async (c) => {
    const fields = await readForm(c, config.publicUrl);
    const session = c.get('session');
    if (session === null) {
      // Nothing to end (the session expired already): just make sure the cookie is gone.
      c.header('Set-Cookie', serializeSessionCookie(cookie, null), { append: true });
      return c.redirect('/', 303);
    }
    if (!csrfTokenMatches(session, fields._csrf)) {
      throw new HttpError(403, 'Page expired', 'Reload the page and sign out again.');
    }
    await sessions.delete(session.idHash);
    if (session.userId !== null) {
      services.audit.record({ event: 'signed-out', userId: session.userId, everywhere: false });
    }
    c.header('Set-Cookie', serializeSessionCookie(cookie, null), { append: true });
    return c.redirect('/', 303);
  });

  // "Sign out everywhere" on the profile page: ends every session of the account (another browser, a
  // forgotten computer, a stolen cookie), this one included.
  app.post('/signout/everywhere', async (c) => {
    const fields = await readForm(c, config.publicUrl);
    const session = c.get('session');
    if (session?.userId == null) {
      c.header('Set-Cookie', serializeSessionCookie(cookie, null), { append: true });
      return c.redirect('/', 303);
    }
    if (!csrfTokenMatches(session, fields._csrf)) {
      throw new HttpError(403, 'Page expired', 'Reload the page and sign out again.');
    }
    await sessions.deleteAllForUser(session.userId);
    services.audit.record({ event: 'signed-out', userId: session.userId, everywhere: true });
    c.header('Set-Cookie', serializeSessionCookie(cookie, null), { append: true });
    return c.redirect('/', 303);
  });
}
