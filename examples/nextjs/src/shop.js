/**
 * @module The shop without its web framework: the demo shoppers, the sessions, the Cartlink wiring
 * and checkout. The Express, Hono and Next.js examples share this file word for word; what differs
 * is how each serves it (`server.js`, or the Next.js app's routes).
 *
 * Two stand-ins keep the example short, and a real shop replaces both:
 * - sign-in: pick a demo shopper, no password (use your own authentication);
 * - sessions and orders: in this process's memory, so they end with it, and one process only (keep
 *   them in your database). The linking data (link transactions, verifications, the delivery-discount
 *   ledger) is in DATABASE_URL, through @cartlink/linking.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createConnectClient } from '@cartlink/connect';
import { loadPrebuiltElementsBundle } from '@cartlink/elements/prebuilt';
import {
  createDeliveryDiscountPolicy,
  createLinking,
  formatReconciliationCsv,
  toDeliveryDiscount,
} from '@cartlink/linking';
import { toConnectClientOptions, toLinkingOptions } from '@cartlink/linking/config';
import { openLinkingStorage } from '@cartlink/linking/node';

/** The demo accounts of the stand-in sign-in. The ids are the Connect `user_id`s. */
export const SHOPPERS = [
  { id: 'example-shopper-alex', firstName: 'Alex', lastName: 'Rivera', admin: false },
  { id: 'example-shopper-blair', firstName: 'Blair', lastName: 'Chen', admin: false },
  { id: 'example-finance-fran', firstName: 'Fran', lastName: 'Okafor', admin: true },
];

/** The one basket every checkout holds, and the delivery fee an Instacart+ member does not pay. */
export const BASKET = { description: 'Weekly produce box', subtotalCents: 4250, currency: 'USD' };
export const DELIVERY_FEE_CENTS = 399;

/** Name of the session cookie. */
export const SESSION_COOKIE = 'example_shop_session';

/** `$3.99` from 399. */
export function formatCents(cents) {
  return `$${(cents / 100).toFixed(2)}`;
}

