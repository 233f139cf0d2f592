/**
 * @module `@cartlink/linking`: the server side of Instacart account linking, framework-agnostic and
 * built on web standards. Node-only parts (database engines) are in `@cartlink/linking/node`;
 * adapters in `@cartlink/linking/hono` and `@cartlink/linking/express`.
 */
export * from './delivery-discount.js';
export * from './errors.js';
export * from './handler.js';
export * from './link-transactions.js';
export * from './linking.js';
export * from './outcomes.js';
export * from './status.js';
export * from './storage/index.js';
