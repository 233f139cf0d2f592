/**
 * The demo seed of docs/product.md: the "Corner Market" retailer with its OAuth application, and
 * three Instacart accounts covering the three membership cases.
 */
import type { EmulatorState, PasswordHasher } from './domain.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Names of the demo seed, for scripts and tests that log in as a demo user. */
export const DEMO_SEED = {
  /** The demo OAuth application, Corner Market's. */
  app: {
    /** Its `client_id`. */
    clientId: 'cartlink-demo',
    /** Its retailer, Corner Market: the owner of the Connect users and links of all its applications. */
    retailerId: 'corner-market',
    /** Its `client_secret`. */
    clientSecret: 'cartlink-demo-secret',
    /** Its one registered redirect URI, the storefront's profile page on port 3000. */
    redirectUri: 'http://localhost:3000/account/profile',
    /** The name the consent page shows. */
    name: 'Corner Market',
  },
  /** Password of every demo Instacart account. */
  password: 'instacart',
  /** The emails of the three demo Instacart accounts (ids 1, 2 and 3, in this order). */
  users: {
    /** Active Instacart+ member; the subscription ends about a year after seeding. */
    plus: 'plus@instacart.test',
    /** No Instacart+ subscription, ever. */
    basic: 'basic@instacart.test',
    /** Instacart+ subscription that ended 30 days before seeding. */
    lapsed: 'lapsed@instacart.test',
  },
} as const;

/**
 * The retailer of an application registered without one, and of every application of a state file
 * written before applications had retailers: the demo application's is the demo retailer, any
 * other application is a retailer of its own (the one-set-per-application rule of before).
 */
export function defaultRetailerId(clientId: string): string {
  return clientId === DEMO_SEED.app.clientId ? DEMO_SEED.app.retailerId : clientId;
}

/** Which seed to start from: docs/product.md's demo data, or nothing at all. */
export type SeedName = 'demo' | 'empty';

// scrypt is deliberately slow; reset re-seeds often in tests, so the demo password is hashed once
// per process and hasher.
const hashCache = new WeakMap<PasswordHasher, string>();

/** Fills an empty state with the chosen seed, relative to `nowMs` on the emulator clock. */
export function applySeed(state: EmulatorState, seed: SeedName, hasher: PasswordHasher, nowMs: number): void {
  if (seed === 'empty') return;
  const { app, users } = DEMO_SEED;
  state.upsertApp({
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    retailerId: app.retailerId,
    name: app.name,
    redirectUris: [app.redirectUri],
  });
  let passwordHash = hashCache.get(hasher);
  if (!passwordHash) {
    passwordHash = hasher.hash(DEMO_SEED.password);
    hashCache.set(hasher, passwordHash);
  }
  state.createInstacartUser(
    { email: users.plus, passwordHash, instacartplusMember: true, expiredAt: nowMs + 365 * DAY_MS },
    nowMs,
  );
  state.createInstacartUser(
    { email: users.basic, passwordHash, instacartplusMember: false, expiredAt: null },
    nowMs,
  );
  state.createInstacartUser(
    { email: users.lapsed, passwordHash, instacartplusMember: true, expiredAt: nowMs - 30 * DAY_MS },
    nowMs,
  );
}
