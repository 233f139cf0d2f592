/**
 * @module `@cartlink/linking`: the server side of Instacart account linking, framework-agnostic and
 * built on web standards. Node-only parts (database engines) are in `@cartlink/linking/node`;
 * adapters in `@cartlink/linking/hono` and `@cartlink/linking/express`.
 */
export * from './delivery-discount';
export * from './errors';
export * from './handler';
export * from './link-transactions';
export * from './linking';
export * from './outcomes';
export * from './status';
export * from './storage/index';
