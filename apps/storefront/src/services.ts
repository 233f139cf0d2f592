/**
 * @module What the routes share: the services built at start-up and the helper that renders a page
 * in the frame for the current visitor.
 */
import type { DeliveryDiscountPolicy, Linking, LinkingStorage } from '@cartlink/linking';
import type { Kysely } from 'kysely';
import type { AssetBundle } from './assets.js';
import type { AuditLog } from './audit.js';
import type { ClientAddressResolver } from './client-address.js';
import type { StorefrontDatabase } from './db/schema.js';
import type { StorefrontConfig } from './env.js';
import type { AppContext } from './http.js';
import type { ConcurrencyLimiter } from './load-shedding.js';
import type { Logger } from './logger.js';
import type { RateLimits } from './rate-limits.js';
import type { SessionCookieSettings, SessionStore } from './sessions.js';
import { countCartItems } from './shop.js';
import type { SafeHtml } from './views/html.js';
import { type NavItem, renderPage } from './views/layout.js';

/** Everything the routes use, built once by `createStorefront`. */
export interface StorefrontServices {
  config: StorefrontConfig;
  db: Kysely<StorefrontDatabase>;
  storage: LinkingStorage;
  linking: Linking;
  discountPolicy: DeliveryDiscountPolicy;
  sessions: SessionStore;
  cookie: SessionCookieSettings;
  assets: AssetBundle;
  logger: Logger;
  /** The audit trail (sign-in, sign-out, linking, discounts): see `audit.ts`. */
  audit: AuditLog;
  now: () => Date;
  /** A hash of a random password, checked when the email is unknown so both cases take as long. */
  dummyPasswordHash: string;
  /** Sign-in and link-start throttling: see `rate-limits.ts`. */
  rateLimits: RateLimits;
  /** Password checks with bounded concurrency and a queue deadline: see `load-shedding.ts`. */
  passwordHashing: ConcurrencyLimiter;
  /** The client address of a request (peer, or `X-Forwarded-For` from a trusted proxy). */
  clientAddress: ClientAddressResolver;
}

/** Options of {@link renderHtml}. */
export interface PageOptions {
  title: string;
  current: NavItem;
  status?: 200 | 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 500;
  withElements?: boolean;
}

/**
 * Renders `content` in the frame for the current visitor (their name, cart count, the pending flash
 * message and the sign-out form) with `Cache-Control: no-store`, since pages carry personal data and
 * CSRF tokens.
 */
export async function renderHtml(
  c: AppContext,
  services: StorefrontServices,
  options: PageOptions,
  content: SafeHtml,
): Promise<Response> {
  const session = c.get('session');
  const user = c.get('user');
  const flash = session ? await services.sessions.takeFlash(session) : null;
  const viewer = user
    ? {
        firstName: user.firstName,
        isAdmin: user.role === 'admin',
        cartCount: await countCartItems(services.db, user.id),
      }
    : null;
  const body = renderPage(
    {
      title: options.title,
      nonce: c.get('nonce'),
      assets: services.assets.urls,
      viewer,
      csrfToken: session?.csrfToken ?? null,
      current: options.current,
      flash,
      withElements: options.withElements ?? false,
    },
    content,
  );
  c.header('Cache-Control', 'no-store');
  return c.html(body, options.status ?? 200);
}
