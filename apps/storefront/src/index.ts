/**
 * @module `@cartlink/storefront`: Corner Market, the demo retailer shop. `createStorefront` builds the
 * Hono app from a config; `startStorefront` runs it on Node; `parseEnv` reads the configuration.
 */
export { createStorefront, type Storefront, type StorefrontDeps } from './app';
export { ConfigError, DEMO_DEFAULTS, type EnvSource, parseEnv, readEnv, type StorefrontConfig } from './env';
export { createLogger } from './logger';
export { type ConfigForPort, type RunningStorefront, startStorefront } from './server.node.js';
export { DEMO_PASSWORD, DEMO_USERS } from './users';