function randomToken() {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two strings (a CSRF token against the session's). */
export function sameSecret(given, expected) {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header, name) {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/**
 * True when a form post comes from one of the shop's own pages. `Origin` decides when it is a real
 * origin; a page sent with `Referrer-Policy: no-referrer` (the profile page) makes browsers send
 * `Origin: null`, and then `Sec-Fetch-Site` must not say cross-site.
 */
export function isSameOrigin(headers, publicUrl) {
  const origin = headers.get('origin');
  if (origin !== null && origin !== 'null') return origin === new URL(publicUrl).origin;
  const site = headers.get('sec-fetch-site');
  return site === null || site === 'same-origin';
}

/** Sessions in memory (a stand-in: see the module comment), idle for at most two hours. */
function createSessions(publicUrl) {
  const byId = new Map();
  const idleMs = 2 * 60 * 60 * 1000;
  const secure = new URL(publicUrl).protocol === 'https:';
  return {
    /** Starts a session for a shopper; returns it and its `Set-Cookie` value. */
    start(userId) {
      const id = randomToken();
      // The link transactions are bound to this key: a digest, so the database never holds a live id.
      const session = {
        id,
        key: createHash('sha256').update(id).digest('base64url'),
        userId,
        csrfToken: randomToken(),
        seenAt: Date.now(),
      };
      byId.set(id, session);
      const cookie = `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
      return { session, cookie };
    },
    /** The live session a `Cookie` header names, or null. */
    fromCookieHeader(header) {
      const id = readCookie(header, SESSION_COOKIE);
      const session = id === undefined ? undefined : byId.get(id);
      if (session === undefined) return null;
      if (Date.now() - session.seenAt > idleMs) {
        byId.delete(id);
        return null;
      }
      session.seenAt = Date.now();
      return session;
    },
    /** Ends a session; returns the `Set-Cookie` value that clears the cookie. */
    end(session) {
      byId.delete(session.id);
      return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`;
    },
  };
}

/**
 * Opens the storage and wires Cartlink: the Connect client, the linking core, the delivery-discount
 * policy, and the elements' bundle to serve on the profile page.
 */
export async function createShop(config) {
  const { storage } = await openLinkingStorage(config.databaseUrl);
  let elementsBundle;
  try {
    elementsBundle = (await loadPrebuiltElementsBundle()).code;
  } catch (error) {
    await storage.close();
    throw error;
  }
  const connect = createConnectClient(toConnectClientOptions(config.connect));
  const linking = createLinking({
    ...toLinkingOptions(config.connect),
    connect,
    storage,
    // Instacart needs the shopper's name to create their Connect user at the first link.
    loadConnectUserProfile: async (userId) => {
      const shopper = findShopper(userId);
      if (shopper === undefined) throw new Error(`No shopper ${userId}`);
      return { firstName: shopper.firstName, lastName: shopper.lastName };
    },
  });
  const discountPolicy = createDeliveryDiscountPolicy({ linking });
  const sessions = createSessions(config.publicUrl);
  const orders = new Map();

  return {
    config,
    linking,
    sessions,
    elementsBundle,

    /**
     * What the linking endpoints (`/cartlink/*`) act for: the session's shopper, never anyone the
     * request names. The CSRF token is the one the Link form posts back.
     */
    async getSubject(request) {
      const session = sessions.fromCookieHeader(request.headers.get('cookie'));
      if (session === null) return null;
      return { sessionId: session.key, userId: session.userId, csrfToken: session.csrfToken };
    },

    /** The status the profile page renders; null on Instacart's redirect back, which the element handles. */
    async profileStatus(session, url) {
      const params = url.searchParams;
      if (params.has('state') && (params.has('code') || params.has('error'))) return null;
      return linking.getStatus({ sessionId: session.key, userId: session.userId });
    },

    /** The delivery fee for this shopper, with a fresh membership verification (checkout). */
    async decideDelivery(userId) {
      const decision = await discountPolicy.decide({ userId, deliveryFeeCents: DELIVERY_FEE_CENTS });
      return { decision, chargedCents: DELIVERY_FEE_CENTS - decision.waivedCents };
    },

    /**
     * Places the order: decides the fee again (the membership may have changed since the page was
     * shown), refuses to charge more than the page showed, and records a waived fee in the ledger.
     * A real shop writes its order in the same database transaction as the ledger entry
     * (`storage.transaction`); this one keeps orders in memory.
     */
    async placeOrder(userId, expectedFeeCents) {
      const { decision, chargedCents } = await this.decideDelivery(userId);
      if (chargedCents > expectedFeeCents) return { placed: false, decision, chargedCents };
      const order = {
        id: randomUUID(),
        userId,
        placedAt: new Date(),
        ...BASKET,
        deliveryFeeCents: DELIVERY_FEE_CENTS,
        deliveryChargedCents: chargedCents,
        verification: decision.eligible ? decision.evidence.verification : null,
      };
      if (decision.eligible) {
        await storage.discounts.record(
          toDeliveryDiscount({
            orderId: order.id,
            userId,
            placedAt: order.placedAt,
            currency: order.currency,
            decision,
          }),
        );
      }
      orders.set(order.id, order);
      return { placed: true, order };
    },

    /** The shopper's order with this id, or undefined. */
    findOrder(userId, orderId) {
      const order = orders.get(orderId);
      return order?.userId === userId ? order : undefined;
    },

    /** The reconciliation CSV of the discounts placed from `from` (inclusive) to `to` (exclusive). */
    async reconciliationCsv(from, to) {
      return formatReconciliationCsv(await storage.discounts.list({ from, to }));
    },

    close: () => storage.close(),
  };
}

/** The demo shopper with this id, or undefined. */
export function findShopper(userId) {
  return SHOPPERS.find((shopper) => shopper.id === userId);
}

/** `YYYY-MM-DD` to a UTC date, or null when malformed. */
export function parseDay(value) {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value ? null : date;
}
