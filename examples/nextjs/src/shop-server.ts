/**
 * @module The shop's server state, made once per process: the configuration, the shop of `shop.js`
 * (storage, Connect client, linking core, sessions, orders) and the linking endpoints' web-standard
 * handler. Every route handler, page and server action reaches it through {@link getShopServer}.
 *
 * It lives on `globalThis`, not in a module variable: Next.js may evaluate a module once per bundle
 * that includes it (the pages', the route handlers', the server actions'), and the sessions and orders
 * of this example are in memory, so there must be exactly one shop in the process.
 */
import { createLinkingHandler } from '@cartlink/linking';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { ConfigError, PROFILE_PATH, readConfig } from './config.js';
import { createShop, findShopper } from './shop.js';

/** The shop of `shop.js`. */
export type Shop = Awaited<ReturnType<typeof createShop>>;
/** A session of the shop's stand-in sessions. */
export type Session = NonNullable<ReturnType<Shop['sessions']['fromCookieHeader']>>;
/** A demo shopper. */
export type Shopper = NonNullable<ReturnType<typeof findShopper>>;

/** What the process holds. */
export interface ShopServer {
  shop: Shop;
  config: ReturnType<typeof readConfig>;
  /** `GET /cartlink/status`, `POST /cartlink/authorize`, `/cartlink/link` and `/cartlink/verify`. */
  handleLinking: (request: Request) => Promise<Response>;
}

/** Who is signed in: the session and its shopper, and the shop they are in. */
export interface SignedIn {
  shop: Shop;
  session: Session;
  shopper: Shopper;
}

const SHOP_KEY = Symbol.for('cartlink.example.nextjs.shop');

type ShopGlobal = typeof globalThis & { [SHOP_KEY]?: Promise<ShopServer> };

async function startShopServer(): Promise<ShopServer> {
  const config = readConfig();
  if (!/^postgres(ql)?:\/\//i.test(config.databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL: this example runs on PostgreSQL');
  }
  const shop = await createShop(config);
  const handleLinking = createLinkingHandler({
    linking: shop.linking,
    // The session's shopper, never anyone the request names.
    getSubject: (request) => shop.getSubject(request),
    allowedOrigins: [new URL(config.publicUrl).origin],
  });
  return { shop, config, handleLinking };
}

/**
 * The process's shop, started by the first caller (the instrumentation hook, at start-up). A failed
 * start is kept: the configuration does not change while the process runs.
 */
export function getShopServer(): Promise<ShopServer> {
  const store = globalThis as ShopGlobal;
  store[SHOP_KEY] ??= startShopServer();
  return store[SHOP_KEY];
}

/** The session of a `Cookie` header and its shopper, or null when nobody is signed in. */
export function signedInFrom(shop: Shop, cookieHeader: string | null): SignedIn | null {
  const session = shop.sessions.fromCookieHeader(cookieHeader);
  const shopper = session === null ? undefined : findShopper(session.userId);
  return session !== null && shopper !== undefined ? { shop, session, shopper } : null;
}

/** Who is signed in, for a server component or a server action; null when nobody is. */
export async function currentShopper(): Promise<SignedIn | null> {
  // The request's headers first: they make the page dynamic, so that `next build`, which has no
  // configuration, never starts the shop.
  const cookieHeader = (await headers()).get('cookie');
  const { shop } = await getShopServer();
  return signedInFrom(shop, cookieHeader);
}

/** Who is signed in; sends anybody else to the sign-in page. */
export async function requireShopper(): Promise<SignedIn> {
  const current = await currentShopper();
  if (current === null) redirect('/signin');
  return current;
}

export { PROFILE_PATH };
