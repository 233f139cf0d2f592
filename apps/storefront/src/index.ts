/**
 * @module `@cartlink/storefront`: Corner Market, the demo retailer shop. `createStorefront` builds the
 * Hono app from a config; `startStorefront` runs it on Node; `parseEnv` reads the configuration.
 */
export { createStorefront, type Storefront, type StorefrontDeps } from './app.js';
// For test and benchmark harnesses that drive the shop from outside (sessions without the sign-in
// form, shoppers seeded in bulk, direct reads of the shop's tables).
export type { StorefrontDatabase } from './db/schema.js';
export {
  ConfigError,
  DEMO_DEFAULTS,
  type EnvSource,
  parseEnv,
  readEnv,
  type StorefrontConfig,
} from './env.js';
export { createLogger } from './logger.js';
export { hashPassword } from './passwords.js';
export { type ConfigForPort, type RunningStorefront, startStorefront } from './server-node.js';
export { createSessionStore, readCookie, sessionCookieSettings } from './sessions.js';
export { DEMO_PASSWORD, DEMO_USERS } from './users.js';
